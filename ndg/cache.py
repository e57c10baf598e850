"""Where ndg keeps what it can rebuild: built modules (compiler) and compiled machine code (runtime).

Every entry is written with a digest file beside it and read back only when the digest still
matches: a flipped bit, a truncated file or a file swapped by hand is rebuilt and replaced, never
used. This matters most for compiled machine code, which wasmtime runs without checking it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ndg.errors import UserError
from ndg.outputs import write_output

CACHE_VARIABLE = "NDG_CACHE_DIR"
DIGEST_SUFFIX = ".sha256"


def cache_dir() -> Path:
    """The cache folder, absolute (a relative NDG_CACHE_DIR is taken from the current folder, once,
    so that tools started in other folders, like cargo, find the same one; a leading `~` is the
    home folder, as in a shell: the variable often comes from a file that no shell expanded)."""
    base = os.environ.get(CACHE_VARIABLE) or os.path.join(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "ndg")
    path = Path(os.path.abspath(os.path.expanduser(base)))
    if path.exists() and not path.is_dir():
        raise UserError(f"the cache folder {path} is not a folder",
                        f"point {CACHE_VARIABLE} at a folder, or remove the file there")
    return path


def cache_folder(*parts: str) -> Path:
    """A folder inside the cache, created when missing."""
    folder = cache_dir().joinpath(*parts)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create the cache folder {folder}: {error.strerror}",
                        f"make it writable, or point {CACHE_VARIABLE} at a writable folder") from None
    return folder


def _digest_path(path: Path) -> Path:
    return path.with_name(path.name + DIGEST_SUFFIX)


def read_entry(path: Path) -> bytes | None:
    """The entry's bytes if it is there and intact; None when it must be built (again)."""
    try:
        recorded = _digest_path(path).read_text("ascii").strip()
        data = path.read_bytes()
    except (OSError, UnicodeDecodeError):
        return None
    return data if hashlib.sha256(data).hexdigest() == recorded else None


def write_entry(path: Path, data: bytes) -> None:
    """Store an entry: the data first, then its digest, each atomically, so a reader never sees a
    digest without the data it describes (a crash between the two leaves a mismatch: a rebuild)."""
    write_output(path, data)
    write_output(_digest_path(path), hashlib.sha256(data).hexdigest().encode("ascii"))

"""Every file ndg writes goes through here, so every command follows the same rules.

    from ndg.outputs import check_output, write_output
    target = check_output(path, inputs=[source])   # before any work: a UserError if it cannot be written
    ...
    write_output(target, data)                     # or write_output(path, data, inputs=[source])

- `-` is standard output.
- A symlink is followed: its target is replaced and the link kept.
- A regular file (or a new one) is written to a temporary file beside it and renamed over it, so
  readers see the old file or the new one, never half of one. The temporary name is short and
  fixed in length (names up to the file system's limit work) and carries the writer's process id:
  a later write into the same folder removes those whose writer is gone (killed with SIGKILL).
  SIGINT and SIGTERM during a write remove it before the process ends.
- A device, FIFO or socket is opened and written to directly, never renamed over.
- Refused before any work, as user errors: a folder, a missing or read-only folder, a read-only
  file (its permission bits are honoured even for root), and a file that is one of the inputs
  (also through links or another name).
"""

from __future__ import annotations

import os
import secrets
import signal
import stat
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ndg.errors import UserError

STDOUT = "-"
TEMPORARY_PREFIX = ".ndg-partial-"
NEW_FILE_MODE = 0o666  # less the umask, as for any program creating a file
CLEANING_SECONDS = 10.0
_cleaned: dict[Path, float] = {}  # folder → when this process last removed abandoned files there


@dataclass(frozen=True)
class Target:
    """Where an output goes, as `check_output` found it."""
    given: str  # the name the user gave, for messages
    path: Path | None  # the file written (links followed); None for standard output
    direct: bool  # a device, FIFO or socket: written in place

    @property
    def is_stdout(self) -> bool:
        return self.path is None


def is_stdout(path: str | os.PathLike) -> bool:
    return os.fspath(path) == STDOUT


def check_output(path: str | os.PathLike | Target, inputs: Iterable[str | os.PathLike] = ()) -> Target:
    """Where `path` would be written, or a UserError saying why it cannot be (before any work)."""
    if isinstance(path, Target):
        return path
    given = os.fspath(path)
    if given == STDOUT:
        return Target(given, None, direct=True)
    if not given:
        raise UserError("an output file name is empty", "give a file name, or - for standard output")
    resolved = Path(os.path.realpath(given))
    limit = _name_limit(resolved.parent)
    if len(os.fsencode(resolved.name)) > limit:
        raise UserError(f"cannot write {given}: its name is longer than this file system allows",
                        f"use a name of at most {limit} bytes")
    try:
        status = os.stat(given)  # through links: /dev/stdout is whatever standard output is
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise UserError(f"cannot write {given}: {error.strerror}") from None
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise UserError(f"cannot write {given}: it is a folder", "give a file name inside it")
    for source in inputs:
        if _same_file(Path(given), Path(source)):
            raise UserError(f"cannot write {given}: it is the input {os.fspath(source)}",
                            "give the output another name; writing it would destroy the input")
    if status is not None and not stat.S_ISREG(status.st_mode):
        # Opened by the name given: a link such as /dev/stdout → /proc/self/fd/1 → pipe:[…]
        # resolves to no path that can be opened.
        return Target(given, Path(given), direct=True)
    if status is not None and not _writable(resolved, status):
        raise UserError(f"cannot write {given}: it is read-only", "make it writable (chmod u+w) or write elsewhere")
    _check_folder(given, resolved.parent)
    return Target(given, resolved, direct=False)


def write_output(path: str | os.PathLike | Target, data: bytes, inputs: Iterable[str | os.PathLike] = ()) -> None:
    """Write `data` to `path` by the rules above; a UserError when that fails."""
    target = check_output(path, inputs)
    try:
        if target.path is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        elif target.direct:
            with open(target.path, "wb") as out:
                out.write(data)
        else:
            _replace(target.path, data)
    except OSError as error:
        raise UserError(f"cannot write {target.given}: {error.strerror}",
                        "check that there is space and that it can be written") from None


def _replace(path: Path, data: bytes) -> None:
    folder = path.parent
    remove_abandoned(folder)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    temporary = folder / f"{TEMPORARY_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    with _terminable():
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            if mode is not None:
                os.chmod(temporary, mode)  # a replaced file keeps its permissions
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def remove_abandoned(folder: Path) -> None:
    """Remove temporary files left in `folder` by writers that no longer run. A folder is looked
    through at most once every CLEANING_SECONDS by a process: a sweep writes thousands of files
    into one folder, and scanning it for each would make writing them quadratic."""
    now = time.monotonic()
    if now - _cleaned.get(folder, -CLEANING_SECONDS) < CLEANING_SECONDS:
        return
    _cleaned[folder] = now
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.name.startswith(TEMPORARY_PREFIX)]
    except OSError:
        return
    for name in names:
        pid = name[len(TEMPORARY_PREFIX):].partition("-")[0]
        if pid.isdigit() and not _running(int(pid)):
            (folder / name).unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Terminated(BaseException):
    pass


@contextmanager
def _terminable() -> Iterator[None]:
    """While writing, SIGTERM unwinds through the writer's cleanup (as SIGINT does, as Python's
    KeyboardInterrupt), and then ends the process as it would have."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum, frame):
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, previous)
        os.kill(os.getpid(), signal.SIGTERM)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def _same_file(output: Path, source: Path) -> bool:
    try:
        return os.path.samefile(output, source)
    except OSError:
        return False


def _writable(path: Path, status: os.stat_result) -> bool:
    # Root passes every access check; a file or folder with no write bit was made read-only on
    # purpose, so that is honoured too.
    return os.access(path, os.W_OK) and bool(status.st_mode & 0o222)


def _check_folder(given: str, folder: Path) -> None:
    try:
        status = folder.stat()
    except OSError:
        raise UserError(f"cannot write {given}: there is no folder {folder}", "create the folder first") from None
    if not stat.S_ISDIR(status.st_mode):
        raise UserError(f"cannot write {given}: {folder} is not a folder")
    if not _writable(folder, status):
        raise UserError(f"cannot write {given}: its folder {folder} is read-only", "write it somewhere else")


def _name_limit(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


"""`ndg nodes new`: a node folder (definition, Rust function, crate) that builds and runs as it is."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from ndg.compiler.codegen import templates
from ndg.compiler.definitions import DEFINITION_FILE, NodeLibrary, builtin_node_dir
from ndg.errors import UserError

# Folder names for user and namespace; the node's name becomes part of a Rust crate and module name.
_ID = re.compile(r"(?P<user>[a-z0-9][a-z0-9_-]*)/(?P<namespace>[a-z0-9][a-z0-9_-]*)/(?P<name>[a-z][a-z0-9_]*)")

# Longest id part: the name becomes a folder, a crate name (`ndg_node_` + name) and hidden staging
# folder names, all far under a file system's 255 bytes at this length.
MAX_PART_CHARS = 64

# Template name → file inside the node folder.
_FILES = {
    "node_definition.json.j2": DEFINITION_FILE,
    "node_lib.rs.j2": "src/lib.rs",
    "node_Cargo.toml.j2": "Cargo.toml",
}


def parse_id(node_id: str) -> str:
    """The node's name, once `node_id` is known to be a valid `user/namespace/name`."""
    match = _ID.fullmatch(node_id)
    if match and max(len(part) for part in match.groups()) > MAX_PART_CHARS:
        raise UserError(f"`{node_id[:80]}…` has a part longer than {MAX_PART_CHARS} characters",
                        f"give the user, namespace and name at most {MAX_PART_CHARS} characters each")
    if not match:
        raise UserError(f"`{node_id}` is not a node id ndg can scaffold",
                        "write user/namespace/name in lower case, e.g. me/garden/stalk; the name "
                        "starts with a letter and holds only letters, digits and _")
    return match["name"]


def render(node_id: str) -> dict[str, str]:
    """The folder's files, by path inside it."""
    name = parse_id(node_id)
    values = {"id": node_id, "crate_name": f"ndg_node_{name}", "util_path": str(builtin_node_dir() / "ndg_util")}
    env = templates()
    return {path: env.get_template(template).render(**values) for template, path in _FILES.items()}


def scaffold(node_id: str, parent: Path) -> Path:
    """Writes the node folder `parent/<name>` and returns it; refuses to touch an existing one."""
    files = render(node_id)
    folder = parent / parse_id(node_id)
    if folder.exists():
        raise UserError(f"{folder} already exists", "pick another name or --dir, or remove the folder first")
    existing = NodeLibrary.load().by_id(node_id)
    if existing:
        raise UserError(f"a node `{node_id}` already exists in {existing.folder}", "pick another id")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # Written in a hidden folder beside the target and renamed into place: an interrupted run
        # leaves no half-made node folder that a search path would pick up.
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
    except OSError as error:
        raise UserError(f"cannot create the node folder in {parent}: {error.strerror}",
                        "give a writable folder with --dir") from None
    try:
        for path, text in files.items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_text(text)
        os.rename(staging, folder)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(f"cannot write the node folder {folder}: {error.strerror}", "check the space left there") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder

"""What a file is, told from its first bytes or its name, for a message when a command is given
the wrong kind of file: `plant.glb is a glTF mesh (binary), not a plan`."""

from __future__ import annotations

from pathlib import Path

_SIGNATURES = (
    (b"NDGPLAN\n", "an ndg plan (.ndp)"),
    (b"glTF", "a glTF mesh (binary)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG picture"),
    (b"\x00asm", "a WebAssembly module"),
    (b"ply\n", "a PLY mesh"),
    (b"solid ", "an STL mesh"),
)
_SUFFIXES = {
    ".ndg": "a graph (.ndg)", ".glb": "a glTF mesh (binary)", ".gltf": "a glTF mesh",
    ".obj": "an OBJ mesh", ".stl": "an STL mesh", ".ply": "a PLY mesh", ".png": "a PNG picture",
    ".json": "a JSON file", ".bin": "raw words (.bin)", ".wasm": "a WebAssembly module",
}


def file_kind(path: Path, head: bytes) -> str | None:
    """The kind of file whose first bytes are `head`, or None if neither they nor its name tell."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return _SUFFIXES.get(Path(path).suffix.lower())

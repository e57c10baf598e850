"""Bytes of hand-made wasm modules, for tests and the adversarial sweep that craft hostile ones."""

from ndg.runtime.wasm_sections import unsigned_leb128 as _leb


def custom_section(name: str, payload: bytes) -> bytes:
    """A custom section to append to a module (sections may come in any order after the header)."""
    body = _leb(len(name)) + name.encode() + payload
    return b"\x00" + _leb(len(body)) + body

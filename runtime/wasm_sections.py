"""Read custom sections of a wasm binary (the runtime needs only `ndg_kinds`, and no wasm-tools)."""

from __future__ import annotations

from ndg.errors import UserError

WASM_HEADER = b"\0asm\x01\0\0\0"


def _leb128(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 28:
            raise UserError("the module is not a valid wasm binary (bad length field)")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7


def custom_sections(module: bytes) -> dict[str, bytes]:
    if not module.startswith(WASM_HEADER):
        raise UserError("the module is not a wasm binary")
    sections, at = {}, len(WASM_HEADER)
    while at < len(module):
        section_id = module[at]
        size, start = _leb128(module, at + 1)
        end = start + size
        if end > len(module):
            raise UserError("the module is not a valid wasm binary (truncated section)")
        if section_id == 0:
            name_len, name_at = _leb128(module, start)
            name = module[name_at : name_at + name_len].decode("utf-8", "replace")
            sections[name] = module[name_at + name_len : end]
        at = end
    return sections

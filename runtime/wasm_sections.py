"""Read what the runtime checks in a wasm binary without wasm-tools: custom sections, data
segments and the initial values of globals; and set where a module's stack starts."""

from __future__ import annotations

from ndg.errors import UserError

WASM_HEADER = b"\0asm\x01\0\0\0"


def _leb128(data: bytes, at: int, signed: bool = False) -> tuple[int, int]:
    """The LEB128 number at `at` (at most 32 bits) and the index after it."""
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 28:
            raise UserError("the module is not a valid wasm binary (bad number encoding)")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        shift += 7
        if not byte & 0x80:
            return (value - (1 << shift) if signed and byte & 0x40 else value), at


def unsigned_leb128(value: int) -> bytes:
    """`value` (≥ 0) in the unsigned LEB128 encoding wasm uses for sizes, counts and indices."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def custom_sections(module: bytes) -> dict[str, bytes]:
    """Custom sections (id 0) by name."""
    sections = {}
    for section_id, body in _sections(module):
        if section_id == 0:
            name_len, name_at = _leb128(body, 0)
            sections[body[name_at : name_at + name_len].decode("utf-8", "replace")] = body[name_at + name_len :]
    return sections


def _const_address(data: bytes, at: int, what: str) -> tuple[int, int]:
    """An `i32.const N; end` expression: N as an unsigned address, and where the expression ends."""
    if at >= len(data) or data[at] != 0x41:
        raise UserError(f"the module places its {what} with an expression, not a fixed address",
                        "link it with data at fixed addresses (wasm-ld does, unless built as a shared library)")
    value, at = _leb128(data, at + 1, signed=True)
    if at >= len(data) or data[at] != 0x0B:
        raise UserError(f"the module places its {what} with an expression, not a fixed address")
    return value & 0xFFFFFFFF, at + 1


def _sections(module: bytes):
    if not module.startswith(WASM_HEADER):
        raise UserError("the module is not a wasm binary")
    at = len(WASM_HEADER)
    while at < len(module):
        size, start = _leb128(module, at + 1)
        if start + size > len(module):
            raise UserError("the module is not a valid wasm binary (truncated section)")
        yield module[at], module[start : start + size]
        at = start + size


def data_segments(module: bytes) -> tuple[tuple[int, int], ...]:
    """Each active data segment's (address, length) in the memory it initialises."""
    segments = []
    for section_id, body in _sections(module):
        if section_id != 11:
            continue
        count, at = _leb128(body, 0)
        for _ in range(count):
            flags, at = _leb128(body, at)
            if flags == 2:
                _, at = _leb128(body, at)  # memory index: the module has at most the one it imports
            if flags in (0, 2):
                address, at = _const_address(body, at, "data")
            length, at = _leb128(body, at)
            if flags in (0, 2):
                segments.append((address, length))
            at += length
    return tuple(segments)


def mutable_i32_globals(module: bytes) -> tuple[int, ...]:
    """The initial values of the module's own mutable i32 globals: the stack pointer, when it has one."""
    values = []
    for section_id, body in _sections(module):
        if section_id != 6:
            continue
        count, at = _leb128(body, 0)
        for _ in range(count):
            if at + 2 > len(body):
                raise UserError("the module is not a valid wasm binary (truncated global)")
            value_type, mutable = body[at], body[at + 1]
            if value_type != 0x7F:
                raise UserError("the module has a global that is not an i32",
                                "a node module keeps only its stack pointer and constants in globals")
            value, at = _const_address(body, at + 2, "globals")
            if mutable:
                values.append(value)
    return tuple(values)


def _leb128_bytes(value: int, signed: bool = False) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40) if signed else value == 0
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def with_stack_pointer(module: bytes, address: int) -> bytes:
    """The module with its stack pointer (its one mutable i32 global) starting at `address`: the
    linker puts the stack where it likes; the plan says where every module's stack is."""
    sections = []
    for section_id, body in _sections(module):
        if section_id == 6:
            count, at = _leb128(body, 0)
            entries = [body[:at]]
            for _ in range(count):
                mutable = body[at + 1]
                value, end = _const_address(body, at + 2, "globals")
                initial = address if mutable else value
                entries.append(body[at : at + 2] + b"\x41" + _leb128_bytes(initial - (initial >> 31 << 32), signed=True) + b"\x0b")
                at = end
            body = b"".join(entries)
        sections.append(bytes([section_id]) + _leb128_bytes(len(body)) + body)
    return WASM_HEADER + b"".join(sections)

"""Stop checks: the module rewritten so that a run can be stopped from outside at almost no cost.

wasmtime's own bounds (epoch interruption, fuel) check at every function entry and loop head with
a call into the runtime on their slow path. That call clobbers every float register, so around
each check the compiled code spills and reloads the floats it keeps live, and every small leaf
function (`fmaxf`, `cosf`, …) gains a stack check and spills of its arguments: 10–14% of the plant
and the tree, measured, whether the epoch ever advances or not.

The check added here traps instead of calling: it reads a flag word from a one-page memory of its
own (the *stop memory*, imported as `ndg.stop`) and executes `unreachable` when the word is not
zero, a load, a compare and a branch that is never taken. The host sets the word when the run's
deadline passes (ndg.runtime.sandbox). The module's own code cannot reach that memory: it is
validated before the rewrite with multi-memory off, so none of its instructions names a second
memory, and it may not import `ndg.stop` itself.

A check goes at every loop head, and at the entry of every function that calls another (the only
other way to run without end: recursion). Functions that neither loop nor call run briefly and get
none.

What the checks cost, measured (bench/bench_engines.py; README, "Speed"): 3–5% of the plant and
the tree, all of it at loop heads; the entry checks alone cost nothing measurable. In the hottest
loops the stop memory's address is spilled, so a check is two loads, a test and a branch. Ways
to pay less that were measured and not taken:
- no check in innermost loops without calls: the tree 1.1% instead of 3.6%, but unsound as it
  stands. The loops whose end can be proven from their code (a counter stepped by an odd number
  and tested against 0 or an unchanged local: at most 2^32 turns) are 12 of the plant module's 48
  innermost loops and not the hottest (unrolled ones step by 2), and 2^32 turns of a crafted body
  would run for minutes past the deadline;
- a check reading a word of the plan's own memory, whose address is already in a register: 1%,
  but node code can write that word, so a node could keep itself from being stopped.
"""

from __future__ import annotations

from ndg.runtime.validate import PlanInvalid
from ndg.runtime.wasm_sections import WASM_HEADER, unsigned_leb128

STOP_IMPORT = ("ndg", "stop")
# Part of the compiled-code cache key: a change to the checks must not reuse code compiled before it.
STOP_CHECKS_REVISION = 1
_IMPORT_SECTION, _MEMORY_SECTION, _CODE_SECTION = 2, 5, 10
_MEMORY_IMPORT = 0x02
_LOOP = 0x03
_CALLS = frozenset((0x10, 0x11, 0x12, 0x13))  # call, call_indirect, return_call, return_call_indirect
# One-byte block types: empty, i32, i64, f32, f64, v128, funcref, externref.
_SHORT_BLOCK_TYPES = frozenset((0x40, 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F))
# Opcodes by the immediates that follow them.
_NO_IMMEDIATE = frozenset((0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B, 0xD1, *range(0x45, 0xC5)))
_ONE_INDEX = frozenset((0x0C, 0x0D, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3F, 0x40, 0xD2))
_TWO_INDICES = frozenset((0x11, 0x13))
_MEMORY_ACCESS = frozenset(range(0x28, 0x3F))
# 0xFC sub-opcodes by how many indices follow (0-7: saturating truncations, none).
_FC_INDICES = {**dict.fromkeys(range(8), 0), 8: 2, 9: 1, 10: 2, 11: 1, 12: 2, 13: 1, 14: 2, 15: 1, 16: 1, 17: 1}
# 0xFD (SIMD) sub-opcodes with immediates: memory accesses, lane indices, 16-byte constants.
_SIMD_MEMORY = frozenset((*range(0x0C), 0x5C, 0x5D))
_SIMD_LANE = frozenset(range(0x15, 0x23))
_SIMD_MEMORY_LANE = frozenset(range(0x54, 0x5C))
_SIMD_BYTES16 = frozenset((0x0C, 0x0D))


def _name(text: str) -> bytes:
    return unsigned_leb128(len(text)) + text.encode()


class _Reader:
    def __init__(self, data: bytes, at: int = 0):
        self.data, self.at = data, at

    def byte(self) -> int:
        if self.at >= len(self.data):
            raise PlanInvalid("its module is truncated")
        self.at += 1
        return self.data[self.at - 1]

    def number(self) -> int:
        """A LEB128 number (signed or not: only its end matters here, except for counts)."""
        value, shift = 0, 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value
            if shift > 70:
                raise PlanInvalid("its module has a malformed number")

    def skip(self, count: int) -> None:
        self.at += count
        if self.at > len(self.data):
            raise PlanInvalid("its module is truncated")

    def name(self) -> str:
        length = self.number()
        self.skip(length)
        return self.data[self.at - length : self.at].decode("utf-8", "replace")


def _sections(module: bytes) -> list[tuple[int, bytes]]:
    reader, sections = _Reader(module, len(WASM_HEADER)), []
    while reader.at < len(module):
        section_id, size = reader.byte(), reader.number()
        reader.skip(size)
        sections.append((section_id, module[reader.at - size : reader.at]))
    return sections


def _limits(reader: _Reader) -> None:
    flags = reader.byte()
    reader.number()
    if flags & 1:
        reader.number()


def _imports(body: bytes) -> tuple[list[tuple[str, str]], int]:
    """The (module, name) of every import, and how many of them are memories."""
    reader = _Reader(body)
    names, memories = [], 0
    for _ in range(reader.number()):
        names.append((reader.name(), reader.name()))
        kind = reader.byte()
        if kind == 0x00:  # function: its type index
            reader.number()
        elif kind == 0x01:  # table: element type and limits
            reader.byte()
            _limits(reader)
        elif kind == _MEMORY_IMPORT:
            _limits(reader)
            memories += 1
        elif kind == 0x03:  # global: value type and mutability
            reader.skip(2)
        else:
            raise PlanInvalid(f"its module has an import of unknown kind {kind}")
    return names, memories


def _check(memory_index: int) -> bytes:
    """`if (i32.load memory[memory_index] 0) unreachable`: the memory index rides in the memarg
    (alignment flag bit 6) unless it is 0."""
    memarg = b"\x02\x00" if memory_index == 0 else b"\x42" + unsigned_leb128(memory_index) + b"\x00"
    return b"\x41\x00\x28" + memarg + b"\x04\x40\x00\x0b"


def _skip_instruction(reader: _Reader, opcode: int) -> None:
    """Past the immediates of `opcode`; an instruction this does not know makes the module refused,
    so nothing unchecked can hide behind it."""
    if opcode in _NO_IMMEDIATE:
        return
    if opcode in (0x02, 0x03, 0x04):  # block, loop, if: a block type
        if reader.byte() not in _SHORT_BLOCK_TYPES:
            reader.at -= 1
            reader.number()
    elif opcode in _ONE_INDEX or opcode in (0x41, 0x42):
        reader.number()
    elif opcode in _TWO_INDICES:
        reader.number()
        reader.number()
    elif opcode in _MEMORY_ACCESS:
        _memarg(reader)
    elif opcode == 0x0E:  # br_table: the targets and the default
        for _ in range(reader.number() + 1):
            reader.number()
    elif opcode == 0x1C:  # typed select
        reader.skip(reader.number())
    elif opcode in (0x43, 0x44):
        reader.skip(4 if opcode == 0x43 else 8)
    elif opcode == 0xD0:  # ref.null: a reference type
        reader.byte()
    elif opcode == 0xFC:
        indices = _FC_INDICES.get(reader.number())
        if indices is None:
            raise PlanInvalid("its module uses an instruction ndg's runtime does not support (0xFC prefix)")
        for _ in range(indices):
            reader.number()
    elif opcode == 0xFD:
        _skip_simd(reader, reader.number())
    else:
        raise PlanInvalid(f"its module uses an instruction ndg's runtime does not support (opcode {opcode:#04x})")


def _memarg(reader: _Reader) -> None:
    if reader.number() & 0x40:
        reader.number()  # a memory index
    reader.number()


def _skip_simd(reader: _Reader, operation: int) -> None:
    if operation in _SIMD_BYTES16:
        reader.skip(16)
    elif operation in _SIMD_MEMORY:
        _memarg(reader)
    elif operation in _SIMD_LANE:
        reader.skip(1)
    elif operation in _SIMD_MEMORY_LANE:
        _memarg(reader)
        reader.skip(1)


# The common instructions, stepped over without a call: opcode -> how many LEB128 numbers follow
# (memory accesses: alignment and offset, the memory index never there under multi-memory off).
# 0xFF: anything else, read by `_skip_instruction`.
_INLINE = bytes(0 if op in _NO_IMMEDIATE else 1 if op in _ONE_INDEX or op in (0x41, 0x42) else
                2 if op in _MEMORY_ACCESS or op in _TWO_INDICES else 0xFF for op in range(256))


def _checked_body(body: bytes, check: bytes) -> bytes:
    reader = _Reader(body)
    for _ in range(reader.number()):  # local declarations: a count and a type each
        reader.number()
        reader.byte()
    locals_end = at = reader.at
    pieces, copied, calls, end = [], locals_end, False, len(body)
    try:
        while at < end:
            opcode = body[at]
            at += 1
            numbers = _INLINE[opcode]
            if not numbers:
                continue
            if numbers == 0xFF:
                reader.at = at
                _skip_instruction(reader, opcode)
                at = reader.at
                if opcode == _LOOP:
                    pieces += [body[copied:at], check]
                    copied = at
                continue
            for _ in range(numbers):
                while body[at] & 0x80:
                    at += 1
                at += 1
            if opcode in _CALLS:
                calls = True
    except IndexError:
        raise PlanInvalid("its module is truncated") from None
    pieces.append(body[copied:])
    return body[:locals_end] + (check if calls else b"") + b"".join(pieces)


def _code_section(body: bytes, check: bytes) -> bytes:
    functions = _bodies(_Reader(body), body)
    out = [unsigned_leb128(len(functions))]
    for function in functions:
        function = _checked_body(function, check)
        out += [unsigned_leb128(len(function)), function]
    return b"".join(out)


def _bodies(reader: _Reader, body: bytes) -> list[bytes]:
    bodies = []
    for _ in range(reader.number()):
        size = reader.number()
        reader.skip(size)
        bodies.append(body[reader.at - size : reader.at])
    return bodies


def with_stop_checks(module: bytes) -> bytes:
    """`module` (validated already, with multi-memory off) with the stop memory imported as
    `ndg.stop` and a stop check at every loop head and in every function that calls."""
    sections = _sections(module)
    imports: list[tuple[str, str]] = []
    memories = 0
    for section_id, body in sections:
        if section_id == _IMPORT_SECTION:
            imports, memories = _imports(body)
        elif section_id == _MEMORY_SECTION and _Reader(body).number():
            # An import would shift its index; ndg gives every module the one memory it imports.
            raise PlanInvalid("its module defines a memory of its own instead of importing env.memory")
    if STOP_IMPORT in imports:
        raise PlanInvalid(f"its module imports {'.'.join(STOP_IMPORT)}, which is ndg's own")
    stop_import = _name(STOP_IMPORT[0]) + _name(STOP_IMPORT[1]) + bytes((_MEMORY_IMPORT, 0x01, 0x01, 0x01))
    check = _check(memories)
    out = [WASM_HEADER]
    has_imports = any(section_id == _IMPORT_SECTION for section_id, _ in sections)
    for section_id, body in sections:
        if section_id == _IMPORT_SECTION:
            reader = _Reader(body)
            count = reader.number()
            body = unsigned_leb128(count + 1) + body[reader.at :] + stop_import
        elif section_id == _CODE_SECTION:
            body = _code_section(body, check)
        if not has_imports and section_id != 0 and section_id > _IMPORT_SECTION:
            out += [bytes((_IMPORT_SECTION,)), _sized(unsigned_leb128(1) + stop_import)]
            has_imports = True
        out += [bytes((section_id,)), _sized(body)]
    if not has_imports:
        out += [bytes((_IMPORT_SECTION,)), _sized(unsigned_leb128(1) + stop_import)]
    return b"".join(out)


def _sized(body: bytes) -> bytes:
    return unsigned_leb128(len(body)) + body

"""What wasmtime compiles for a plan's module: the module rewritten so that a run can be stopped
from outside at almost no cost, and so that no instruction can crash the process by writing into
the memory's read-only pages.

Page 0 of the plan's memory (`[0, mmap.PAGESIZE)`, the bottom of the one stack every layout puts
at address 0) is read-only to the module (ndg.runtime.read_only): the host writes it, the code
reads it. Word 0 is the *stop word*; after it come the protected ranges, the read-only pages of
the memory as `[start, end)` pairs (`PROTECTED_COUNT`, `PROTECTED_RANGES`).

Stop checks (`stop_checks=True`, under a deadline). wasmtime's own bounds (epoch interruption,
fuel) check at every function entry and loop head with a call into the runtime on their slow path.
That call clobbers every float register, so around each check the compiled code spills and
reloads the floats it keeps live, and every small leaf function (`fmaxf`, `cosf`, …) gains a stack
check and spills of its arguments: 10–14% of the plant and the tree, measured, whether the epoch
ever advances or not. The check added here traps instead of calling:
`i32.load (i32.const 0); if; unreachable; end`, a load from the memory whose base the code keeps in
a register anyway, a compare and a branch that is never taken. The host sets the word when the
run's deadline passes (ndg.runtime.sandbox); the module cannot clear it, the page being read-only.
A check goes at every loop head, and at the entry of every function that calls another (the only
other way to run without end: recursion). Functions that neither loop nor call run briefly and get
none.

Bulk-memory guards (always, under fuel too). A plain store into a read-only page traps at the
store ("memory fault at wasm address …"), but `memory.fill`, `memory.copy` and `memory.init` are
carried out by wasmtime's host code, where the same fault kills the process. Each of them becomes
a call to a guard appended to the module: when its destination `[to, to + n)` overlaps a protected
range, the guard loads and stores back the first protected byte (so the fault and its address are
those of a plain store) and does not go on; otherwise it does the original instruction. The
ranges are read from page 0 at run time, not built into the code: compiled code is cached per
module and node modules are shared by plans of other layouts.

What the checks cost, measured (bench/bench_engines.py; README, "Speed"): 3–5% of the plant and
the tree while the stop word lived in a one-page memory of its own (`ndg.stop`), whose base the
hottest loops kept spilled, so that a check was two loads; read from page 0 of the plan's memory
it is one load. Ways to pay less that were measured and not taken: no check in innermost loops
without calls (the tree 1.1% instead of 3.6%) is unsound: the loops whose end can be proven from
their code are 12 of the plant module's 48 innermost loops, not the hottest, and 2^32 turns of a
crafted body would run for minutes past the deadline.
"""

from __future__ import annotations

import functools

import wasmtime

from ndg.runtime.validate import PlanInvalid
from ndg.runtime.wasm_sections import WASM_HEADER, unsigned_leb128

# Page 0, as the host writes it and the code reads it: byte addresses of u32 words.
STOP_WORD = 0
PROTECTED_COUNT = 4
PROTECTED_RANGES = 8  # PROTECTED_COUNT pairs of [start, end) byte addresses
# Part of the compiled-code cache key: a change to the rewrite must not reuse code compiled before it.
SANDBOX_REVISION = 2
_TYPE_SECTION, _IMPORT_SECTION, _FUNCTION_SECTION, _MEMORY_SECTION, _CODE_SECTION = 1, 2, 3, 5, 10
_FUNCTION_IMPORT, _MEMORY_IMPORT = 0x00, 0x02
_LOOP, _CALL, _BULK_PREFIX = 0x03, 0x10, 0xFC
_CALLS = frozenset((0x10, 0x11, 0x12, 0x13))  # call, call_indirect, return_call, return_call_indirect
# 0xFC sub-opcodes that write the memory from host code: memory.init, memory.copy, memory.fill.
_BULK_WRITES = frozenset((8, 10, 11))
# `if (i32.load STOP_WORD) unreachable`
_STOP_CHECK = b"\x41" + unsigned_leb128(STOP_WORD) + b"\x28\x02\x00\x04\x40\x00\x0b"
# The signature of every guard: the three operands of the instruction it guards.
_GUARD_TYPE = b"\x60\x03\x7f\x7f\x7f\x00"
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
# A guard, written for memory.fill; the guards of the other instructions differ only in their
# last instruction (`_guard_body`).
_GUARD = f"""(module (import "env" "memory" (memory 1))
  (func (param $to i32) (param $from i32) (param $n i32)
        (local $range i32) (local $start i64) (local $end i64) (local $first i64) (local $last i64)
    (if (local.get $n) (then
      (local.set $start (i64.extend_i32_u (local.get $to)))
      (local.set $end (i64.add (local.get $start) (i64.extend_i32_u (local.get $n))))
      (local.set $range (i32.load (i32.const {PROTECTED_COUNT})))
      (loop $ranges (if (local.get $range) (then
        (local.set $range (i32.sub (local.get $range) (i32.const 1)))
        (local.set $first (i64.load32_u offset={PROTECTED_RANGES} (i32.shl (local.get $range) (i32.const 3))))
        (local.set $last (i64.load32_u offset={PROTECTED_RANGES + 4} (i32.shl (local.get $range) (i32.const 3))))
        (if (i32.and (i64.lt_u (local.get $start) (local.get $last)) (i64.lt_u (local.get $first) (local.get $end)))
          (then
            ;; the first protected byte it would write: fault there as a plain store would
            (local.set $first (select (local.get $start) (local.get $first)
                                      (i64.gt_u (local.get $start) (local.get $first))))
            (i32.store8 (i32.wrap_i64 (local.get $first)) (i32.load8_u (i32.wrap_i64 (local.get $first))))
            unreachable))
        (br $ranges))))))
    (memory.fill (local.get $to) (local.get $from) (local.get $n))))"""
_FILL_END = b"\xfc\x0b\x00\x0b"  # memory.fill 0, end


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


def _imports(body: bytes) -> tuple[int, int]:
    """How many of the imports are functions, and how many memories."""
    reader = _Reader(body)
    functions = memories = 0
    for _ in range(reader.number()):
        reader.name()
        reader.name()
        kind = reader.byte()
        if kind == _FUNCTION_IMPORT:  # its type index
            reader.number()
            functions += 1
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
    return functions, memories


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


class _Guards:
    """The guards a module's bulk-memory instructions call: one function per distinct instruction
    (its immediates included: `memory.init` names a data segment), appended after the module's own."""

    def __init__(self, first_index: int):
        self.first_index = first_index
        self.instructions: dict[bytes, int] = {}

    def call(self, instruction: bytes) -> bytes:
        index = self.instructions.setdefault(instruction, self.first_index + len(self.instructions))
        return bytes((_CALL,)) + unsigned_leb128(index)

    def bodies(self) -> list[bytes]:
        return [_guard_body(instruction) for instruction in self.instructions]


@functools.cache
def _guard_prefix() -> bytes:
    """The guard's body up to the instruction it guards, compiled from `_GUARD`."""
    code = next(body for section_id, body in _sections(bytes(wasmtime.wat2wasm(_GUARD))) if section_id == _CODE_SECTION)
    (body,) = _bodies(_Reader(code), code)
    assert body.endswith(_FILL_END)
    return body[: -len(_FILL_END)]


def _guard_body(instruction: bytes) -> bytes:
    return _guard_prefix() + instruction + b"\x0b"


def _checked_body(body: bytes, check: bytes, guards: _Guards) -> bytes:
    """`body` with `check` at every loop head and at its entry when it calls, and a call to its
    guard in place of every bulk-memory write."""
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
                if opcode == _LOOP:
                    pieces += [body[copied : reader.at], check]
                    copied = reader.at
                elif opcode == _BULK_PREFIX and _Reader(body, at).number() in _BULK_WRITES:
                    pieces += [body[copied : at - 1], guards.call(body[at - 1 : reader.at])]
                    copied = reader.at
                at = reader.at
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


def _bodies(reader: _Reader, body: bytes) -> list[bytes]:
    bodies = []
    for _ in range(reader.number()):
        size = reader.number()
        reader.skip(size)
        bodies.append(body[reader.at - size : reader.at])
    return bodies


def _appended(body: bytes, entries: list[bytes]) -> bytes:
    """A vector section's `body` (a count, then its entries) with `entries` after its own."""
    reader = _Reader(body)
    count = reader.number()
    return unsigned_leb128(count + len(entries)) + body[reader.at :] + b"".join(entries)


def sandboxed_code(module: bytes, stop_checks: bool) -> bytes:
    """`module` (validated already, with multi-memory off) with its bulk-memory writes guarded,
    and with `stop_checks` a stop check at every loop head and in every function that calls."""
    sections = _sections(bytes(module))
    functions = memories = 0
    for section_id, body in sections:
        if section_id == _IMPORT_SECTION:
            functions, memories = _imports(body)
        elif section_id == _FUNCTION_SECTION:
            functions += _Reader(body).number()
        elif section_id == _MEMORY_SECTION and _Reader(body).number():
            # Page 0 and the stop word are the host's memory's: a memory of the module's own has neither.
            raise PlanInvalid("its module defines a memory of its own instead of importing env.memory")
    if memories != 1:
        raise PlanInvalid("its module does not import the plan's memory (env.memory)")
    guards = _Guards(first_index=functions)
    check = _STOP_CHECK if stop_checks else b""
    code = [[_checked_body(function, check, guards) for function in _bodies(_Reader(body), body)]
            for section_id, body in sections if section_id == _CODE_SECTION]
    types = next((_Reader(body).number() for section_id, body in sections if section_id == _TYPE_SECTION), 0)
    out = [WASM_HEADER]
    for section_id, body in sections:
        if section_id == _CODE_SECTION:
            bodies = [*code[0], *guards.bodies()]
            body = unsigned_leb128(len(bodies)) + b"".join(_sized(function) for function in bodies)
        elif section_id == _TYPE_SECTION and guards.instructions:
            body = _appended(body, [_GUARD_TYPE])
        elif section_id == _FUNCTION_SECTION and guards.instructions:
            body = _appended(body, [unsigned_leb128(types)] * len(guards.instructions))
        out += [bytes((section_id,)), _sized(body)]
    return b"".join(out)


def _sized(body: bytes) -> bytes:
    return unsigned_leb128(len(body)) + body

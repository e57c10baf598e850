"""What wasmtime compiles for a plan's module: the module rewritten so that a run can be stopped
from outside at almost no cost, and so that no instruction can crash the process by writing into
the memory's read-only pages.

Page 0 of the plan's memory (`[0, mmap.PAGESIZE)`, the bottom of the one stack every layout puts
at address 0) is read-only to the module (ndg.runtime.read_only): the host writes it, the code
reads it. Word 0 is the *stop word*; after it come the end of page 0 and where the read-only
pages of the fixed tables start and end (`LOWEST_PAGE_END`, `FIXED_PAGES`).

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
carried out by wasmtime's host code, where the same fault kills the process. So each of them is
guarded: its operands go to three new locals, and when `n` is not 0 and the destination
`[to, to + n)` (in i64) reaches page 0 or the fixed pages, a call to a fault function appended to
the module loads and stores back the first protected byte (so the fault and its address are those
of a plain store) and never returns; otherwise the original instruction runs. (A guard as a call
around the instruction cost the plant 1.5% by the call alone.) The read-only pages are read from
page 0 at run time, not built into the code: compiled code is cached per module, and node
modules are shared by plans of other layouts.

What the rewrite costs, measured (bench/bench_engines.py, and the same runner compiled with the
stop checks alone, the guards alone and both, side by side; `taskset -c 1`, best of many, on a
machine shared with other work, so ±1%): the stop checks about 1% of the plant and the tree, all
of it at loop heads; the guards nothing measurable, most destinations being slots, above the
fixed pages, where one load, a compare and a branch decide. Measured and not taken: the guard as
a call around the instruction (the plant 1.5% by the call alone), or with its whole check before
one branch (2%). The checks cost 3–5% while the stop word lived in a one-page memory of its own
(`ndg.stop`), whose base the hottest loops kept spilled, so that a check was two loads. No check
in innermost loops without calls (the tree 1.1% instead of 3.6% then) is unsound: the loops whose
end can be proven from their code are 12 of the plant module's 48 innermost loops, not the
hottest, and 2^32 turns of a crafted body would run for minutes past the deadline.
"""

from __future__ import annotations

import functools

import wasmtime

from ndg.runtime.validate import PlanInvalid
from ndg.runtime.wasm_sections import WASM_HEADER, unsigned_leb128

# Page 0, as the host writes it and the code reads it: byte addresses of u32 words.
STOP_WORD = 0
LOWEST_PAGE_END = 4  # page 0 is [0, LOWEST_PAGE_END)
FIXED_PAGES = 8  # then [start, end) of the fixed tables' read-only pages (empty at page 0's end if none)
# Part of the compiled-code cache key: a change to the rewrite must not reuse code compiled before it.
SANDBOX_REVISION = 4
_TYPE_SECTION, _IMPORT_SECTION, _FUNCTION_SECTION, _MEMORY_SECTION, _CODE_SECTION = 1, 2, 3, 5, 10
_FUNCTION_IMPORT, _MEMORY_IMPORT = 0x00, 0x02
_LOOP, _CALL, _BULK_PREFIX = 0x03, 0x10, 0xFC
_CALLS = frozenset((0x10, 0x11, 0x12, 0x13))  # call, call_indirect, return_call, return_call_indirect
# 0xFC sub-opcodes that write the memory from host code: memory.init, memory.copy, memory.fill.
_BULK_WRITES = frozenset((8, 10, 11))
# `if (i32.load STOP_WORD) unreachable`
_STOP_CHECK = b"\x41" + unsigned_leb128(STOP_WORD) + b"\x28\x02\x00\x04\x40\x00\x0b"
# The signature of the fault function the guards call: the destination.
_FAULT_TYPE = b"\x60\x01\x7f\x00"
_I32 = 0x7F
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
# Called by a guard that found its instruction's destination on a read-only page: it writes the
# first protected byte of it (as it was), so that the fault and its address are those of a plain
# store there, and never returns.
_FAULT = f"""(module (import "env" "memory" (memory 1))
  (func (param $to i32) (local $at i32)
    (local.set $at (i32.load (i32.const {FIXED_PAGES})))
    (local.set $at (select (local.get $to) (local.get $at)
                           (i32.or (i32.lt_u (local.get $to) (i32.load (i32.const {LOWEST_PAGE_END})))
                                   (i32.gt_u (local.get $to) (local.get $at)))))
    (i32.store8 (local.get $at) (i32.load8_u (local.get $at)))
    unreachable))"""


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


def _guard(instruction: bytes, first_local: int, fault: int) -> bytes:
    """`instruction` (memory.fill, memory.copy or memory.init: a destination, a value or source,
    and a length on the stack) with its guard before it, in three new locals from `first_local`:
    when the destination `to` lies below the end of the fixed pages (most writes go above it, to
    the slots), and the length is not 0, and [to, to + n) (in i64) reaches into page 0 or the fixed
    pages, a call to the fault function."""
    to, middle, n = (unsigned_leb128(first_local + index) for index in range(3))
    get, set_, tee = b"\x20", b"\x21", b"\x22"
    load_i32, load_u32_as_i64 = b"\x41\x00\x28\x02", b"\x41\x00\x35\x02"  # (i32.const 0) and a load, offset follows
    lt_u, lt_u_64, extend_u, add_64, either, select, if_, end = (
        b"\x49", b"\x54", b"\xad", b"\x7c", b"\x72", b"\x1b", b"\x04\x40", b"\x0b")
    return b"".join((
        set_ + n, set_ + middle, tee + to, load_i32 + unsigned_leb128(FIXED_PAGES + 4), lt_u, if_,
        get + to, load_i32 + unsigned_leb128(LOWEST_PAGE_END), lt_u,  # to < the end of page 0, or
        load_u32_as_i64 + unsigned_leb128(FIXED_PAGES), get + to, extend_u, get + n, extend_u, add_64, lt_u_64,  # start < to + n
        either, b"\x41\x00", get + n, select,  # … unless n is 0
        if_, get + to, bytes((_CALL,)), unsigned_leb128(fault), end, end,
        get + to, get + middle, get + n, instruction,
    ))


def _checked_body(body: bytes, params: int, check: bytes, fault: int) -> tuple[bytes, bool]:
    """`body` (of a function with `params` parameters) with `check` at every loop head and at its
    entry when it calls, and every bulk-memory write guarded; and whether it has any."""
    reader = _Reader(body)
    declarations = reader.number()
    declarations_start, first_local = reader.at, params
    for _ in range(declarations):  # local declarations: a count and a type each
        first_local += reader.number()
        reader.byte()
    locals_end = at = reader.at
    pieces, copied, calls, guarded, end = [], locals_end, False, False, len(body)
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
                    pieces += [body[copied : at - 1], _guard(body[at - 1 : reader.at], first_local, fault)]
                    copied, guarded = reader.at, True
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
    local_declarations = body[:locals_end]
    if guarded:  # the guards' three i32 locals after the function's own
        local_declarations = unsigned_leb128(declarations + 1) + body[declarations_start:locals_end] + b"\x03" + bytes((_I32,))
    return local_declarations + (check if calls else b"") + b"".join(pieces), guarded


@functools.cache
def _fault_body() -> bytes:
    code = next(body for section_id, body in _sections(bytes(wasmtime.wat2wasm(_FAULT))) if section_id == _CODE_SECTION)
    (body,) = _bodies(_Reader(code), code)
    return body


def _param_counts(body: bytes) -> list[int]:
    """How many parameters each function type of a type section has."""
    reader, counts = _Reader(body), []
    for _ in range(reader.number()):
        if reader.byte() != 0x60:
            raise PlanInvalid("its module has a type that is not a function type")
        params = reader.number()
        reader.skip(params)  # value types: one byte each with typed references off
        counts.append(params)
        reader.skip(reader.number())
    return counts


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
    imported = memories = 0
    param_counts: list[int] = []
    function_types: list[int] = []
    for section_id, body in sections:
        if section_id == _TYPE_SECTION:
            param_counts = _param_counts(body)
        elif section_id == _IMPORT_SECTION:
            imported, memories = _imports(body)
        elif section_id == _FUNCTION_SECTION:
            reader = _Reader(body)
            function_types = [reader.number() for _ in range(reader.number())]
        elif section_id == _MEMORY_SECTION and _Reader(body).number():
            # Page 0 and the stop word are the host's memory's: a memory of the module's own has neither.
            raise PlanInvalid("its module defines a memory of its own instead of importing env.memory")
    if memories != 1:
        raise PlanInvalid("its module does not import the plan's memory (env.memory)")
    fault = imported + len(function_types)  # appended after the module's own functions
    check = _STOP_CHECK if stop_checks else b""
    code: list[bytes] = []
    guarded = False
    for section_id, body in sections:
        if section_id == _CODE_SECTION:
            for function, type_index in zip(_bodies(_Reader(body), body), function_types):
                function, guards = _checked_body(function, param_counts[type_index], check, fault)
                code.append(function)
                guarded |= guards
    out = [WASM_HEADER]
    for section_id, body in sections:
        if section_id == _CODE_SECTION:
            functions = [*code, _fault_body()] if guarded else code
            body = unsigned_leb128(len(functions)) + b"".join(_sized(function) for function in functions)
        elif section_id == _TYPE_SECTION and guarded:
            body = _appended(body, [_FAULT_TYPE])
        elif section_id == _FUNCTION_SECTION and guarded:
            body = _appended(body, [unsigned_leb128(len(param_counts))])
        out += [bytes((section_id,)), _sized(body)]
    return b"".join(out)


def _sized(body: bytes) -> bytes:
    return unsigned_leb128(len(body)) + body

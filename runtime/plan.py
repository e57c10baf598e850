"""The execution plan: everything a run needs, with every address fixed before it starts.

A plan file is `MAGIC`, a little-endian u32 format version, a u32 header length, the SHA-256 of
the header, the header as UTF-8 JSON, then the module's bytes when the module is embedded (the
header records the module's SHA-256 too). A per-node plan's modules are the dispatcher's bytes
followed by each node module's, in kind order. A damaged file is therefore refused, not run with a
changed constant; and `ndg.runtime.validate` checks every plan completely before anything runs.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import stat
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ndg.errors import UserError
from ndg.runtime.abi import (
    ABI_VERSION,
    DIGEST_BYTES,
    MAGIC,
    PAGE_BYTES,
    PLAN_VERSION,
    RECORD_HEADER_WORDS,
    RECORD_INPUT_WORDS,
    VALUE_ENTRY_BYTES,
    WORD_BYTES,
    RecordField,
    RecordInputField,
    RegionKind,
    SlotPolicy,
    ValueEntryField,
    ValueType,
)
from ndg.runtime.file_kinds import file_kind

# A value table entry's `len` word, which records point straight at.
LEN_FIELD_BYTES = WORD_BYTES * ValueEntryField.LEN


@dataclass(frozen=True, slots=True)
class Region:
    """A named range of the memory; `kind` is static, module (a per-node module's static region,
    named by its node id), control, values, steps, records, constants, params, slot or guard."""

    kind: RegionKind
    name: str
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True, slots=True)
class Value:
    """A constant or a parameter (its `words` given: a parameter's are its default), or a node's
    output slot (`producer` is its step; `live_until` the last step that reads it, or the number of
    steps for the graph's output, which lives to the end)."""

    type: ValueType
    offset: int
    capacity: int
    words: tuple[int, ...] | None = None
    producer: int | None = None
    live_until: int | None = None


@dataclass(frozen=True)
class Param:
    """A graph parameter: `value` indexes the Value (in the params region) that holds it, preset to
    its default; a run may change it to anything of its type within [min, max]."""

    name: str
    type: ValueType
    value: int
    min: float | int | None = None
    max: float | int | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One node's run: its kind, its output value, its input values (named as in its definition)."""

    node: str
    kind: int
    output: int
    inputs: tuple[int, ...]
    input_names: tuple[str, ...]
    line: int
    col: int


@dataclass(frozen=True)
class Module:
    sha256: str
    size: int
    path: str | None = None


@dataclass(frozen=True)
class NodeModule:
    """In a per-node plan, the module of one node kind (kinds and modules are in the same order):
    its bytes' SHA-256 and size. Its static region is the `module` region named by the node id."""

    node: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Plan:
    source: str
    module: Module
    kinds: tuple[str, ...]
    memory_pages: int
    regions: tuple[Region, ...]
    values: tuple[Value, ...]
    steps: tuple[Step, ...]
    output: int
    params: tuple[Param, ...] = ()
    layout: SlotPolicy = SlotPolicy.KEEP
    peak_live_bytes: int = 0
    # Empty for a plan over one module; otherwise `module` is the dispatcher and these the nodes'.
    modules: tuple[NodeModule, ...] = ()
    version: int = PLAN_VERSION
    abi_version: int = ABI_VERSION
    # Compatibility mode: the nodes reproduce Nodarium's bugs too (ndg_util::compat()).
    compat: bool = False

    @property
    def memory_bytes(self) -> int:
        return self.memory_pages * PAGE_BYTES

    def region(self, kind: RegionKind) -> Region:
        return next(r for r in self.regions if r.kind == kind)

    def step_records(self) -> StepRecords:
        """Every step's record, as the module reads them, built from the values' fields with numpy:
        a plan may have a million steps, and this runs before each plan is validated and loaded."""
        table = self.region(RegionKind.VALUES).offset
        offsets = np.array([v.offset for v in self.values], dtype=np.int64)
        capacities = np.array([v.capacity for v in self.values], dtype=np.int64)
        outputs = np.array([s.output for s in self.steps], dtype=np.int64)
        n_inputs = np.array([len(s.inputs) for s in self.steps], dtype=np.int64)
        inputs = np.fromiter(itertools.chain.from_iterable(s.inputs for s in self.steps), dtype=np.int64,
                             count=int(n_inputs.sum()))
        sizes = RECORD_HEADER_WORDS + RECORD_INPUT_WORDS * n_inputs
        starts = np.cumsum(sizes) - sizes
        words = np.zeros(int(sizes.sum()), dtype=np.int64)
        words[starts + RecordField.KIND] = [s.kind for s in self.steps]
        words[starts + RecordField.OUT_PTR] = offsets[outputs]
        words[starts + RecordField.OUT_CAPACITY] = capacities[outputs]
        words[starts + RecordField.OUT_LEN_PTR] = table + VALUE_ENTRY_BYTES * outputs + LEN_FIELD_BYTES
        words[starts + RecordField.N_INPUTS] = n_inputs
        # Each input's pair: its record's start, past the header, then RECORD_INPUT_WORDS per earlier input.
        position = np.arange(len(inputs)) - np.repeat(np.cumsum(n_inputs) - n_inputs, n_inputs)
        pairs = np.repeat(starts, n_inputs) + RECORD_HEADER_WORDS + RECORD_INPUT_WORDS * position
        words[pairs + RecordInputField.PTR] = offsets[inputs]
        words[pairs + RecordInputField.LEN_PTR] = table + VALUE_ENTRY_BYTES * inputs + LEN_FIELD_BYTES
        return StepRecords(words, starts)


@dataclass(frozen=True)
class StepRecords:
    """The records region's words, one record after another, and the word index where each starts."""

    words: np.ndarray
    starts: np.ndarray

    def record(self, step: int) -> list[int]:
        end = self.starts[step + 1] if step + 1 < len(self.starts) else len(self.words)
        return self.words[self.starts[step] : end].tolist()


def record_words(n_inputs: int) -> int:
    return RECORD_HEADER_WORDS + RECORD_INPUT_WORDS * n_inputs


def module_digest(module: bytes) -> str:
    return hashlib.sha256(module).hexdigest()


def dispatcher_import(kind: int) -> str:
    return f"kind{kind}"


def split_modules(plan: Plan, modules: bytes) -> tuple[bytes, tuple[bytes, ...]]:
    """A per-node plan's module bytes as the dispatcher and each node's module, by the recorded sizes."""
    sizes = [plan.module.size, *(m.size for m in plan.modules)]
    if not all(isinstance(size, int) and not isinstance(size, bool) and size > 0 for size in sizes):
        raise _corrupt("a module's size is not a positive number")
    if sum(sizes) != len(modules):
        raise _corrupt(f"its modules hold {len(modules)} bytes, not the {sum(sizes)} its header lists")
    parts, at = [], 0
    for size in sizes:
        parts.append(modules[at : at + size])
        at += size
    return parts[0], tuple(parts[1:])


def _corrupt(why: str) -> UserError:
    return UserError(f"the plan file is damaged or not a plan: {why}",
                     "compile it again with `ndg compile FILE.ndg -o FILE.ndp`")


def _build(cls, data, convert=None):
    if not isinstance(data, dict):
        raise _corrupt(f"{cls.__name__} is not an object")
    try:
        return cls(**(convert(data) if convert else data))
    except TypeError as error:
        raise _corrupt(f"{cls.__name__}: {error}") from None


def _value(data: dict) -> dict:
    words = data.get("words")
    return {**data, "words": tuple(words) if isinstance(words, list) else words}


def _step(data: dict) -> dict:
    def as_tuple(value):
        return tuple(value) if isinstance(value, list) else value
    return {**data, "inputs": as_tuple(data.get("inputs")), "input_names": as_tuple(data.get("input_names"))}


def plan_from_header(header: dict) -> Plan:
    def plan_fields(data: dict) -> dict:
        return {
            **data,
            "module": _build(Module, data.get("module")),
            "kinds": tuple(data.get("kinds") or ()),
            "regions": tuple(_build(Region, r) for r in data.get("regions") or ()),
            "values": tuple(_build(Value, v, _value) for v in data.get("values") or ()),
            "steps": tuple(_build(Step, s, _step) for s in data.get("steps") or ()),
            "params": tuple(_build(Param, p) for p in data.get("params") or ()),
            "modules": tuple(_build(NodeModule, m) for m in data.get("modules") or ()),
        }
    return _build(Plan, header, plan_fields)


def encode_plan(plan: Plan, module: bytes | None) -> bytes:
    header = json.dumps(asdict(plan), separators=(",", ":")).encode()
    digest = hashlib.sha256(header).digest()
    return MAGIC + struct.pack("<II", PLAN_VERSION, len(header)) + digest + header + (module or b"")


def decode_plan(data: bytes) -> tuple[Plan, bytes | None]:
    """The plan and its embedded module (None when the header refers to a module file)."""
    if not data.startswith(MAGIC):
        raise _corrupt("it does not start with the ndg plan signature")
    if len(data) < len(MAGIC) + 8:
        raise _corrupt("it is truncated")
    version, header_len = struct.unpack_from("<II", data, len(MAGIC))
    if version != PLAN_VERSION:
        raise UserError(f"the plan has format version {version}; this ndg reads version {PLAN_VERSION}",
                        "compile the graph again with this ndg")
    digest_at = len(MAGIC) + 8
    start = digest_at + DIGEST_BYTES
    if start + header_len > len(data):
        raise _corrupt("its header is truncated")
    if hashlib.sha256(data[start : start + header_len]).digest() != data[digest_at:start]:
        raise _corrupt("its header does not match its checksum")
    try:
        header = json.loads(data[start : start + header_len])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _corrupt(f"its header is not JSON ({error})") from None
    except RecursionError:
        raise _corrupt("its header nests JSON deeper than a plan ever does") from None
    plan = plan_from_header(header)
    module = data[start + header_len :]
    return plan, module if module else None


def save_plan(path, plan: Plan, module: bytes | None, inputs=()) -> None:
    """Write a plan file by ndg.outputs' rules (`inputs`: files it must not overwrite)."""
    from ndg.outputs import write_output

    write_output(path, encode_plan(plan, module), inputs)


def read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file: a FIFO or a device raises OSError instead of hanging or
    reading without end."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return file.read()


def load_plan(path: Path) -> tuple[Plan, bytes]:
    """Read a plan file and its module (embedded, or the file its header names)."""
    path = Path(path)
    if path.suffix == ".ndg":
        raise UserError(f"{path} is a graph, not a plan", f"compile it first: `ndg compile {path}`")
    try:
        data = read_regular_file(path)
    except OSError as error:
        raise UserError(f"cannot read plan {path}: {error.strerror}") from None
    kind = file_kind(path, data[:16])
    if not data.startswith(MAGIC) and kind is not None:
        raise UserError(f"{path} is {kind}, not a plan",
                        "give a plan (.ndp, from `ndg compile`) or, to `ndg run`, a graph (.ndg)")
    plan, module = decode_plan(data)
    if module is None:
        if not isinstance(plan.module.path, str):
            raise _corrupt("it neither embeds its module nor names a module file")
        module_path = (path.parent / plan.module.path).resolve()
        try:
            module = read_regular_file(module_path)
        except OSError as error:
            raise UserError(f"cannot read the plan's module {module_path}: {error.strerror}",
                            "keep the module file beside the plan, or compile with the module embedded") from None
    return plan, module

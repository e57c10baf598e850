"""The plan format and the shared-memory ABI (docs/plan-format.md).

GENERATED from spec/abi.toml by spec/generate.py: do not edit; change the spec and run `make spec`.
"""

from enum import IntEnum, StrEnum

MAGIC = b'NDGPLAN\n'
WORD_BYTES = 4
ALIGN = 16
PAGE_BYTES = 65536
MAX_PAGES = 16384
GUARD_WORD = 0x4E444721
GUARD_BYTES = 16
PLAN_VERSION = 1
DIGEST_BYTES = 32
STEP_EXPORT = "ndg_step"
MAX_NODE_MODULES = 256
ABI_VERSION = 3
MESSAGE_BYTES = 1024
RUN_SHIFT = 8
CONTROL_FIELDS = 10
CONTROL_BYTES = 1064
VALUE_ENTRY_WORDS = 3
VALUE_ENTRY_BYTES = 12
RECORD_HEADER_WORDS = 5
RECORD_INPUT_WORDS = 2
FLAG_COMPAT = 1
HEADER_FIELDS = ("source", "module", "kinds", "memory_pages", "regions", "values", "steps", "output", "params", "layout", "peak_live_bytes", "modules", "version", "abi_version", "compat",)


class ControlField(IntEnum):
    """Word index of each control block field; the message buffer follows them."""

    # Written by the host: the ABI version; a module refuses any other.
    ABI_VERSION = 0
    # Written by the host: the address of the value table.
    VALUES = 1
    # Written by the host: the number of value table entries.
    N_VALUES = 2
    # Written by the host: the address of the step index (one record address per step).
    STEPS = 3
    # Written by the host: the number of steps.
    N_STEPS = 4
    # Written by the module: the step running now, read after a trap to name the node.
    CURRENT_STEP = 5
    # Written by the module: the status of the last run (one of `status`).
    STATUS = 6
    # Written by the module: the capacity for `capacity`, the input index for `bad_input`.
    DETAIL = 7
    # Written by the module: how many bytes of the message buffer hold a UTF-8 message.
    MESSAGE_LEN = 8
    # Written by the host before a run: a sum of `flags`.
    FLAGS = 9


class ValueEntryField(IntEnum):
    """Word index of each field of a value table entry."""

    # The address of the value's words.
    PTR = 0
    # How many words the value may hold.
    CAPACITY = 1
    # How many words it holds: preset for constants and parameters, written after a slot's step runs.
    LEN = 2


class RecordField(IntEnum):
    """Word index of each field of a step record's header."""

    # The node kind (an index into the plan's `kinds`).
    KIND = 0
    # The address of the output slot.
    OUT_PTR = 1
    # The output slot's capacity in words.
    OUT_CAPACITY = 2
    # The address of the output value's `len` word in the value table.
    OUT_LEN_PTR = 3
    # The number of inputs that follow.
    N_INPUTS = 4


class RecordInputField(IntEnum):
    """Word index of each field of a step record's per-input pair."""

    # The address of the input value's words.
    PTR = 0
    # The address of the input value's `len` word in the value table.
    LEN_PTR = 1


class Status(IntEnum):
    """What a module's run returns, also left in the control block's `status`."""

    # Every step ran.
    OK = 0
    # A node needed more words than its output slot holds (`detail`: the capacity); it wrote nothing past it.
    CAPACITY = 1
    # A node got a malformed value on an input (`detail`: the input's index).
    BAD_INPUT = 2
    # A node refused its inputs; the message says why.
    INVALID = 3
    # A step record does not match its node kind (`detail`: the kind).
    BAD_STEP = 4
    # A node ran out of its scratch heap (`detail`: its size in bytes); the module traps right after.
    SCRATCH_EXHAUSTED = 5
    # The control block does not match the module (ABI version or step range).
    BAD_CONTROL = 6


class ValueType(StrEnum):
    """The type of a value in the plan."""

    FLOAT = "float"
    INTEGER = "integer"
    SELECT = "select"
    SEED = "seed"
    BOOLEAN = "boolean"
    VEC3 = "vec3"
    PATH = "path"
    GEOMETRY = "geometry"
    INSTANCES = "instances"
    RESULT = "result"
    EXPRESSION = "expression"


class RegionKind(StrEnum):
    """The kind of a region of the memory, in the order the memory holds them."""

    STATIC = "static"
    MODULE = "module"
    CONTROL = "control"
    VALUES = "values"
    STEPS = "steps"
    RECORDS = "records"
    CONSTANTS = "constants"
    PARAMS = "params"
    SLOT = "slot"
    GUARD = "guard"


class SlotPolicy(StrEnum):
    """How the node outputs' slots are laid out."""

    KEEP = "keep"
    REUSE = "reuse"


# Scalar types and how many words each takes; bulk types are lists of items in the word format.
SCALAR_WORDS = {ValueType.FLOAT: 1, ValueType.INTEGER: 1, ValueType.SELECT: 1, ValueType.SEED: 1, ValueType.BOOLEAN: 1, ValueType.VEC3: 3}
BULK_TYPES = (ValueType.PATH, ValueType.GEOMETRY, ValueType.INSTANCES,)

// The shared-memory ABI's constants and the control block's layout (docs/plan-format.md).
// GENERATED from spec/abi.toml by spec/generate.py: do not edit; change the spec and run `make spec`.
// Included by abi.rs.

pub const ABI_VERSION: u32 = 3;
pub const GUARD_WORD: u32 = 0x4E444721;
pub const MESSAGE_BYTES: usize = 1024;
pub const CONTROL_BYTES: usize = 1064;
pub const VALUE_ENTRY_BYTES: usize = 12;
pub const RECORD_HEADER_WORDS: usize = 5;
pub const RECORD_INPUT_WORDS: usize = 2;
pub const RUN_SHIFT: u32 = 8;

/// The node kind (an index into the plan's `kinds`).
pub const RECORD_KIND: usize = 0;
/// The address of the output slot.
pub const RECORD_OUT_PTR: usize = 1;
/// The output slot's capacity in words.
pub const RECORD_OUT_CAPACITY: usize = 2;
/// The address of the output value's `len` word in the value table.
pub const RECORD_OUT_LEN_PTR: usize = 3;
/// The number of inputs that follow.
pub const RECORD_N_INPUTS: usize = 4;
/// Per input: the address of the input value's words.
pub const RECORD_INPUT_PTR: usize = 0;
/// Per input: the address of the input value's `len` word in the value table.
pub const RECORD_INPUT_LEN_PTR: usize = 1;

pub const FLAG_COMPAT: u32 = 1;

/// Every step ran.
pub const STATUS_OK: u32 = 0;
/// A node needed more words than its output slot holds (`detail`: the capacity); it wrote nothing past it.
pub const STATUS_CAPACITY: u32 = 1;
/// A node got a malformed value on an input (`detail`: the input's index).
pub const STATUS_BAD_INPUT: u32 = 2;
/// A node refused its inputs; the message says why.
pub const STATUS_INVALID: u32 = 3;
/// A step record does not match its node kind (`detail`: the kind).
pub const STATUS_BAD_STEP: u32 = 4;
/// A node ran out of its scratch heap (`detail`: its size in bytes); the module traps right after.
pub const STATUS_SCRATCH_EXHAUSTED: u32 = 5;
/// The control block does not match the module (ABI version or step range).
pub const STATUS_BAD_CONTROL: u32 = 6;

#[repr(C)]
pub struct Control {
    /// Written by the host: the ABI version; a module refuses any other.
    pub abi_version: u32,
    /// Written by the host: the address of the value table.
    pub values: u32,
    /// Written by the host: the number of value table entries.
    pub n_values: u32,
    /// Written by the host: the address of the step index (one record address per step).
    pub steps: u32,
    /// Written by the host: the number of steps.
    pub n_steps: u32,
    /// Written by the module: the step running now, read after a trap to name the node.
    pub current_step: u32,
    /// Written by the module: the status of the last run (one of `status`).
    pub status: u32,
    /// Written by the module: the capacity for `capacity`, the input index for `bad_input`.
    pub detail: u32,
    /// Written by the module: how many bytes of the message buffer hold a UTF-8 message.
    pub message_len: u32,
    /// Written by the host before a run: a sum of `flags`.
    pub flags: u32,
    pub message: [u8; MESSAGE_BYTES],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Value {
    /// The address of the value's words.
    pub ptr: u32,
    /// How many words the value may hold.
    pub capacity: u32,
    /// How many words it holds: preset for constants and parameters, written after a slot's step runs.
    pub len: u32,
}

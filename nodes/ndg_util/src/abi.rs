//! The shared-memory ABI between the host and a built ndg module.
//!
//! The host writes a control block, a value table and a step table into the memory before the
//! first run (their places are fixed by the plan). `ndg_run(control, first, end)` then executes
//! steps `first..end` in one call: the fused mode calls it once for the whole table, the stepped
//! mode once per step, and both go through this same loop.
//!
//! Layouts (all little-endian u32 words, byte addresses; spec/abi.toml is their one source and
//! docs/plan-format.md describes them):
//! - control block: the fields of [`Control`] in order, then the message buffer; `flags` is the
//!   host's, everything after `abi_version`..`n_steps` is written back by the module;
//! - value table: one `Value { ptr, capacity, len }` per value; `len` of a slot is written here
//!   after its step runs, constants have it preset. The host reads results through it.
//! - step table: `n_steps` byte addresses, each of a record
//!   `[kind, out_ptr, out_capacity, out_len_ptr, n_inputs, (in_ptr, in_len_ptr)…]`: the output
//!   slot and every input as resolved addresses, each `len_ptr` the `len` word of the value's
//!   table entry. Lengths are read at run time, since a node may write fewer words than planned.

use crate::error::NodeError;
use crate::expr::{Float, Vec3};
use crate::items::Items;

// The constants, the control block and the value entry, generated from spec/abi.toml.
include!("abi_spec.rs");

const _: () = assert!(std::mem::size_of::<Control>() == CONTROL_BYTES);
const _: () = assert!(std::mem::size_of::<Value>() == VALUE_ENTRY_BYTES);

/// Where the shared memory starts in a native build: its host buffer's address, which the host
/// gives with [`ndg_memory_base`] before running. Native builds exist to measure and to check that
/// every target computes the same bytes (bench/bench_engines.py).
#[cfg(not(target_arch = "wasm32"))]
static mut MEMORY_BASE: usize = 0;

/// Sets the address the plan's addresses count from, in a native build.
///
/// # Safety
/// `base` must point at a buffer as large as the plan's memory, kept alive while steps run.
#[cfg(not(target_arch = "wasm32"))]
#[no_mangle]
pub unsafe extern "C" fn ndg_memory_base(base: *mut u8) {
    MEMORY_BASE = base as usize;
}

/// The machine address of the plan's byte address `at`: the same number in wasm32, whose memory
/// starts at 0; offset by the host buffer's address in a native build.
#[inline(always)]
pub fn address(at: u32) -> usize {
    #[cfg(target_arch = "wasm32")]
    return at as usize;
    #[cfg(not(target_arch = "wasm32"))]
    unsafe {
        MEMORY_BASE + at as usize
    }
}

/// A step's inputs, each a slice of the shared memory. Two words, passed by value.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// `(ptr, len_ptr)` per input, straight out of the step record.
    pairs: &'a [u32],
}

impl<'a> Inputs<'a> {
    #[inline(always)]
    pub fn words(&self, input: u32) -> &'a [i32] {
        let at = RECORD_INPUT_WORDS * input as usize;
        let (ptr, len_ptr) = (self.pairs[at + RECORD_INPUT_PTR], self.pairs[at + RECORD_INPUT_LEN_PTR]);
        unsafe {
            let len = *(address(len_ptr) as *const u32);
            std::slice::from_raw_parts(address(ptr) as *const i32, len as usize)
        }
    }

    #[inline(always)]
    fn scalar(&self, input: u32, width: usize) -> Result<&'a [i32], NodeError> {
        let words = self.words(input);
        if words.len() == width {
            Ok(words)
        } else {
            Err(NodeError::BadInput { input })
        }
    }

    #[inline(always)]
    pub fn i32(&self, input: u32) -> Result<i32, NodeError> {
        Ok(self.scalar(input, 1)?[0])
    }

    #[inline(always)]
    pub fn f32(&self, input: u32) -> Result<f32, NodeError> {
        Ok(crate::encoding::decode_float(self.i32(input)?))
    }

    /// A float input a node evaluates itself, per use ([`crate::expr`]).
    #[inline(always)]
    pub fn lazy_f32(&self, input: u32) -> Result<Float<'a>, NodeError> {
        match self.words(input) {
            [] => Err(NodeError::BadInput { input }),
            words => Ok(Float(words)),
        }
    }

    /// A float input evaluated once, when the step starts.
    #[inline(always)]
    pub fn f32_now(&self, input: u32) -> Result<f32, NodeError> {
        Ok(self.lazy_f32(input)?.eval())
    }

    /// A vec3 input a node evaluates itself, per use ([`crate::expr`]).
    pub fn lazy_vec3(&self, input: u32) -> Result<Vec3<'a>, NodeError> {
        match self.words(input) {
            words if words.len() >= 3 => Ok(Vec3(words)),
            _ => Err(NodeError::BadInput { input }),
        }
    }

    /// A vec3 input evaluated once, when the step starts.
    pub fn vec3_now(&self, input: u32) -> Result<[f32; 3], NodeError> {
        Ok(self.lazy_vec3(input)?.eval())
    }

    #[inline(always)]
    pub fn bool(&self, input: u32) -> Result<bool, NodeError> {
        Ok(self.i32(input)? != 0)
    }

    #[inline(always)]
    pub fn vec3(&self, input: u32) -> Result<[f32; 3], NodeError> {
        let w = self.scalar(input, 3)?;
        let f = crate::encoding::decode_float;
        Ok([f(w[0]), f(w[1]), f(w[2])])
    }

    pub fn items(&self, input: u32) -> Result<Items<'a>, NodeError> {
        Items::new(self.words(input), input)
    }
}

/// One step record, read in place: `[kind, out_ptr, out_capacity, out_len_ptr, n_inputs,
/// (in_ptr, in_len_ptr)…]`.
#[derive(Clone, Copy)]
pub struct Record(*const u32);

impl Record {
    #[inline(always)]
    unsafe fn word(self, at: usize) -> u32 {
        *self.0.add(at)
    }

    #[inline(always)]
    pub unsafe fn kind(self) -> u32 {
        self.word(RECORD_KIND)
    }

    /// The inputs of a node that takes `arity` of them; a record with another count does not
    /// belong to this node kind.
    #[inline(always)]
    pub unsafe fn inputs(self, arity: u32) -> Result<Inputs<'static>, NodeError> {
        if self.word(RECORD_N_INPUTS) != arity {
            return Err(NodeError::BadStep { kind: self.kind() });
        }
        let pairs = self.0.add(RECORD_HEADER_WORDS);
        Ok(Inputs { pairs: std::slice::from_raw_parts(pairs, RECORD_INPUT_WORDS * arity as usize) })
    }

    /// The output slot, as long as its capacity.
    #[inline(always)]
    pub unsafe fn slot(self) -> &'static mut [i32] {
        std::slice::from_raw_parts_mut(address(self.word(RECORD_OUT_PTR)) as *mut i32, self.word(RECORD_OUT_CAPACITY) as usize)
    }

    /// Writes a scalar output of `N` words, or fails without writing if the slot is smaller.
    #[inline(always)]
    pub unsafe fn write<const N: usize>(self, words: [i32; N]) -> Result<(), NodeError> {
        let capacity = self.word(RECORD_OUT_CAPACITY);
        if (capacity as usize) < N {
            return Err(NodeError::Capacity { capacity });
        }
        std::ptr::copy_nonoverlapping(words.as_ptr(), address(self.word(RECORD_OUT_PTR)) as *mut i32, N);
        self.set_len(N);
        Ok(())
    }

    /// Records how many words the output holds (in the value table, where readers find it).
    #[inline(always)]
    pub unsafe fn set_len(self, len: usize) {
        *(address(self.word(RECORD_OUT_LEN_PTR)) as *mut u32) = len as u32;
    }
}

fn fail(control: &mut Control, status: u32, detail: u32, message: &str) -> u32 {
    control.status = status;
    control.detail = detail;
    let bytes = message.as_bytes();
    let n = bytes.len().min(MESSAGE_BYTES);
    control.message[..n].copy_from_slice(&bytes[..n]);
    control.message_len = n as u32;
    status
}

/// Reports a failed step; out of line, so that the step loop stays small.
#[cold]
#[inline(never)]
fn fail_step(control: &mut Control, error: NodeError) -> u32 {
    match error {
        NodeError::Capacity { capacity } => fail(control, STATUS_CAPACITY, capacity, "output slot is full"),
        NodeError::BadInput { input } => fail(control, STATUS_BAD_INPUT, input, "input has the wrong shape"),
        NodeError::Invalid(why) => fail(control, STATUS_INVALID, 0, why),
        NodeError::BadStep { kind } => fail(control, STATUS_BAD_STEP, kind, "step record does not match the node kind"),
    }
}

static mut ACTIVE_CONTROL: *mut Control = std::ptr::null_mut();

/// Records in the control block that the scratch heap ran out (the module traps right after).
pub fn note_scratch_exhausted() {
    unsafe {
        if let Some(control) = ACTIVE_CONTROL.as_mut() {
            fail(control, STATUS_SCRATCH_EXHAUSTED, crate::scratch::SCRATCH_BYTES as u32, "scratch heap exhausted");
        }
    }
}

/// Runs steps `first..end`, each through `step`, which runs the record's node and sets its
/// output's length; returns the status, also left in the control block.
///
/// # Safety
/// `control` and every address in the tables must lie inside the memory, and no output slot may
/// overlap another value; the host validates the plan for exactly this before any run.
#[inline(always)]
pub unsafe fn run(control: *mut Control, first: u32, end: u32, step: impl Fn(Record) -> Result<(), NodeError>) -> u32 {
    ACTIVE_CONTROL = control;
    let control = &mut *control;
    control.status = STATUS_OK;
    control.message_len = 0;
    if control.abi_version != ABI_VERSION || first > end || end > control.n_steps {
        return fail(control, STATUS_BAD_CONTROL, 0, "control block does not match this module");
    }
    crate::set_compat(control.flags & FLAG_COMPAT != 0);
    crate::expr::begin(control.flags >> RUN_SHIFT, address(control.values) as *const Value, control.n_values);
    let steps = address(control.steps) as *const u32;
    for index in first..end {
        // Read after a trap (fuel, panic, scratch) to name the node that caused it.
        control.current_step = index;
        crate::scratch_reset();
        let record = Record(address(*steps.add(index as usize)) as *const u32);
        crate::expr::enter(record.kind());
        if let Err(error) = step(record) {
            // A failed step leaves an empty value rather than a partial one that looks complete.
            record.set_len(0);
            return fail_step(control, error);
        }
    }
    STATUS_OK
}

//! The shared utility crate every ndg node depends on.
//!
//! Nodes never allocate for their output: they write through a [`Writer`] bound to the slot the
//! planner reserved, and the writer refuses to go past the slot's capacity. Inputs arrive as
//! plain word slices read straight out of the shared memory.

pub mod abi;
pub mod encoding;
pub mod error;
pub mod expr;
pub mod items;
pub mod lanes;
pub mod libm;
pub mod mat4;
pub mod noise;
pub mod paths;
pub mod quat;
pub mod rng;
pub mod scratch;
pub mod vecmath;
pub mod writer;

pub use error::{NodeError, NodeResult};

static mut COMPAT: bool = false;

/// Whether this run is in compatibility mode: nodes then reproduce Nodarium's bugs as well as its
/// semantics, so that results are bit-identical to Nodarium's. Off by default, where every node
/// fixes the upstream bugs its doc comment lists. `abi::run` sets it from the control block's
/// `flags` before any step runs; node code reads it and passes it on as a plain `bool`.
pub fn compat() -> bool {
    unsafe { COMPAT }
}

pub fn set_compat(on: bool) {
    unsafe { COMPAT = on }
}

/// A float input as Nodarium's nodes read theirs (`evaluate_float`): NaN reads as 0.
pub fn float_input(value: f32) -> f32 {
    if value.is_nan() {
        0.0
    } else {
        value
    }
}

/// [`float_input`] for each component of a vec3 input.
pub fn vec3_input(value: [f32; 3]) -> [f32; 3] {
    value.map(float_input)
}
pub use items::{Item, ItemKind, Items};
pub use writer::Writer;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static SCRATCH: scratch::Scratch = scratch::Scratch::new();

/// Empties the scratch heap; the dispatcher calls this before every step.
pub fn scratch_reset() {
    #[cfg(target_arch = "wasm32")]
    SCRATCH.reset();
}

#[cfg(target_arch = "wasm32")]
mod host {
    extern "C" {
        /// Hands a node's panic message to the host before the module traps.
        pub fn ndg_panic(ptr: *const u8, len: usize);
    }
}

/// Forwards panic messages to the host without allocating (the heap may be what failed).
pub fn install_panic_hook() {
    #[cfg(target_arch = "wasm32")]
    {
        static mut INSTALLED: bool = false;
        unsafe {
            if INSTALLED {
                return;
            }
            INSTALLED = true;
        }
        std::panic::set_hook(Box::new(|info| {
            let mut buffer = MessageBuffer { bytes: [0; 512], len: 0 };
            let _ = std::fmt::write(&mut buffer, format_args!("{}", info));
            unsafe { host::ndg_panic(buffer.bytes.as_ptr(), buffer.len) };
        }));
    }
}

#[cfg(target_arch = "wasm32")]
struct MessageBuffer {
    bytes: [u8; 512],
    len: usize,
}

#[cfg(target_arch = "wasm32")]
impl std::fmt::Write for MessageBuffer {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.bytes.len() - self.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

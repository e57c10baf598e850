//! The module's only heap: a fixed arena in static memory, emptied before every step.
//!
//! Linking this allocator means the module never calls `memory.grow` and never keeps heap
//! memory from one run to the next: whatever a node allocates is gone when its step ends. The
//! arena sits in the module's static region, which the planner reserves.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;

pub const SCRATCH_BYTES: usize = 256 * 1024;

pub struct Scratch {
    arena: UnsafeCell<[u8; SCRATCH_BYTES]>,
    top: UnsafeCell<usize>,
}

// A wasm32 module runs on one thread.
unsafe impl Sync for Scratch {}

impl Scratch {
    pub const fn new() -> Scratch {
        Scratch {
            arena: UnsafeCell::new([0; SCRATCH_BYTES]),
            top: UnsafeCell::new(0),
        }
    }

    /// Frees everything: called by the dispatcher before each step.
    pub fn reset(&self) {
        unsafe { *self.top.get() = 0 };
    }
}

unsafe impl GlobalAlloc for Scratch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let top = &mut *self.top.get();
        let base = self.arena.get() as usize;
        let start = (base + *top + layout.align() - 1) & !(layout.align() - 1);
        let end = start - base + layout.size();
        if end > SCRATCH_BYTES {
            // The allocation failure aborts the module; say why before it does.
            crate::abi::note_scratch_exhausted();
            return std::ptr::null_mut();
        }
        *top = end;
        start as *mut u8
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

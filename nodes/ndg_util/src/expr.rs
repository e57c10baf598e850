//! Scalar inputs evaluated per use, as Nodarium evaluates its expression trees.
//!
//! A `float` or `vec3` input fed by `random` (directly or through `math`/`vec3`) does not arrive as
//! a value but as a small program that the consuming node runs each time it needs the value, the
//! way Nodarium's consumers call `evaluate_float` (reference: docs/nodarium.md, "Per-use
//! evaluation"). Every `random` in a program draws with the call counter of the node kind that
//! evaluates it, as Nodarium's per-module `CALL_COUNT` does.
//!
//! Encoding (words of a constant the planner writes; an eager value has 1 word for a float, 3 for
//! a vec3, so the length tells them apart):
//! - float program: postfix operations, at least 2 words:
//!   `[OP_CONST, bits]` pushes a word, `[OP_PARAM, value]` pushes the first word of plan value
//!   `value` (a run-time parameter such as the run seed), `[OP_MATH, op]` pops `b`, `a` and pushes
//!   Nodarium's `math(op, a, b)`, `[OP_MATH_OF]` pops `op` too (an operation chosen by a run-time
//!   parameter), `[OP_RANDOM]` pops `seed`, `max`, `min` and pushes Nodarium's random value,
//!   moving the counter on.
//! - vec3 program: three float programs, each preceded by its length in words.

use crate::abi::Value;
use crate::encoding::decode_float;
use crate::noise::random_value;

pub const OP_CONST: i32 = 0;
pub const OP_PARAM: i32 = 1;
pub const OP_MATH: i32 = 2;
pub const OP_RANDOM: i32 = 3;
pub const OP_MATH_OF: i32 = 4;
/// The deepest operand stack a program may need (16 KiB of the module's 256 KiB stack); the
/// compiler, which knows every program, refuses deeper ones.
pub const STACK_WORDS: usize = 4096;
/// The stack a short program gets: most programs are a `random` and a few `math` nodes.
const SHORT_STACK_WORDS: usize = 32;
/// Call counters kept, one per node kind (kinds beyond share the last).
const KINDS: usize = 256;

static mut CALL_COUNTS: [i32; KINDS] = [0; KINDS];
static mut CURRENT_KIND: usize = 0;
static mut RUN: u32 = u32::MAX;
static mut VALUES: (*const Value, u32) = (std::ptr::null(), 0);

/// Called by `abi::run` before its steps: a run number other than the last one seen starts every
/// counter at 0 again, as each Nodarium run starts with fresh modules.
pub(crate) fn begin(run: u32, values: *const Value, n_values: u32) {
    unsafe {
        if run != RUN {
            RUN = run;
            CALL_COUNTS = [0; KINDS];
        }
        VALUES = (values, n_values);
    }
}

/// Called by `abi::run` before each step: programs evaluated by this step count with its kind.
pub(crate) fn enter(kind: u32) {
    unsafe { CURRENT_KIND = (kind as usize).min(KINDS - 1) }
}

/// Nodarium's `reset_call_count()`, which its stem, noise and gravity nodes call first.
pub fn reset_call_count() {
    unsafe { CALL_COUNTS[CURRENT_KIND] = 0 }
}

fn param_word(index: i32) -> i32 {
    unsafe {
        let (values, n_values) = VALUES;
        assert!((index as u32) < n_values, "expression reads value {} of {}", index, n_values);
        *(crate::abi::address((*values.add(index as usize)).ptr) as *const i32)
    }
}

fn math(op: i32, a: f32, b: f32) -> f32 {
    match op {
        0 => a + b,
        1 => a - b,
        2 => a * b,
        3 => a / b,
        _ => 0.0,
    }
}

fn pop<const N: usize>(stack: &[i32; N], top: &mut usize) -> i32 {
    *top -= 1;
    stack[*top]
}

/// Runs a float program on a stack as deep as it can need: a program of n words pushes at most
/// n / 2 values (every push is two words), so a short one does not pay for clearing a deep stack.
fn run_program(words: &[i32]) -> f32 {
    if words.len() / 2 <= SHORT_STACK_WORDS {
        run_on_stack::<SHORT_STACK_WORDS>(words)
    } else {
        run_on_stack::<STACK_WORDS>(words)
    }
}

/// Runs a float program; panics (a clear message naming the node) on a malformed one.
fn run_on_stack<const N: usize>(words: &[i32]) -> f32 {
    let mut stack = [0i32; N];
    let mut top = 0;
    let mut at = 0;
    while at < words.len() {
        let pushed = match words[at] {
            OP_CONST => {
                at += 2;
                words[at - 1]
            }
            OP_PARAM => {
                at += 2;
                param_word(words[at - 1])
            }
            OP_MATH => {
                at += 2;
                let b = decode_float(pop(&stack, &mut top));
                let a = decode_float(pop(&stack, &mut top));
                math(words[at - 1], a, b).to_bits() as i32
            }
            OP_MATH_OF => {
                at += 1;
                let op = pop(&stack, &mut top);
                let b = decode_float(pop(&stack, &mut top));
                let a = decode_float(pop(&stack, &mut top));
                math(op, a, b).to_bits() as i32
            }
            OP_RANDOM => {
                at += 1;
                let seed = pop(&stack, &mut top);
                let max = decode_float(pop(&stack, &mut top));
                let min = decode_float(pop(&stack, &mut top));
                unsafe { random_value(min, max, seed, &mut CALL_COUNTS[CURRENT_KIND]) }.to_bits() as i32
            }
            op => panic!("expression has unknown operation {}", op),
        };
        stack[top] = pushed;
        top += 1;
    }
    assert!(top == 1, "expression leaves {} values", top);
    decode_float(stack[0])
}

/// A float input that may be evaluated per use: `eval` gives its value now.
#[derive(Clone, Copy)]
pub struct Float<'a>(pub(crate) &'a [i32]);

impl<'a> Float<'a> {
    #[inline(always)]
    pub fn eval(self) -> f32 {
        match self.0 {
            [bits] => decode_float(*bits),
            program => run_program(program),
        }
    }

    /// The value, when it is one and not a program: the same at every use, so a node may
    /// evaluate it once.
    pub fn constant(self) -> Option<f32> {
        match self.0 {
            [bits] => Some(decode_float(*bits)),
            _ => None,
        }
    }
}

/// A vec3 input that may be evaluated per use: `eval` gives its value now, x, y, z in that order.
#[derive(Clone, Copy)]
pub struct Vec3<'a>(pub(crate) &'a [i32]);

impl<'a> Vec3<'a> {
    pub fn eval(self) -> [f32; 3] {
        if let [x, y, z] = self.0 {
            return [x, y, z].map(|w| decode_float(*w));
        }
        let mut rest = self.0;
        [0; 3].map(|_| {
            let len = rest[0] as usize;
            let value = run_program(&rest[1..1 + len]);
            rest = &rest[1 + len..];
            value
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::encode_float;

    #[test]
    fn math_programs_and_plain_values() {
        let f = encode_float;
        assert_eq!(Float(&[f(1.5)]).eval(), 1.5);
        assert_eq!(Float(&[f(1.5)]).constant(), Some(1.5));
        // (2 * 3) - 0.5
        let program = [OP_CONST, f(2.0), OP_CONST, f(3.0), OP_MATH, 2, OP_CONST, f(0.5), OP_MATH, 1];
        assert_eq!(Float(&program).eval(), 5.5);
        assert_eq!(Float(&program).constant(), None);
        assert_eq!(Float(&[OP_CONST, f(1.0), OP_CONST, f(1.0), OP_MATH, 9]).eval(), 0.0);
        assert_eq!(Float(&[OP_CONST, f(2.0), OP_CONST, f(3.0), OP_CONST, 2, OP_MATH_OF]).eval(), 6.0);
        let vec = [2, OP_CONST, f(1.0), 2, OP_CONST, f(2.0), 2, OP_CONST, f(3.0)];
        assert_eq!(Vec3(&vec).eval(), [1.0, 2.0, 3.0]);
    }

    #[test]
    fn a_program_deeper_than_the_short_stack() {
        // 1 + (1 + (1 + … (1 + 0.5))), 100 levels: 101 values on the stack at once.
        let mut program = vec![];
        for _ in 0..100 {
            program.extend([OP_CONST, encode_float(1.0)]);
        }
        program.extend([OP_CONST, encode_float(0.5)]);
        for _ in 0..100 {
            program.extend([OP_MATH, 0]);
        }
        assert_eq!(Float(&program).eval(), 100.5);
    }

    #[test]
    fn random_draws_with_the_kind_counter() {
        let f = encode_float;
        let program = [OP_CONST, f(0.0), OP_CONST, f(1.0), OP_CONST, 7, OP_RANDOM];
        begin(1, std::ptr::null(), 0);
        enter(3);
        let first = Float(&program).eval();
        let second = Float(&program).eval();
        let (mut count, mut again) = (0, 0);
        assert_eq!(first, random_value(0.0, 1.0, 7, &mut count));
        assert_eq!(second, random_value(0.0, 1.0, 7, &mut count));
        reset_call_count();
        assert_eq!(Float(&program).eval(), random_value(0.0, 1.0, 7, &mut again));
    }
}

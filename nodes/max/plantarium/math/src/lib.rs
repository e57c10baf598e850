//! Arithmetic on two floats. Nodarium returns 0 for an unknown operation; ndg's compiler refuses
//! one (the select only has four options), so that branch is only reached by a hand-made plan.

pub fn execute(op_type: i32, a: f32, b: f32) -> f32 {
    match op_type {
        0 => a + b,
        1 => a - b,
        2 => a * b,
        3 => a / b,
        _ => 0.0,
    }
}

//! A float constant.

pub fn execute(value: f32) -> f32 {
    value
}

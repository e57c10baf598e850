//! Three floats made into a vector.

pub fn execute(x: f32, y: f32, z: f32) -> [f32; 3] {
    [x, y, z]
}

//! One triangle in the y = 0 plane: vertices (-size, 0, 0), (size, 0, 0), (0, 0, size), the face
//! (0, 2, 1), every normal (0, 1, 0) — Nodarium's triangle.
//!
//! Nodarium reads `size` with `evaluate_int`, which hands the float's bits over unchanged, so
//! unlike its other float inputs a NaN size stays NaN there (it is not read as 0); here too.

use ndg_util::{ItemKind, NodeResult, Writer};

pub fn execute(size: f32, out: &mut Writer) -> NodeResult {
    let item = out.open()?;
    out.extend(&[ItemKind::Geometry.tag(), 3, 1, 0, 2, 1])?;
    for position in [[-size, 0.0, 0.0], [size, 0.0, 0.0], [0.0, 0.0, size]] {
        out.push_vec3(position)?;
    }
    for _ in 0..3 {
        out.push_vec3([0.0, 1.0, 0.0])?;
    }
    out.close(item)
}

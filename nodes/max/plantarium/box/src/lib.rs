//! A cube from -size to +size on every axis: 8 shared vertices, 12 triangles.
//!
//! Faces, vertex order and normals are Nodarium's, bit for bit (signed zeros included). Like
//! Nodarium, a vertex shared by several faces keeps the normal of the last face written to it;
//! normals are `normalize((b - a) × (c - a))` computed as glam does, which points outward for
//! positive sizes. A NaN size reads as 0, as in Nodarium.
//!
//! Departure from Nodarium (compatibility mode, `ndg_util::compat()`, reproduces it): a box of
//! size 0 has zero normals; Nodarium's are NaN (the normal of a face without area).

use ndg_util::vecmath::{cross, sub, unit};
use ndg_util::{compat, float_input, ItemKind, NodeResult, Writer};

const FACES: [[usize; 3]; 12] = [
    [0, 1, 2], [0, 2, 3], [0, 3, 4], [4, 5, 0], [6, 1, 0], [5, 6, 0],
    [7, 2, 1], [6, 7, 1], [2, 7, 3], [3, 7, 4], [7, 6, 4], [4, 6, 5],
];

/// Which corner each vertex sits on, as signs of (x, y, z): the bottom plate, then the top.
const CORNERS: [[f32; 3]; 8] = [
    [1.0, -1.0, -1.0], [1.0, -1.0, 1.0], [-1.0, -1.0, 1.0], [-1.0, -1.0, -1.0],
    [-1.0, 1.0, -1.0], [1.0, 1.0, -1.0], [1.0, 1.0, 1.0], [-1.0, 1.0, 1.0],
];

pub fn execute(size: f32, out: &mut Writer) -> NodeResult {
    let size = float_input(size);
    let compat = compat();
    let positions = CORNERS.map(|c| [c[0] * size, c[1] * size, c[2] * size]);
    let mut normals = [[0.0f32; 3]; 8];
    for face in FACES {
        let [a, b, c] = face.map(|v| positions[v]);
        let normal = match unit(cross(sub(b, a), sub(c, a))) {
            n if !compat && n.iter().any(|c| c.is_nan()) => [0.0; 3],
            n => n,
        };
        for v in face {
            normals[v] = normal;
        }
    }
    let item = out.open()?;
    out.extend(&[ItemKind::Geometry.tag(), 8, 12])?;
    for face in FACES {
        out.extend(&face.map(|v| v as i32))?;
    }
    for p in positions.iter().chain(normals.iter()) {
        out.push_vec3(*p)?;
    }
    out.close(item)
}

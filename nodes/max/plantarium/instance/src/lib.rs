//! Copies of a geometry along the deepest paths of a plant (see `ndg_util::paths::Levels`).
//!
//! Every input item passes through; after them comes one instances item
//! `[2, V, F, I, 1, faces, positions, normals, I × 16 matrix floats]` holding the geometry once
//! and a column-major 4×4 matrix per copy. Each selected path gets `amount` copies; copy `i` sits
//! at `α = lowestInstance + i/amount·(highestInstance − lowestInstance)` (clamped to
//! 1e−6..0.999999), counted in points along the path (point `α·(P − 1)`, not arc length, as in
//! Nodarium). It is scaled by the path's thickness there, turned by the quaternion `(d, 1)`
//! normalized, `d` being the unit direction of the path's segment there ((0, 1, 0) on a segment of
//! no length), and moved to the point: Nodarium's arithmetic, so its words bit for bit. A NaN float
//! input reads as 0, as in Nodarium. As there, `lowestInstance` and `highestInstance` are
//! evaluated anew for every selected path, in that order.
//!
//! The depth word is 1, as Nodarium writes it. Nodarium selects items by the word where a
//! path's depth sits without checking that they are paths; here only paths are selected.

use ndg_util::expr::Float;
use ndg_util::paths::{Levels, Path, Point};
use ndg_util::vecmath::{length, lerp4, sub, xyz, Vec3};
use ndg_util::{float_input, mat4, quat, ItemKind, Items, NodeError, NodeResult, Writer};

/// The point at `alpha` of the way from the first point to the last, and the path's unit direction there.
fn point_at(path: &Path, alpha: f32) -> (Point, Vec3) {
    let up = [0.0, 1.0, 0.0];
    match path.len() {
        0 => ([0.0; 4], up),
        1 => (path.point(0), up),
        n => {
            let alpha = alpha.min(0.999999).max(0.000001);
            let step = 1.0 / (n - 1) as f32;
            let segment = ((alpha / step).floor() as usize).min(n - 2);
            let (a, b) = (path.point(segment), path.point(segment + 1));
            let d = sub(xyz(b), xyz(a));
            let norm = length(d);
            let direction = if norm == 0.0 { up } else { [d[0] / norm, d[1] / norm, d[2] / norm] };
            (lerp4(a, b, (alpha - segment as f32 * step) / step), direction)
        }
    }
}

pub fn execute(
    plant: Items,
    geometry: Items,
    amount: i32,
    lowest_instance: Float,
    highest_instance: Float,
    depth: i32,
    out: &mut Writer,
) -> NodeResult {
    let shape = match (geometry.count(), geometry.clone().next()) {
        (1, Some(item)) if item.kind() == ItemKind::Geometry => item.body(),
        _ => return Err(NodeError::Invalid("instance's geometry input must be exactly one geometry item")),
    };
    let (vertices, faces) = (shape[1], shape[2]);
    let levels = Levels::deepest(plant, depth);
    let amount = amount.max(0);
    let selected = plant.filter_map(|item| Path::of(&item)).filter(|p| levels.contains(p));
    let count = selected.clone().count() as i32 * amount;

    out.open_list()?;
    for item in plant {
        out.extend(item.words)?;
    }
    let block = out.open()?;
    out.extend(&[ItemKind::Instances.tag(), vertices, faces, count, 1])?;
    out.extend(&shape[3..])?;
    for path in selected {
        let lowest_instance = float_input(lowest_instance.eval());
        let highest_instance = float_input(highest_instance.eval());
        for i in 0..amount {
            let alpha = lowest_instance + i as f32 / amount as f32 * (highest_instance - lowest_instance);
            let (point, [dx, dy, dz]) = point_at(&path, alpha);
            let rotation = quat::normalize([dx, dy, dz, 1.0]);
            let matrix = mat4::from_scale_rotation_translation([point[3]; 3], rotation, xyz(point));
            for value in matrix {
                out.push_f32(value)?;
            }
        }
    }
    out.close(block)?;
    out.close_list()
}

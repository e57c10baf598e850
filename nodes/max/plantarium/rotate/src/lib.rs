//! Rotates every path of a plant about its own first point, around the x, y or z axis (`axis`
//! 0, 1, 2). With `spread`, path `j` of `n` items turns by `angle·j/n`, fanning the paths out;
//! without it every path turns by `angle`. Thickness is kept; other items pass through.
//!
//! Unlike the nodes that act on levels of a plant, rotate turns paths of every depth, as in
//! Nodarium. Nodarium panics on an axis other than 0..2; ndg's compiler refuses one, and a plan
//! made by hand gets an error naming the node.

use ndg_util::paths::{write_path, Path};
use ndg_util::vecmath::{add, rotate_x, rotate_y, rotate_z, sub, xyz, Vec3};
use ndg_util::{Items, NodeError, NodeResult, Writer};

pub fn execute(plant: Items, axis: i32, angle: f32, spread: bool, out: &mut Writer) -> NodeResult {
    let turn: fn(Vec3, f32) -> Vec3 = match axis {
        0 => rotate_x,
        1 => rotate_y,
        2 => rotate_z,
        _ => return Err(NodeError::Invalid("rotate's axis must be 0 (x), 1 (y) or 2 (z)")),
    };
    let count = plant.count() as f32;
    out.open_list()?;
    for (j, item) in plant.enumerate() {
        let path = match Path::of(&item) {
            Some(path) if !path.is_empty() => path,
            _ => {
                out.extend(item.words)?;
                continue;
            }
        };
        let angle = if spread { angle * j as f32 / count } else { angle };
        let pivot = xyz(path.point(0));
        let turned = path.points().map(|p| {
            let [x, y, z] = add(pivot, turn(sub(xyz(p), pivot), angle));
            [x, y, z, p[3]]
        });
        write_path(out, path.depth, turned)?;
    }
    out.close_list()
}

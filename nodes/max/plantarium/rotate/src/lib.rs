//! Rotates every path of a plant about its own first point, around the x, y or z axis (`axis`
//! 0, 1, 2). With `spread`, path `j` of `n` items turns by `angle·j/n`, fanning the paths out;
//! without it every path turns by `angle`. Thickness is kept; other items pass through.
//!
//! The rotation is glam's `Mat4::from_axis_angle` applied as Nodarium applies it, so the words are
//! Nodarium's bit for bit; a NaN angle reads as 0, as in Nodarium. As there, `angle` is evaluated
//! anew for every path, so a `random` angle turns each path its own way.
//!
//! Unlike the nodes that act on levels of a plant, rotate turns paths of every depth, as in
//! Nodarium. Nodarium panics on an axis other than 0..2; ndg's compiler refuses one, and a plan
//! made by hand gets an error naming the node.

use ndg_util::expr::Float;
use ndg_util::mat4::{from_axis_angle, transform_vector};
use ndg_util::paths::{write_path, Path};
use ndg_util::vecmath::{add, sub, xyz, Vec3};
use ndg_util::{float_input, Items, NodeError, NodeResult, Writer};

pub fn execute(plant: Items, axis: i32, angle: Float, spread: bool, out: &mut Writer) -> NodeResult {
    let axis: Vec3 = match axis {
        0 => [1.0, 0.0, 0.0],
        1 => [0.0, 1.0, 0.0],
        2 => [0.0, 0.0, 1.0],
        _ => return Err(NodeError::Invalid("rotate's axis must be 0 (x), 1 (y) or 2 (z)")),
    };
    let count = plant.count() as f32;
    out.open_list()?;
    for (j, item) in plant.enumerate() {
        let (path, angle) = match Path::of(&item) {
            Some(path) => (path, float_input(angle.eval())),
            None => {
                out.extend(item.words)?;
                continue;
            }
        };
        if path.is_empty() {
            out.extend(item.words)?;
            continue;
        }
        let rotation = from_axis_angle(axis, if spread { angle * (j as f32 / count) } else { angle });
        let pivot = xyz(path.point(0));
        let turned = path.points().map(|p| {
            let [x, y, z] = add(transform_vector(rotation, sub(xyz(p), pivot)), pivot);
            [x, y, z, p[3]]
        });
        write_path(out, path.depth, turned)?;
    }
    out.close_list()
}

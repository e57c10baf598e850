//! Branches along the deepest paths of a plant, as Nodarium's branch node grows them.
//!
//! Every path in the `depth` deepest levels (see `ndg_util::paths::Levels`) gets
//! `B = max(amount, 1)` straight branches of `R = max(resolution_curve, 4)` points, written before
//! the path itself; every other item passes through unchanged. Branch `i` sits at the fraction
//! `lowestBranch + i/max(B − 1, 1)·(highestBranch − lowestBranch)` of the path's arc length, the
//! even-numbered ones moved on by `(offsetSingle − 0.5)·6/R`. It leaves the path at a right
//! angle, turned about the path by `rotation·i` degrees, and is `length` long; its thickness
//! starts at `thickness` times the path's there and tapers to 0.
//!
//! Departures from Nodarium, on purpose:
//! - a branch's depth tag is its parent path's depth + 1; Nodarium tags it `depth + 1` from the
//!   node's input, so a second branch node with the default depth tags its branches like their
//!   parents and the levels of the plant run together;
//! - where the path is parallel to z, Nodarium's perpendicular is NaN and it drops the branch;
//!   here another perpendicular is chosen, so the number of branches is always what the size rule
//!   says.

use ndg_util::paths::{write_path, Levels, Path, Point};
use ndg_util::quat;
use ndg_util::vecmath::{add, any_orthogonal, cross, distance, lerp4, normalize, scale, sub, xyz, Vec3};
use ndg_util::{Items, NodeResult, Writer};

/// A place on a path: its point (thickness included), the path's direction there, and a
/// direction perpendicular to it.
struct Frame {
    point: Point,
    tangent: Vec3,
    ortho: Vec3,
}

impl Frame {
    fn new(point: Point, direction: Vec3) -> Frame {
        let tangent = normalize(direction);
        let ortho = match normalize(cross(tangent, [0.0, 0.0, 1.0])) {
            [x, y, z] if x == 0.0 && y == 0.0 && z == 0.0 => any_orthogonal(tangent),
            ortho => ortho,
        };
        Frame { point, tangent, ortho }
    }
}

/// The frame at fraction `t` (clamped to 0..1) of the path's arc length.
fn frame_at(path: &Path, t: f32) -> Frame {
    let total: f32 = (1..path.len()).map(|i| distance(xyz(path.point(i - 1)), xyz(path.point(i)))).sum();
    let target = t.max(0.0).min(1.0) * total;
    let mut walked = 0.0;
    let mut last = None;
    for i in 1..path.len() {
        let (a, b) = (path.point(i - 1), path.point(i));
        let segment = distance(xyz(a), xyz(b));
        if segment > 0.0 {
            if walked + segment >= target {
                let f = ((target - walked) / segment).max(0.0).min(1.0);
                return Frame::new(lerp4(a, b, f), sub(xyz(b), xyz(a)));
            }
            walked += segment;
            last = Some((a, b));
        }
    }
    // Rounding put `target` just past the end, or the path has no length at all.
    match last {
        Some((a, b)) => Frame::new(b, sub(xyz(b), xyz(a))),
        None if path.is_empty() => Frame::new([0.0; 4], [0.0, 1.0, 0.0]),
        None => Frame::new(path.point(0), [0.0, 1.0, 0.0]),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn execute(
    plant: Items,
    length: f32,
    thickness: f32,
    offset_single: f32,
    lowest_branch: f32,
    highest_branch: f32,
    depth: i32,
    amount: i32,
    resolution_curve: i32,
    rotation: f32,
    out: &mut Writer,
) -> NodeResult {
    let levels = Levels::deepest(plant, depth);
    let count = amount.max(1);
    let points = resolution_curve.max(4);
    let last = (points - 1) as f32;
    out.open_list()?;
    for item in plant {
        if let Some(path) = Path::of(&item).filter(|p| levels.contains(p)) {
            for i in 0..count {
                let a = i as f32 / (count - 1).max(1) as f32;
                let mut root = (a * (highest_branch - lowest_branch) + lowest_branch).max(0.0).min(1.0);
                if i % 2 == 0 {
                    root += (offset_single - 0.5) * 6.0 / points as f32;
                }
                let frame = frame_at(&path, root);
                let turn = quat::from_axis_angle(frame.tangent, (rotation * i as f32).to_radians());
                let direction = quat::rotate(turn, frame.ortho);
                let base = frame.point;
                let branch = (0..points).map(|j| {
                    let along = j as f32 / last;
                    let [x, y, z] = add(xyz(base), scale(direction, along * length));
                    [x, y, z, base[3] * thickness * (1.0 - along)]
                });
                write_path(out, path.depth + 1, branch)?;
            }
        }
        out.extend(item.words)?;
    }
    out.close_list()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndg_util::paths::write_path;
    use ndg_util::vecmath::{dot, length};

    fn path_along(direction: Vec3) -> Vec<i32> {
        let mut slot = vec![0; 6 + 4 * 2];
        let points = [[0.0, 0.0, 0.0, 1.0], [direction[0], direction[1], direction[2], 1.0]];
        write_path(&mut Writer::new(&mut slot), 1, points.iter().copied()).unwrap();
        slot
    }

    #[test]
    fn a_path_parallel_to_z_still_has_a_perpendicular() {
        // Nodarium's cross product with z is zero here and its branch is dropped as NaN.
        for direction in [[0.0, 0.0, 1.0], [0.0, 0.0, -2.0]] {
            let words = path_along(direction);
            let item = Items::new(&words, 0).unwrap().next().unwrap();
            let frame = frame_at(&Path::of(&item).unwrap(), 0.5);
            assert!((length(frame.ortho) - 1.0).abs() < 1e-6);
            assert!(dot(frame.ortho, frame.tangent).abs() < 1e-6);
        }
    }

    #[test]
    fn a_path_without_length_branches_upwards_from_its_point() {
        let words = path_along([0.0; 3]);
        let item = Items::new(&words, 0).unwrap().next().unwrap();
        let frame = frame_at(&Path::of(&item).unwrap(), 0.3);
        assert_eq!(frame.point, [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(frame.tangent, [0.0, 1.0, 0.0]);
        assert_eq!(frame.ortho, [1.0, 0.0, 0.0]);
    }
}

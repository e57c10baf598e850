//! Branches along the deepest paths of a plant, as Nodarium's branch node grows them, bit for bit
//! where no fix below applies.
//!
//! Every path in the `depth` deepest levels (see `ndg_util::paths::Levels`) gets
//! `B = max(amount, 1)` straight branches of `R = max(resolution_curve, 4)` points, written before
//! the path itself; every other item passes through unchanged. Branch `i` sits at the fraction
//! `lowestBranch + i/max(B − 1, 1)·(highestBranch − lowestBranch)` (clamped to 0..1) of the path's
//! arc length, moved on by `(o − 0.5)·6/R` with `o = offsetSingle` for even `i` and `o = 0` for
//! odd `i` (so odd branches move back by 3/R, as in Nodarium). It leaves the path along
//! `normalize(tangent × Y)` — horizontal — turned about the tangent by `rotation·π/180·i`, and is
//! `length` long; its thickness starts at `thickness` times the path's there and tapers to 0.
//! A NaN float input reads as 0, as in Nodarium. As there, `lowestBranch` and `highestBranch`
//! are evaluated once per selected path, and `length`, `thickness`, `offsetSingle` (even `i`
//! only) and `rotation` anew for every branch, in that order, with the node kind's call counter.
//!
//! Departures from Nodarium, on purpose (compatibility mode, `ndg_util::compat()`, reproduces
//! Nodarium instead):
//! - where the tangent is parallel to Y (a path growing straight up or down), `tangent × Y` is
//!   zero and Nodarium's normalised perpendicular NaN, so it drops the branch (its fallback to
//!   `tangent × X` tests the squared length against 0, which NaN never equals); here the branch
//!   leaves along `normalize(tangent × X)`, and a path without length (or of one point) branches
//!   along X from its first point, so the number of branches is always what the size rule says;
//! - a branch's depth tag is its parent path's depth + 1; Nodarium tags it `depth + 1` from the
//!   node's input, so a second branch node with the default depth tags its branches like their
//!   parents and the levels of the plant run together.

use ndg_util::expr::Float;
use ndg_util::encoding::encode_float;
use ndg_util::paths::{Levels, Path, Point};
use ndg_util::quat;
use ndg_util::vecmath::{cross, is_finite, length, lerp4, scale, sub, unit, xyz, Vec3};
use ndg_util::{compat, float_input, ItemKind, Items, NodeResult, Writer};

const X: Vec3 = [1.0, 0.0, 0.0];
const Y: Vec3 = [0.0, 1.0, 0.0];

/// A place on a path: its point (thickness included), the path's direction there, and the
/// direction a branch leaves in before it is turned.
struct Frame {
    point: Point,
    tangent: Vec3,
    ortho: Vec3,
}

/// The frame of segment `a`→`b` at `t` along it, computed as Nodarium does (NaN included; its
/// fallback for a zero perpendicular never triggers, since a normalised vector is never zero).
fn segment_frame(a: Point, b: Point, t: f32) -> Frame {
    let tangent = unit(sub(xyz(b), xyz(a)));
    Frame { point: lerp4(a, b, t), tangent, ortho: unit(cross(tangent, Y)) }
}

fn segment_length(path: &Path, i: usize) -> f32 {
    length(sub(xyz(path.point(i + 1)), xyz(path.point(i))))
}

/// Paths of up to this many points keep their arc lengths up to every point (a KiB on the stack);
/// longer ones are walked again for each branch.
const KEPT: usize = 256;

/// A path's arc length up to each of its points, summed segment by segment as Nodarium sums it
/// (`walked[i]`: the first `i` segments), worked out once per path instead of once per branch.
struct Walked {
    to_point: [f32; KEPT],
    kept: bool,
    total: f32,
}

impl Walked {
    fn new(path: &Path) -> Walked {
        let mut to_point = [0.0f32; KEPT];
        let kept = path.len() <= KEPT;
        let total = if kept {
            for i in 1..path.len() {
                to_point[i] = to_point[i - 1] + segment_length(path, i - 1);
            }
            to_point[path.len().saturating_sub(1)]
        } else {
            (0..path.len() - 1).fold(0.0f32, |sum, i| sum + segment_length(path, i))
        };
        Walked { to_point, kept, total }
    }

    /// The first segment whose end is at least `target` along the path, and the length walked up
    /// to its start: Nodarium's walk, which adds each segment's length in turn.
    fn segment_reaching(&self, path: &Path, target: f32) -> Option<(usize, f32)> {
        let segments = 0..path.len() - 1;
        if self.kept {
            return segments.into_iter().find(|&i| self.to_point[i + 1] >= target).map(|i| (i, self.to_point[i]));
        }
        let mut walked = 0.0f32;
        for i in segments {
            let length = segment_length(path, i);
            if walked + length >= target {
                return Some((i, walked));
            }
            walked += length;
        }
        None
    }
}

/// Nodarium's `interpolate_along_path`: the frame at fraction `alpha` (clamped to
/// 1e−6..0.999999) of the path's arc length. The path has at least two points.
fn frame_at(path: &Path, walked: &Walked, alpha: f32) -> Frame {
    let alpha = alpha.min(0.999999).max(0.000001);
    let target = alpha * walked.total;
    if let Some((i, before)) = walked.segment_reaching(path, target) {
        return segment_frame(path.point(i), path.point(i + 1), (target - before) / segment_length(path, i));
    }
    let (a, b) = (path.point(path.len() - 2), path.point(path.len() - 1));
    let tangent = unit(sub(xyz(b), xyz(a)));
    Frame { point: b, tangent, ortho: unit(cross(tangent, Y)) }
}

/// The frame where a branch starts, or None where Nodarium drops the branch (compatibility mode).
/// `walked` holds the path's arc lengths: Nodarium sums them for every branch, here they are summed
/// once per path, with the same bits.
fn branch_frame(path: &Path, walked: &Walked, alpha: f32, compat: bool) -> Option<Frame> {
    if path.len() < 2 {
        // Nodarium stops with an assertion here; a lone point branches along X.
        let point = if path.is_empty() { [0.0; 4] } else { path.point(0) };
        return Some(Frame { point, tangent: Y, ortho: X });
    }
    let frame = frame_at(path, walked, alpha);
    if is_finite(frame.ortho) {
        Some(frame)
    } else if compat {
        None
    } else if is_finite(frame.tangent) {
        Some(Frame { ortho: unit(cross(frame.tangent, X)), ..frame })
    } else {
        Some(Frame { point: path.point(0), tangent: Y, ortho: X })
    }
}

#[allow(clippy::too_many_arguments)]
pub fn execute(
    plant: Items,
    length: Float,
    thickness: Float,
    offset_single: Float,
    lowest_branch: Float,
    highest_branch: Float,
    depth: i32,
    amount: i32,
    resolution_curve: i32,
    rotation: Float,
    out: &mut Writer,
) -> NodeResult {
    let compat = compat();
    let levels = Levels::deepest(plant, depth);
    let count = amount.max(1);
    let points = resolution_curve.max(4);
    let last = (points - 1) as f32;
    // Where each point of a branch lies along it, the same for every branch: divided out once
    // (up to the definition's 64 points; any further ones as they are written).
    let alongs: [f32; 64] = std::array::from_fn(|j| j as f32 / last);
    out.open_list()?;
    for item in plant {
        if let Some(path) = Path::of(&item).filter(|p| levels.contains(p)) {
            let tag = if compat { depth.wrapping_add(1) } else { path.depth + 1 };
            let (lowest_branch, highest_branch) = (float_input(lowest_branch.eval()), float_input(highest_branch.eval()));
            let walked = Walked::new(&path);
            for i in 0..count {
                let a = i as f32 / (count - 1).max(1) as f32;
                let (length, thickness) = (float_input(length.eval()), float_input(thickness.eval()));
                let offset = if i % 2 == 0 { float_input(offset_single.eval()) } else { 0.0 };
                let root = (a * (highest_branch - lowest_branch) + lowest_branch).min(1.0).max(0.0);
                let frame = branch_frame(&path, &walked, root + (offset - 0.5) * 6.0 / points as f32, compat);
                let angle = (float_input(rotation.eval()) * std::f32::consts::PI / 180.0) * i as f32;
                let frame = match frame {
                    Some(frame) => frame,
                    None => continue,
                };
                let direction = quat::rotate(quat::from_axis_angle(unit(frame.tangent), angle), frame.ortho);
                let base = frame.point;
                let item = out.open()?;
                out.extend(&[ItemKind::Path.tag(), tag])?;
                for (j, words) in out.reserve(4 * points as usize)?.chunks_exact_mut(4).enumerate() {
                    let along = alongs.get(j).copied().unwrap_or_else(|| j as f32 / last);
                    let step = scale(direction, along);
                    let point = [
                        base[0] + step[0] * length,
                        base[1] + step[1] * length,
                        base[2] + step[2] * length,
                        base[3] * thickness * (1.0 - along),
                    ];
                    words.copy_from_slice(&point.map(encode_float));
                }
                out.close(item)?;
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
    use ndg_util::vecmath::dot;

    fn path_along(direction: Vec3) -> Vec<i32> {
        let mut slot = vec![0; 6 + 4 * 2];
        let points = [[0.0, 0.0, 0.0, 1.0], [direction[0], direction[1], direction[2], 1.0]];
        write_path(&mut Writer::new(&mut slot), 1, points.iter().copied()).unwrap();
        slot
    }

    fn frame(direction: Vec3, compat: bool) -> Option<Frame> {
        let words = path_along(direction);
        let item = Items::new(&words, 0).unwrap().next().unwrap();
        let path = Path::of(&item).unwrap();
        branch_frame(&path, &Walked::new(&path), 0.5, compat)
    }

    #[test]
    fn kept_arc_lengths_find_the_segments_the_walk_finds() {
        let points: Vec<Point> = (0..40).map(|i| [i as f32 * 0.1, (i * i) as f32 * 0.013, (i % 7) as f32 * 0.2, 1.0]).collect();
        let mut words = vec![0; 6 + 4 * points.len()];
        write_path(&mut Writer::new(&mut words), 1, points.into_iter()).unwrap();
        let item = Items::new(&words, 0).unwrap().next().unwrap();
        let path = Path::of(&item).unwrap();
        let kept = Walked::new(&path);
        let total = (0..path.len() - 1).fold(0.0f32, |sum, i| sum + segment_length(&path, i));
        let walking = Walked { kept: false, total, ..kept };
        assert_eq!(kept.total.to_bits(), total.to_bits());
        for step in 0..=1000 {
            let target = step as f32 / 1000.0 * 1.01 * total;
            assert_eq!(kept.segment_reaching(&path, target), walking.segment_reaching(&path, target), "{}", target);
        }
    }

    #[test]
    fn branches_leave_horizontally() {
        let f = frame([0.3, 1.0, -0.2], false).unwrap();
        assert_eq!(f.ortho[1], 0.0);
        assert!((length(f.ortho) - 1.0).abs() < 1e-6);
        assert!(dot(f.ortho, f.tangent).abs() < 1e-6);
    }

    #[test]
    fn a_path_parallel_to_y_still_has_a_perpendicular() {
        for direction in [[0.0, 1.0, 0.0], [0.0, -2.0, 0.0]] {
            let f = frame(direction, false).unwrap();
            assert!((length(f.ortho) - 1.0).abs() < 1e-6);
            assert!(dot(f.ortho, f.tangent).abs() < 1e-6);
            // Nodarium's perpendicular is NaN here and it drops the branch.
            assert!(frame(direction, true).is_none());
        }
    }

    #[test]
    fn a_path_without_length_branches_along_x_from_its_point() {
        let f = frame([0.0; 3], false).unwrap();
        assert_eq!(f.point, [0.0, 0.0, 0.0, 1.0]);
        assert_eq!((f.tangent, f.ortho), (Y, X));
        assert!(frame([0.0; 3], true).is_none());
    }
}

//! Bends the deepest paths of a plant (see `ndg_util::paths::Levels`) downwards, segment by
//! segment, keeping every segment's length and every point's thickness.
//!
//! For segment `i` of a path of `n` points, with `d` the segment, `L` its length and
//! `α = i/(n − 1)`, the new direction is `d` blended towards `(0, −L·strength²/curviness, 0)` by
//! `curviness·√α` (curviness at least 1e−4), nudged off the vertical by 1e−4 in x and z when it
//! has no sideways part, and scaled back to length `L`. The path is then rebuilt from its first
//! point: point `i + 1` = new point `i` + new segment `i`.
//!
//! Nodarium computes the same directions but adds the accumulated offset to point `i + 1` before
//! counting segment `i` in, so each bend shows one segment late and the last one never shows;
//! here each segment takes its own bend. Items that are not selected pass through unchanged.

use ndg_util::paths::{write_path, Levels, Path};
use ndg_util::vecmath::{add, length, lerp, sub, with_length, xyz, Vec3};
use ndg_util::{Items, NodeResult, Writer};

/// The bent direction of segment `d`, at `alpha` along its path.
fn bend(d: Vec3, alpha: f32, strength: f32, curviness: f32) -> Vec3 {
    let segment = length(d);
    let pull = strength * strength / curviness.max(1e-4);
    let mut direction = lerp(d, [0.0, -segment * pull, 0.0], curviness * alpha.sqrt());
    if direction[0] == 0.0 && direction[2] == 0.0 {
        direction[0] += 1e-4;
        direction[2] += 1e-4;
    }
    with_length(direction, segment)
}

pub fn execute(plant: Items, strength: f32, curviness: f32, depth: i32, out: &mut Writer) -> NodeResult {
    let levels = Levels::deepest(plant, depth);
    out.open_list()?;
    for item in plant {
        let path = match Path::of(&item).filter(|p| levels.contains(p)) {
            Some(path) if !path.is_empty() => path,
            _ => {
                out.extend(item.words)?;
                continue;
            }
        };
        let last = (path.len() - 1) as f32;
        let mut at = xyz(path.point(0));
        let bent = std::iter::once(path.point(0)).chain((1..path.len()).map(|i| {
            let d = sub(xyz(path.point(i)), xyz(path.point(i - 1)));
            at = add(at, bend(d, (i - 1) as f32 / last, strength, curviness));
            [at[0], at[1], at[2], path.point(i)[3]]
        }));
        write_path(out, path.depth, bent)?;
    }
    out.close_list()
}

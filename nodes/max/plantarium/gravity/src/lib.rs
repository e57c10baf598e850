//! Bends the deepest paths of a plant (see `ndg_util::paths::Levels`) downwards, segment by
//! segment, keeping every segment's length and every point's thickness.
//!
//! For segment `i` of a path of `n` points, from `p` to `q`, with `d = q − p`, `L = |d|` and
//! `α = i/(n − 1)`, the bent segment is `d` blended towards `(0, −L·s, 0)` by `curviness·√α`,
//! with `s = strength/max(curviness, 1e−4)·strength`, nudged off the vertical by 1e−4 in x and z
//! when it has no sideways part, and scaled back to length `L`. Every point then moves by the sum
//! of what the bends so far moved the segments' ends (`offset += p + bent − q`). All in
//! Nodarium's order of operations; a NaN float input reads as 0, as in Nodarium.
//!
//! Departure from Nodarium (compatibility mode, `ndg_util::compat()`, reproduces it): Nodarium
//! moves point `i + 1` by the offset *before* counting segment `i` in, so each bend shows one
//! segment late and the last one never shows; here each segment takes its own bend. Items that are
//! not selected pass through unchanged.
//!
//! As in Nodarium, the call counter starts at 0 and `strength` and `curviness` are evaluated anew
//! for every segment (in that order), so a `random` strength bends each segment its own way.

use ndg_util::expr::{reset_call_count, Float};
use ndg_util::paths::{write_path, Levels, Path};
use ndg_util::vecmath::{add, length, lerp, scale, sub, xyz, Vec3};
use ndg_util::{compat, float_input, Items, NodeResult, Writer};

/// The pull `s` of the docs above, from `strength` evaluated twice (Nodarium evaluates it twice).
fn pull(strength: f32, curviness: f32, strength_again: f32) -> f32 {
    strength / curviness.max(0.0001) * strength_again
}

/// The bent segment `d`, at `alpha` along its path, with the pull `s` of the docs above.
fn bend(d: Vec3, alpha: f32, pull: f32, curviness: f32) -> Vec3 {
    let segment = length(d);
    let mut direction = lerp(d, [0.0, -segment * pull, 0.0], curviness * alpha.sqrt());
    if direction[0] == 0.0 && direction[2] == 0.0 {
        direction[0] += 0.0001;
        direction[2] += 0.0001;
    }
    scale(direction, segment / length(direction))
}

pub fn execute(plant: Items, strength: Float, curviness: Float, depth: i32, out: &mut Writer) -> NodeResult {
    reset_call_count();
    let late = compat();
    let levels = Levels::deepest(plant, depth);
    // Plain values (no `random` behind them) give every segment the same pull: worked out once.
    let fixed = match (curviness.constant(), strength.constant()) {
        (Some(curviness), Some(strength)) => {
            let (curviness, strength) = (float_input(curviness), float_input(strength));
            Some((curviness, pull(strength, curviness, strength)))
        }
        _ => None,
    };
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
        let mut offset = [0.0f32; 3];
        let bent = std::iter::once(path.point(0)).chain((1..path.len()).map(|i| {
            let (start, end) = (xyz(path.point(i - 1)), xyz(path.point(i)));
            let (curviness, pull) = fixed.unwrap_or_else(|| {
                let curviness = float_input(curviness.eval());
                (curviness, pull(float_input(strength.eval()), curviness, float_input(strength.eval())))
            });
            let moved = sub(add(start, bend(sub(end, start), (i - 1) as f32 / last, pull, curviness)), end);
            let before = offset;
            offset = add(offset, moved);
            let [x, y, z] = add(end, if late { before } else { offset });
            [x, y, z, path.point(i)[3]]
        }));
        write_path(out, path.depth, bent)?;
    }
    out.close_list()
}

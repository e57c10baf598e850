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
use ndg_util::encoding::encode_float;
use ndg_util::lanes::F32x4;
use ndg_util::paths::{Levels, Path};
use ndg_util::vecmath::{add, length, lerp, scale, sub, xyz, Vec3};
use ndg_util::{compat, float_input, ItemKind, Items, NodeResult, Writer};

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

/// `sub(add(start, bend(sub(end, start), alpha, pull, curviness)), end)` for four segments, lane
/// by lane: the same IEEE operations in the same order as `bend`.
fn moved4(start: [F32x4; 3], end: [F32x4; 3], alpha: F32x4, pull: F32x4, curviness: F32x4) -> [F32x4; 3] {
    let d = [0, 1, 2].map(|c| end[c].sub(start[c]));
    let length = |v: [F32x4; 3]| v[0].mul(v[0]).add(v[1].mul(v[1])).add(v[2].mul(v[2])).sqrt();
    let segment = length(d);
    let toward = [F32x4::splat(0.0), segment.neg().mul(pull), F32x4::splat(0.0)];
    let t = curviness.mul(alpha.sqrt());
    let mut direction = [0, 1, 2].map(|c| d[c].add(toward[c].sub(d[c]).mul(t)));
    let upright = direction[0].is_zero().and(direction[2].is_zero());
    let nudge = F32x4::splat(0.0001);
    for c in [0, 2] {
        direction[c] = direction[c].replace_where(upright, direction[c].add(nudge));
    }
    let factor = segment.div(length(direction));
    [0, 1, 2].map(|c| start[c].add(direction[c].mul(factor)).sub(end[c]))
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
        let item = out.open()?;
        out.extend(&[ItemKind::Path.tag(), path.depth])?;
        let words = out.reserve(4 * path.len())?;
        // First what bending moves the end of each segment `i` (from point `i − 1` to point `i`),
        // four segments at a time, into point `i`'s x, y, z words; then, point by point, the sum
        // of the moves so far added to each point.
        let mut segment = |_: usize| fixed.unwrap_or_else(|| {
            let curviness = float_input(curviness.eval());
            (curviness, pull(float_input(strength.eval()), curviness, float_input(strength.eval())))
        });
        let last = (path.len() - 1) as f32;
        let fours = (path.len() - 1) / 4 * 4;
        // `after[c]`: coordinate c of the last four points read, one a lane (lane 3 starts the
        // next segment).
        let mut after = [0, 1, 2].map(|c| F32x4::splat(path.point(0)[c]));
        for first in (1..1 + fours).step_by(4) {
            let lanes = [first, first + 1, first + 2, first + 3];
            let bends = lanes.map(&mut segment);
            let (curviness, pull) = (F32x4::new(bends.map(|b| b.0)), F32x4::new(bends.map(|b| b.1)));
            let ends = F32x4::transpose(lanes.map(|i| F32x4::load_bits(path.point_words(i))));
            let starts = [0, 1, 2].map(|c| after[c].shift_in(ends[c]));
            after = [ends[0], ends[1], ends[2]];
            let alpha = F32x4::new(lanes.map(|i| (i - 1) as f32)).div(F32x4::splat(last));
            let moved = moved4(starts, after, alpha, pull, curviness);
            let [x, y, z, w] = F32x4::transpose([moved[0], moved[1], moved[2], F32x4::splat(0.0)]);
            for (i, moved) in lanes.into_iter().zip([x, y, z, w]) {
                moved.store_bits(&mut words[4 * i..]);
            }
        }
        for i in 1 + fours..path.len() {
            let (curviness, pull) = segment(i);
            let (start, end) = (xyz(path.point(i - 1)), xyz(path.point(i)));
            let moved = sub(add(start, bend(sub(end, start), (i - 1) as f32 / last, pull, curviness)), end);
            words[4 * i..4 * i + 4].copy_from_slice(&[moved[0], moved[1], moved[2], 0.0].map(encode_float));
        }
        // Each point moved by the sum of the moves so far (lane 3, the thickness, by 0 and then
        // put back as it was).
        words[..4].copy_from_slice(path.point_words(0));
        let mut offset = F32x4::splat(0.0);
        for (i, words) in words.chunks_exact_mut(4).enumerate().skip(1) {
            let before = offset;
            offset = offset.add(F32x4::load_bits(words));
            let point = path.point_words(i);
            F32x4::load_bits(point).add(if late { before } else { offset }).store_bits(words);
            words[3] = point[3];
        }
        out.close(item)?;
    }
    out.close_list()
}

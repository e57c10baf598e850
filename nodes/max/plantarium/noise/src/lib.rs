//! Displaces the deepest paths of a plant (see `ndg_util::paths::Levels`) with Nodarium's noise,
//! bit for bit.
//!
//! Point `i` of path `j` (its index among the input's items), at `a = i/(n − 1)` along a path of
//! arc length `ℓ`, samples each axis' noise at `(j + a·ℓ·s, a·s)` with `s = scale/10` (in f64),
//! and moves by `noise·directionalStrength·strength·(1 + (a − 1)·fixBottom)`: with `fixBottom` 1
//! the base stays put and the tip moves most. The three axes use `HybridMulti<OpenSimplex>` of the
//! `noise` crate 0.9 (`ndg_util::noise::HybridMulti`) seeded `seed + 1`, `+ 2`, `+ 3`, with
//! `octaves` octaves. Thickness is kept; other items pass through; the output has exactly the
//! input's shape. A NaN float input reads as 0, as in Nodarium. As there, the call counter starts
//! at 0 and the float inputs are evaluated once, in the order scale, strength, fixBottom,
//! directionalStrength.
//!
//! Departure from Nodarium: where a point lies beyond ±2³¹ noise units (or is NaN) Nodarium's
//! noise panics; here the noise saturates there and the node runs on.

use ndg_util::expr::{reset_call_count, Float, Vec3};
use ndg_util::noise::HybridMulti;
use ndg_util::paths::{write_path, Levels, Path};
use ndg_util::vecmath::{distance, xyz};
use ndg_util::{float_input, vec3_input, Items, NodeResult, Writer};

#[allow(clippy::too_many_arguments)]
pub fn execute(
    plant: Items,
    scale: Float,
    strength: Float,
    fix_bottom: Float,
    seed: i32,
    directional_strength: Vec3,
    depth: i32,
    octaves: i32,
    out: &mut Writer,
) -> NodeResult {
    reset_call_count();
    let scale = (float_input(scale.eval()) * 0.1) as f64;
    let (strength, fix_bottom) = (float_input(strength.eval()), float_input(fix_bottom.eval()));
    let directional_strength = vec3_input(directional_strength.eval());
    let levels = Levels::deepest(plant, depth);
    let noises = [1, 2, 3].map(|k| HybridMulti::new((seed as u32).wrapping_add(k), octaves));
    out.open_list()?;
    for (j, item) in plant.enumerate() {
        let path = match Path::of(&item).filter(|p| levels.contains(p)) {
            Some(path) if !path.is_empty() => path,
            _ => {
                out.extend(item.words)?;
                continue;
            }
        };
        let arc = (1..path.len()).fold(0.0f32, |sum, i| sum + distance(xyz(path.point(i - 1)), xyz(path.point(i)))) as f64;
        let last = (path.len() - 1) as f64;
        let moved = path.points().enumerate().map(|(i, p)| {
            let a = i as f64 / last;
            let at = [j as f64 + a * arc * scale, a * scale];
            let fade = 1.0 + fix_bottom * (a as f32 - 1.0);
            let mut q = p;
            for k in 0..3 {
                q[k] += noises[k].get(at) as f32 * directional_strength[k] * strength * fade;
            }
            q
        });
        write_path(out, path.depth, moved)?;
    }
    out.close_list()
}

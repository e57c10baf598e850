//! Displaces the deepest paths of a plant (see `ndg_util::paths::Levels`) with gradient noise.
//!
//! Point `i` of path `j` (its index among the input's items), at `a = i/(n − 1)` along a path of
//! arc length `ℓ`, samples each axis' noise at `(j + a·ℓ·s, a·s)` with `s = scale/10`, and moves by
//! `noise·directionalStrength·strength·(1 + (a − 1)·fixBottom)`: with `fixBottom` 1 the base stays
//! put and the tip moves most. The three axes use independent noise patterns seeded with
//! `seed + 1`, `+ 2`, `+ 3`, summed over `octaves` octaves as a hybrid multifractal — what
//! Nodarium does with the `noise` crate's `HybridMulti<OpenSimplex>`; ndg's noise is Perlin's
//! (`ndg_util::noise`), so the pattern differs from Nodarium's while its character is the same.
//! Thickness is kept; other items pass through; the output has exactly the input's shape.

use ndg_util::noise::{Perlin, LACUNARITY, PERSISTENCE};
use ndg_util::paths::{write_path, Levels, Path};
use ndg_util::vecmath::{distance, xyz};
use ndg_util::{Items, NodeResult, Writer};

#[allow(clippy::too_many_arguments)]
pub fn execute(
    plant: Items,
    scale: f32,
    strength: f32,
    fix_bottom: f32,
    seed: i32,
    directional_strength: [f32; 3],
    depth: i32,
    octaves: i32,
    out: &mut Writer,
) -> NodeResult {
    let levels = Levels::deepest(plant, depth);
    let patterns = [1, 2, 3].map(|k| Perlin::from_seed(seed.wrapping_add(k)));
    let octaves = octaves.max(1) as u32;
    let scale = scale * 0.1;
    out.open_list()?;
    for (j, item) in plant.enumerate() {
        let path = match Path::of(&item).filter(|p| levels.contains(p)) {
            Some(path) if !path.is_empty() => path,
            _ => {
                out.extend(item.words)?;
                continue;
            }
        };
        let arc: f32 = (1..path.len()).map(|i| distance(xyz(path.point(i - 1)), xyz(path.point(i)))).sum();
        let last = (path.len() - 1).max(1) as f32;
        let moved = path.points().enumerate().map(|(i, p)| {
            let a = i as f32 / last;
            let at = [j as f32 + a * arc * scale, a * scale];
            let weight = strength * (1.0 + (a - 1.0) * fix_bottom);
            let mut q = p;
            for k in 0..3 {
                q[k] += patterns[k].hybrid_multi(at, octaves, LACUNARITY, PERSISTENCE) * directional_strength[k] * weight;
            }
            q
        });
        write_path(out, path.depth, moved)?;
    }
    out.close_list()
}

//! Nodarium's noise, bit for bit: OpenSimplex in two dimensions and its hybrid multifractal, as
//! the `noise` crate 0.9 computes them, and Nodarium's `random` value built on them.
//!
//! The algorithms (written here from their published descriptions and checked word for word
//! against Nodarium's own modules, see `tests/test_nodarium_kernels.py`):
//! - OpenSimplex 2D (K. Spencer, 2014, public domain): the plane is stretched onto a rhombic
//!   lattice by `(x + y)·(1/√3 − 1)/2`, the cell's corners are squished back by `(√3 − 1)/2`, and
//!   three corners contribute `(2 − |d|²)⁴·(g·d)` each, with `g` one of eight gradients picked by a
//!   permutation-table hash of the corner. Like the `noise` crate, the cell is found with a floor
//!   that takes one off every value `≤ 0` (so whole negative numbers and zero fall one cell lower
//!   than a true floor), and the sum is scaled by 1/14; all in f64.
//! - Hybrid multifractal (F. K. Musgrave, "Texturing and Modeling", ch. 16) in the `noise` crate's
//!   form: frequency 2, lacunarity 2π/3, persistence 1/4, octave `k` seeded `seed + k`, each octave
//!   weighted by the product of the ones before it, that weight raised to at least 1 (`max`, as
//!   the crate has it), the sum scaled by its bound.
//! - The permutation table of a seed: 0..=255 shuffled by [`crate::rng::XorShift`] seeded with the
//!   bytes `[1, 0, 0, 0, s, s, s]` (`s` the seed's four little-endian bytes), the corner hash
//!   `table[table[x & 255] ^ (y & 255)]`.
//!
//! One departure, where the `noise` crate panics: a coordinate beyond ±2³¹ (or NaN) has no cell
//! there; here its cell index saturates (NaN reads as 0), so the node runs on.

use crate::rng::XorShift;

const STRETCH: f64 = -0.211_324_865_405_187; // (1/√3 − 1)/2
const SQUISH: f64 = 0.366_025_403_784_439; // (√3 − 1)/2
const NORM: f64 = 1.0 / 14.0;

/// A seed's shuffled table of 0..=255.
#[derive(Clone)]
pub struct PermutationTable {
    values: [u8; 256],
}

impl PermutationTable {
    pub fn new(seed: u32) -> PermutationTable {
        let mut bytes = [0u8; 16];
        bytes[0] = 1;
        for i in 1..4 {
            bytes[4 * i..4 * i + 4].copy_from_slice(&seed.to_le_bytes());
        }
        let mut values = [0u8; 256];
        for (i, value) in values.iter_mut().enumerate() {
            *value = i as u8;
        }
        XorShift::from_seed(bytes).shuffle(&mut values);
        PermutationTable { values }
    }

    fn hash(&self, x: i32, y: i32) -> usize {
        self.values[self.values[(x & 255) as usize] as usize ^ (y & 255) as usize] as usize
    }
}

/// The lattice cell index of a stretched coordinate: truncation, minus one for values `≤ 0`.
fn cell(v: f64) -> i32 {
    let truncated = v as i32;
    if v <= 0.0 {
        truncated.wrapping_sub(1)
    } else {
        truncated
    }
}

fn gradient(index: usize) -> [f64; 2] {
    const DIAG: f64 = std::f64::consts::FRAC_1_SQRT_2;
    match index % 8 {
        0 => [1.0, 0.0],
        1 => [-1.0, 0.0],
        2 => [0.0, 1.0],
        3 => [0.0, -1.0],
        4 => [DIAG, DIAG],
        5 => [-DIAG, DIAG],
        6 => [DIAG, -DIAG],
        _ => [-DIAG, -DIAG],
    }
}

// Sums start from 0.0 and add term by term, as the crate's vector `sum` and `dot` do: the same
// roundings, and -0.0 becomes +0.0 the same way.
fn sum2(a: f64, b: f64) -> f64 {
    let mut total = 0.0;
    total += a;
    total += b;
    total
}

/// `x·x`: t⁴ is `square(square(t))`, the multiplications `powi(4)` compiled to, without
/// leaving the exponent to a platform's `powi`.
fn square(x: f64) -> f64 {
    x * x
}

fn surflet(index: usize, d: [f64; 2]) -> f64 {
    let t = 2.0 - sum2(d[0] * d[0], d[1] * d[1]);
    if t > 0.0 {
        let g = gradient(index);
        square(square(t)) * sum2(d[0] * g[0], d[1] * g[1])
    } else {
        0.0
    }
}

/// OpenSimplex noise at `point`, in about [-1, 1].
pub fn open_simplex_2d(point: [f64; 2], table: &PermutationTable) -> f64 {
    let stretch_offset = sum2(point[0], point[1]) * STRETCH;
    let stretched = point.map(|v| v + stretch_offset);
    let corner = stretched.map(cell);
    let floor = corner.map(|v| v as f64);
    let squish_offset = sum2(floor[0], floor[1]) * SQUISH;
    let origin = floor.map(|v| v + squish_offset);
    let region_sum = sum2(stretched[0] - floor[0], stretched[1] - floor[1]);
    let relative = [point[0] - origin[0], point[1] - origin[1]];
    let contribute = |dx: i32, dy: i32| {
        let offset = [dx as f64, dy as f64];
        let index = table.hash(corner[0].wrapping_add(dx), corner[1].wrapping_add(dy));
        let squish = SQUISH * sum2(offset[0], offset[1]);
        surflet(index, [relative[0] - squish - offset[0], relative[1] - squish - offset[1]])
    };
    let mut value = 0.0;
    value += contribute(1, 0);
    value += contribute(0, 1);
    value += if region_sum > 1.0 { contribute(1, 1) } else { contribute(0, 0) };
    value * NORM
}

/// `HybridMulti<OpenSimplex>` of the `noise` crate 0.9 with its default frequency, lacunarity
/// and persistence.
pub struct HybridMulti {
    octaves: Vec<PermutationTable>,
    scale_factor: f64,
}

impl HybridMulti {
    pub const FREQUENCY: f64 = 2.0;
    pub const LACUNARITY: f64 = std::f64::consts::PI * 2.0 / 3.0;
    pub const PERSISTENCE: f64 = 0.25;
    pub const MAX_OCTAVES: usize = 32;

    /// `octaves` is clamped to 1..=32 (a negative count reads as a huge one).
    pub fn new(seed: u32, octaves: i32) -> HybridMulti {
        let count = (octaves as u32 as usize).clamp(1, Self::MAX_OCTAVES);
        HybridMulti {
            octaves: (0..count).map(|k| PermutationTable::new(seed.wrapping_add(k as u32))).collect(),
            scale_factor: Self::scale_factor(count),
        }
    }

    /// 2 over the largest value the sum can reach, in the crate's order of additions.
    fn scale_factor(octaves: usize) -> f64 {
        let p = Self::PERSISTENCE;
        let mut amplitude = p;
        let mut bound = p + p;
        bound += (1..=octaves).fold(0.0, |sum, _| {
            amplitude *= p;
            sum + amplitude
        });
        2.0 / bound
    }

    pub fn get(&self, point: [f64; 2]) -> f64 {
        let mut point = point.map(|v| v * Self::FREQUENCY);
        let mut attenuation = Self::PERSISTENCE;
        let mut result = open_simplex_2d(point, &self.octaves[0]) * Self::PERSISTENCE;
        let mut weight = result;
        for table in &self.octaves[1..] {
            weight = weight.max(1.0);
            point = point.map(|v| v * Self::LACUNARITY);
            let signal = open_simplex_2d(point, table) * attenuation;
            attenuation *= Self::PERSISTENCE;
            result += weight * signal;
            weight *= signal;
        }
        result * self.scale_factor
    }
}

/// Nodarium's `random` value: between `min` and `max`, from OpenSimplex at `(s, 5)` with the
/// table of `s = (seed + call_count) % 100000`; then `call_count` moves on by 512 (modulo
/// `i32::MAX`), so the next evaluation with the same seed gives another number. Each consuming
/// node keeps its own counter, starting at 0.
pub fn random_value(min: f32, max: f32, seed: i32, call_count: &mut i32) -> f32 {
    let seed = seed.wrapping_add(*call_count) % 100_000;
    let unit = open_simplex_2d([seed as f64, 5.0], &PermutationTable::new(seed as u32)) as f32 + 0.5;
    *call_count = call_count.wrapping_add(512) % i32::MAX;
    min + unit * (max - min)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points on a grid that is not aligned with the lattice, over several cells.
    fn grid() -> impl Iterator<Item = [f64; 2]> {
        (0..120).flat_map(|i| (0..120).map(move |j| [i as f64 * 0.0771 - 4.3, j as f64 * 0.0613 - 3.1]))
    }

    #[test]
    fn four_uses_of_one_random_give_nodariums_four_values() {
        // A Nodarium stem node's four stems, their length `random(min: -1, max: 3)` at run seed 7
        // (tests/test_nodarium_nodes.py checks many more values through the nodes).
        let mut count = 0;
        let values: Vec<u32> = (0..4).map(|_| random_value(-1.0, 3.0, 7, &mut count).to_bits()).collect();
        assert_eq!(values, [0x3f98_858a, 0x3f82_3ca8, 0x3fdc_33a2, 0xbe7e_c790]);
        assert_eq!(count, 2048);
    }

    #[test]
    fn stays_in_its_bound() {
        let table = PermutationTable::new(5);
        let (mut lowest, mut highest) = (0.0f64, 0.0f64);
        for point in grid() {
            let value = open_simplex_2d(point, &table);
            assert!((-1.0..=1.0).contains(&value), "{:?} {}", point, value);
            lowest = lowest.min(value);
            highest = highest.max(value);
        }
        assert!(lowest < -0.4 && highest > 0.4, "{} {}", lowest, highest);
    }

    #[test]
    fn continuous_small_steps_make_small_changes() {
        let table = PermutationTable::new(9);
        for [x, y] in grid().step_by(37) {
            let step = (open_simplex_2d([x + 1e-4, y], &table) - open_simplex_2d([x, y], &table)).abs();
            assert!(step < 1e-3, "jump of {} at ({}, {})", step, x, y);
        }
    }

    #[test]
    fn tables_are_permutations_that_depend_on_the_seed() {
        let mut sorted = PermutationTable::new(42).values;
        sorted.sort_unstable();
        assert!(sorted.iter().enumerate().all(|(i, &v)| v as usize == i));
        assert_ne!(PermutationTable::new(1).values, PermutationTable::new(2).values);
    }

    #[test]
    fn one_octave_is_the_scaled_noise_and_octaves_are_clamped() {
        let noise = HybridMulti::new(3, 1);
        let table = PermutationTable::new(3);
        // One octave: the bound is p + p + p², so the scale is 2 / 0.5625.
        for [x, y] in grid().step_by(101) {
            let expected = open_simplex_2d([x * 2.0, y * 2.0], &table) * 0.25 * (2.0 / 0.5625);
            assert_eq!(noise.get([x, y]).to_bits(), expected.to_bits());
        }
        assert_eq!(HybridMulti::new(3, 0).octaves.len(), 1);
        assert_eq!(HybridMulti::new(3, -1).octaves.len(), 32);
        assert_eq!(HybridMulti::new(3, 99).octaves.len(), 32);
    }

    #[test]
    fn the_counter_moves_on_and_wraps() {
        // Nodarium's release build wraps the addition before taking the remainder.
        let mut count = i32::MAX - 100;
        random_value(0.0, 1.0, 7, &mut count);
        assert_eq!(count, i32::MIN + 411);
        let mut first = 0;
        let a = random_value(0.0, 1.0, 7, &mut first);
        let b = random_value(0.0, 1.0, 7, &mut first);
        assert_ne!(a, b);
    }

    #[test]
    fn non_finite_points_do_not_panic() {
        let noise = HybridMulti::new(1, 5);
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e30, -1e30] {
            noise.get([value, 0.5]);
            noise.get([0.5, value]);
        }
    }
}

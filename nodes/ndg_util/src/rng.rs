//! A seeded, deterministic random generator: SplitMix64.
//!
//! Algorithm: G. L. Steele, D. Lea, C. H. Flood, "Fast Splittable Pseudorandom Number
//! Generators", OOPSLA 2014; constants as in S. Vigna's public-domain `splitmix64.c`
//! (https://prng.di.unimi.it/splitmix64.c). Every 64-bit seed is valid, the state is one `u64`,
//! and only integer arithmetic decides the bits, so a seed gives the same numbers on every
//! machine. It is not cryptographic.

pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// A generator for a node's `seed` input; negative seeds are as good as positive ones.
    pub fn from_seed(seed: i32) -> Rng {
        Rng::new(seed as u32 as u64)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn next_u32(&mut self) -> u32 {
        // The high bits are the best-mixed ones.
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in [0, 1): 24 random bits, which an f32 holds exactly.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }

    /// Uniform between `low` and `high` (either order); rounding can give `high` itself but never
    /// anything outside the two.
    pub fn range_f32(&mut self, low: f32, high: f32) -> f32 {
        let value = low + (high - low) * self.next_f32();
        value.max(low.min(high)).min(low.max(high))
    }

    /// Uniform in `low..high`; `low` when the range is empty.
    pub fn range_i32(&mut self, low: i32, high: i32) -> i32 {
        if high <= low {
            return low;
        }
        let span = (high as i64 - low as i64) as u64;
        // Multiply-shift maps 32 random bits onto the span (Lemire 2019) without a division; the
        // bias is below span / 2^32.
        let offset = (self.next_u32() as u64 * span) >> 32;
        (low as i64 + offset as i64) as i32
    }

    /// Puts `items` in a random order (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.range_i32(0, i as i32 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_sequence() {
        // The first outputs of splitmix64.c for seed 1234567.
        let mut rng = Rng::new(1_234_567);
        let expected = [
            6457827717110365317u64,
            3203168211198807973,
            9817491932198370423,
            4593380528125082431,
            16408922859458223821,
        ];
        for value in expected {
            assert_eq!(rng.next_u64(), value);
        }
    }

    #[test]
    fn same_seed_same_numbers_different_seed_different_numbers() {
        let draw = |seed| {
            let mut rng = Rng::from_seed(seed);
            [rng.next_f32(), rng.next_f32(), rng.next_f32()].map(f32::to_bits)
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
        assert_ne!(draw(-1), draw(1));
    }

    #[test]
    fn floats_stay_in_their_ranges() {
        let mut rng = Rng::new(7);
        let (mut lowest, mut highest) = (1.0f32, 0.0f32);
        for _ in 0..10_000 {
            let unit = rng.next_f32();
            assert!((0.0..1.0).contains(&unit));
            lowest = lowest.min(unit);
            highest = highest.max(unit);
            let ranged = rng.range_f32(-2.0, 3.0);
            assert!((-2.0..=3.0).contains(&ranged));
            let reversed = rng.range_f32(5.0, 1.0);
            assert!((1.0..=5.0).contains(&reversed));
        }
        // 10 000 draws cover the unit interval well.
        assert!(lowest < 0.001 && highest > 0.999);
        assert_eq!(rng.range_f32(2.0, 2.0), 2.0);
    }

    #[test]
    fn integers_cover_their_range_and_nothing_else() {
        let mut rng = Rng::new(99);
        let mut seen = [0u32; 5];
        for _ in 0..5_000 {
            let value = rng.range_i32(-2, 3);
            assert!((-2..3).contains(&value));
            seen[(value + 2) as usize] += 1;
        }
        assert!(seen.iter().all(|&count| count > 800 && count < 1200));
        assert_eq!(rng.range_i32(4, 4), 4);
        assert_eq!(rng.range_i32(4, -4), 4);
        assert!((i32::MIN..i32::MAX).contains(&rng.range_i32(i32::MIN, i32::MAX)));
    }

    #[test]
    fn shuffle_permutes() {
        let mut items: Vec<u32> = (0..256).collect();
        Rng::new(3).shuffle(&mut items);
        assert_ne!(items, (0..256).collect::<Vec<u32>>());
        let mut sorted = items.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..256).collect::<Vec<u32>>());
    }
}

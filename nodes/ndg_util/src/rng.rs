//! The random numbers behind Nodarium's noise tables, reproduced bit for bit.
//!
//! Nodarium's `noise` crate (0.9) shuffles its permutation tables with `rand` 0.8.5 driving an
//! `XorShiftRng` from `rand_xorshift` 0.3.0. This module is that generator and that shuffle:
//! - Marsaglia's xorshift128 (G. Marsaglia, "Xorshift RNGs", Journal of Statistical Software 8(14),
//!   2003) with shifts 11, 8, 19, its state four `u32`s read little-endian from a 16-byte seed (an
//!   all-zero seed is replaced by `0x0BAD_5EED` four times, as `rand_xorshift` does);
//! - `rand`'s uniform integer in `0..n`: a widening multiply of one 32-bit draw by `n`, the draw
//!   rejected while the low half exceeds `(n << n.leading_zeros()) - 1` (`UniformInt`'s
//!   `sample_single_inclusive` for `u32`);
//! - `rand`'s Fisher–Yates `shuffle`, from the last index down to 1.
//!
//! Only integer arithmetic decides the bits, so a seed gives the same table on every machine. It
//! is not cryptographic.

pub struct XorShift {
    x: u32,
    y: u32,
    z: u32,
    w: u32,
}

impl XorShift {
    pub fn from_seed(seed: [u8; 16]) -> XorShift {
        let word = |i: usize| u32::from_le_bytes([seed[4 * i], seed[4 * i + 1], seed[4 * i + 2], seed[4 * i + 3]]);
        let [x, y, z, w] = match [word(0), word(1), word(2), word(3)] {
            [0, 0, 0, 0] => [0x0BAD_5EED; 4],
            state => state,
        };
        XorShift { x, y, z, w }
    }

    pub fn next_u32(&mut self) -> u32 {
        let t = self.x ^ (self.x << 11);
        self.x = self.y;
        self.y = self.z;
        self.z = self.w;
        self.w = self.w ^ (self.w >> 19) ^ (t ^ (t >> 8));
        self.w
    }

    /// Uniform in `0..bound` (`bound` at least 1), as `rand` 0.8.5's `gen_range(0..bound)` draws it.
    pub fn below(&mut self, bound: u32) -> u32 {
        let zone = (bound << bound.leading_zeros()).wrapping_sub(1);
        loop {
            let wide = self.next_u32() as u64 * bound as u64;
            if wide as u32 <= zone {
                return (wide >> 32) as u32;
            }
        }
    }

    /// Puts `items` in a random order, as `rand` 0.8.5's `SliceRandom::shuffle`.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u32 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_the_seed_read_little_endian() {
        // x = 1, y = z = w = 2: t = 1 ^ 2048 = 2049, w = 2 ^ 0 ^ (2049 ^ 8) = 2059.
        let mut seed = [0u8; 16];
        seed[0] = 1;
        for i in 1..4 {
            seed[4 * i] = 2;
        }
        let mut rng = XorShift::from_seed(seed);
        assert_eq!(rng.next_u32(), 2059);
        assert_eq!((rng.x, rng.y, rng.z, rng.w), (2, 2, 2, 2059));
    }

    #[test]
    fn an_all_zero_seed_is_replaced() {
        let mut zero = XorShift::from_seed([0; 16]);
        let mut bad_seed = XorShift::from_seed(0x0BAD_5EEDu32.to_le_bytes().repeat(4).try_into().unwrap());
        for _ in 0..8 {
            assert_eq!(zero.next_u32(), bad_seed.next_u32());
        }
    }

    #[test]
    fn below_stays_below_and_covers_its_range() {
        let mut rng = XorShift::from_seed([7; 16]);
        let mut seen = [0u32; 6];
        for _ in 0..6000 {
            seen[rng.below(6) as usize] += 1;
        }
        assert!(seen.iter().all(|&count| count > 800 && count < 1200), "{:?}", seen);
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn shuffle_permutes() {
        let mut items: Vec<u32> = (0..256).collect();
        XorShift::from_seed([3; 16]).shuffle(&mut items);
        assert_ne!(items, (0..256).collect::<Vec<u32>>());
        items.sort_unstable();
        assert_eq!(items, (0..256).collect::<Vec<u32>>());
    }
}

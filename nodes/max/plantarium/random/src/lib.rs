//! One random float between `min` and `max`, decided by `seed` alone.
//!
//! ndg evaluates scalars eagerly: this node runs once and gives one number, which every node it
//! feeds sees. Nodarium instead passes `random` on as an expression that each consumer evaluates,
//! with a call counter in the seed, so for example each of a stem node's stems gets its own
//! thickness. Here a stem node's stems share one thickness, and two `random` nodes with the same
//! seed and range give the same number: give them different seeds to draw different numbers.
//!
//! The generator is `ndg_util::rng` (SplitMix64), the same bits on every machine.

use ndg_util::rng::Rng;

pub fn execute(min: f32, max: f32, seed: i32) -> f32 {
    Rng::from_seed(seed).range_f32(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_in_range_and_repeats_for_a_seed() {
        for seed in 0..200 {
            let value = execute(-2.0, 2.0, seed);
            assert!((-2.0..=2.0).contains(&value));
            assert_eq!(value.to_bits(), execute(-2.0, 2.0, seed).to_bits());
        }
        assert_eq!(execute(2.0, 2.0, 7), 2.0);
        assert_ne!(execute(0.0, 1.0, 1), execute(0.0, 1.0, 2));
    }
}

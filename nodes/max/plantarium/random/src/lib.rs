//! One random float between `min` and `max`: Nodarium's random value
//! (`ndg_util::noise::random_value`, OpenSimplex noise of the seed), bit for bit.
//!
//! Nodarium evaluates a `random` anew at every use, with a call counter in the seed; this node
//! gives the first such value (counter 0). Per-use evaluation, where a consumer draws several
//! values from one `random`, is the compiler's business (see docs/nodarium.md).

use ndg_util::noise::random_value;

pub fn execute(min: f32, max: f32, seed: i32) -> f32 {
    random_value(min, max, seed, &mut 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_for_a_seed() {
        // Nodarium's values may leave min..max a little: the noise is not bounded by ±0.5.
        for seed in 0..200 {
            let value = execute(-2.0, 2.0, seed);
            assert!(value.is_finite());
            assert_eq!(value.to_bits(), execute(-2.0, 2.0, seed).to_bits());
        }
        assert_eq!(execute(2.0, 2.0, 7), 2.0);
        assert_ne!(execute(0.0, 1.0, 1), execute(0.0, 1.0, 2));
    }
}

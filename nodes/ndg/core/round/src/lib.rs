//! A float made an integer: the nearest one, halves away from zero (2.5 → 3, -2.5 → -3). Beyond
//! 32 bits it saturates, and NaN gives 0 (Rust's `as`).

pub fn execute(value: f32) -> i32 {
    value.round() as i32
}

#[cfg(test)]
mod tests {
    use super::execute;

    #[test]
    fn nearest_with_halves_away_from_zero() {
        assert_eq!(execute(2.5), 3);
        assert_eq!(execute(-2.5), -3);
        assert_eq!(execute(2.4), 2);
        assert_eq!(execute(1e20), i32::MAX);
        assert_eq!(execute(f32::NAN), 0);
    }
}

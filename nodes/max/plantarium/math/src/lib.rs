//! Arithmetic on two floats. Nodarium returns 0 for an unknown operation; ndg's compiler refuses
//! one (the select only has four options), so that case is only reached by a hand-made plan.

pub fn execute(op_type: i32, a: f32, b: f32) -> f32 {
    // All four results are computed and one is picked by index, rather than branching on the
    // operation: in a graph that mixes operations the branch is mispredicted on most steps, which
    // costs several times the arithmetic.
    let results = [a + b, a - b, a * b, a / b, 0.0];
    results[(op_type as u32).min(4) as usize]
}

#[cfg(test)]
mod tests {
    use super::execute;

    #[test]
    fn each_operation_and_the_unknown_ones() {
        assert_eq!(execute(0, 1.5, 2.0), 3.5);
        assert_eq!(execute(1, 1.5, 2.0), -0.5);
        assert_eq!(execute(2, 1.5, 2.0), 3.0);
        assert_eq!(execute(3, 1.5, 2.0), 0.75);
        assert!(execute(3, 1.0, 0.0).is_infinite());
        for unknown in [4, 5, -1, i32::MIN, i32::MAX] {
            assert_eq!(execute(unknown, 1.5, 2.0), 0.0);
        }
    }
}

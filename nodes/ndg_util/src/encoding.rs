//! Scalars in the i32 word stream, as Nodarium encodes them: floats as their f32 bit pattern.

#[inline]
pub fn encode_float(value: f32) -> i32 {
    value.to_bits() as i32
}

#[inline]
pub fn decode_float(word: i32) -> f32 {
    f32::from_bits(word as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_bit_exact() {
        for v in [0.0f32, -0.0, 1.0, 2.0, -1.23, 1.2345e-38, f32::INFINITY, 1e10] {
            assert_eq!(decode_float(encode_float(v)).to_bits(), v.to_bits());
        }
        assert_eq!(encode_float(2.0), 1073741824);
        assert_eq!(encode_float(1.0), 1065353216);
    }
}

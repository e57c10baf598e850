//! Four `f32` or `i32` lanes at a time, for the hot loops of nodes that write large outputs.
//!
//! Where the module is built for wasm with `simd128` (ndg's build turns it on), each operation is
//! one SIMD instruction; everywhere else (the native build, `cargo test`) the same operation is
//! applied lane by lane. Either way every lane gets the same IEEE operation on the same operands
//! (no fused multiply-add: Rust never contracts `a * b + c`), so all builds give the same bits.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    #[inline(always)]
    fn store(lanes: v128, words: &mut [i32]) {
        let words = &mut words[..4];
        // SAFETY: `words` holds four i32 (16 bytes); wasm stores need no alignment.
        unsafe { v128_store(words.as_mut_ptr() as *mut v128, lanes) }
    }

    #[derive(Clone, Copy)]
    pub struct F32x4(v128);

    #[derive(Clone, Copy)]
    pub struct I32x4(v128);

    /// Four lanes, each set or not.
    #[derive(Clone, Copy)]
    pub struct Mask4(v128);

    impl Mask4 {
        #[inline(always)]
        pub fn and(self, other: Self) -> Self {
            Mask4(v128_and(self.0, other.0))
        }
    }

    impl F32x4 {
        #[inline(always)]
        pub fn new(lanes: [f32; 4]) -> Self {
            F32x4(f32x4(lanes[0], lanes[1], lanes[2], lanes[3]))
        }

        #[inline(always)]
        pub fn splat(value: f32) -> Self {
            F32x4(f32x4_splat(value))
        }

        /// The first four values of `values`.
        #[inline(always)]
        pub fn load(values: &[f32]) -> Self {
            let values = &values[..4];
            // SAFETY: `values` holds four f32 (16 bytes); wasm loads need no alignment.
            F32x4(unsafe { v128_load(values.as_ptr() as *const v128) })
        }

        #[inline(always)]
        pub fn add(self, other: Self) -> Self {
            F32x4(f32x4_add(self.0, other.0))
        }

        #[inline(always)]
        pub fn sub(self, other: Self) -> Self {
            F32x4(f32x4_sub(self.0, other.0))
        }

        #[inline(always)]
        pub fn mul(self, other: Self) -> Self {
            F32x4(f32x4_mul(self.0, other.0))
        }

        #[inline(always)]
        pub fn div(self, other: Self) -> Self {
            F32x4(f32x4_div(self.0, other.0))
        }

        #[inline(always)]
        pub fn sqrt(self) -> Self {
            F32x4(f32x4_sqrt(self.0))
        }

        #[inline(always)]
        pub fn neg(self) -> Self {
            F32x4(f32x4_neg(self.0))
        }

        /// Lanes equal to zero (either sign).
        #[inline(always)]
        pub fn is_zero(self) -> Mask4 {
            Mask4(f32x4_eq(self.0, f32x4_splat(0.0)))
        }

        /// `if_true`'s lanes where `mask` is set, `self`'s elsewhere.
        #[inline(always)]
        pub fn replace_where(self, mask: Mask4, if_true: Self) -> Self {
            F32x4(v128_bitselect(if_true.0, self.0, mask.0))
        }

        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            [f32x4_extract_lane::<0>(self.0), f32x4_extract_lane::<1>(self.0), f32x4_extract_lane::<2>(self.0), f32x4_extract_lane::<3>(self.0)]
        }

        /// The floats whose bit patterns are `words[..4]`.
        #[inline(always)]
        pub fn load_bits(words: &[i32]) -> Self {
            let words = &words[..4];
            // SAFETY: `words` holds four i32 (16 bytes); wasm loads need no alignment.
            F32x4(unsafe { v128_load(words.as_ptr() as *const v128) })
        }

        /// `[self[3], next[0], next[1], next[2]]`: the lanes one place on, across two vectors.
        #[inline(always)]
        pub fn shift_in(self, next: Self) -> Self {
            F32x4(i32x4_shuffle::<3, 4, 5, 6>(self.0, next.0))
        }

        /// Four rows as four columns (the first of the result holds every row's lane 0, …).
        #[inline(always)]
        pub fn transpose(rows: [Self; 4]) -> [Self; 4] {
            let [a, b, c, d] = rows.map(|row| row.0);
            let (ab_low, cd_low) = (i32x4_shuffle::<0, 4, 1, 5>(a, b), i32x4_shuffle::<0, 4, 1, 5>(c, d));
            let (ab_high, cd_high) = (i32x4_shuffle::<2, 6, 3, 7>(a, b), i32x4_shuffle::<2, 6, 3, 7>(c, d));
            [
                F32x4(i32x4_shuffle::<0, 1, 4, 5>(ab_low, cd_low)),
                F32x4(i32x4_shuffle::<2, 3, 6, 7>(ab_low, cd_low)),
                F32x4(i32x4_shuffle::<0, 1, 4, 5>(ab_high, cd_high)),
                F32x4(i32x4_shuffle::<2, 3, 6, 7>(ab_high, cd_high)),
            ]
        }

        /// Writes the four lanes' bit patterns (the word encoding of floats) to `words[..4]`.
        #[inline(always)]
        pub fn store_bits(self, words: &mut [i32]) {
            store(self.0, words)
        }
    }

    impl I32x4 {
        #[inline(always)]
        pub fn new(lanes: [i32; 4]) -> Self {
            I32x4(i32x4(lanes[0], lanes[1], lanes[2], lanes[3]))
        }

        #[inline(always)]
        pub fn splat(value: i32) -> Self {
            I32x4(i32x4_splat(value))
        }

        #[inline(always)]
        pub fn add(self, other: Self) -> Self {
            I32x4(i32x4_add(self.0, other.0))
        }

        #[inline(always)]
        pub fn store(self, words: &mut [i32]) {
            store(self.0, words)
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    use crate::encoding::{decode_float, encode_float};

    #[derive(Clone, Copy)]
    pub struct F32x4([f32; 4]);

    #[derive(Clone, Copy)]
    pub struct I32x4([i32; 4]);

    #[derive(Clone, Copy)]
    pub struct Mask4([bool; 4]);

    impl Mask4 {
        #[inline(always)]
        pub fn and(self, other: Self) -> Self {
            Mask4([0, 1, 2, 3].map(|i| self.0[i] && other.0[i]))
        }
    }

    impl F32x4 {
        #[inline(always)]
        pub fn new(lanes: [f32; 4]) -> Self {
            F32x4(lanes)
        }

        #[inline(always)]
        pub fn splat(value: f32) -> Self {
            F32x4([value; 4])
        }

        #[inline(always)]
        pub fn load(values: &[f32]) -> Self {
            F32x4([values[0], values[1], values[2], values[3]])
        }

        #[inline(always)]
        pub fn add(self, other: Self) -> Self {
            F32x4([0, 1, 2, 3].map(|i| self.0[i] + other.0[i]))
        }

        #[inline(always)]
        pub fn sub(self, other: Self) -> Self {
            F32x4([0, 1, 2, 3].map(|i| self.0[i] - other.0[i]))
        }

        #[inline(always)]
        pub fn mul(self, other: Self) -> Self {
            F32x4([0, 1, 2, 3].map(|i| self.0[i] * other.0[i]))
        }

        #[inline(always)]
        pub fn div(self, other: Self) -> Self {
            F32x4([0, 1, 2, 3].map(|i| self.0[i] / other.0[i]))
        }

        #[inline(always)]
        pub fn sqrt(self) -> Self {
            F32x4(self.0.map(f32::sqrt))
        }

        #[inline(always)]
        pub fn neg(self) -> Self {
            F32x4(self.0.map(|lane| -lane))
        }

        #[inline(always)]
        pub fn is_zero(self) -> Mask4 {
            Mask4(self.0.map(|lane| lane == 0.0))
        }

        #[inline(always)]
        pub fn replace_where(self, mask: Mask4, if_true: Self) -> Self {
            F32x4([0, 1, 2, 3].map(|i| if mask.0[i] { if_true.0[i] } else { self.0[i] }))
        }

        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            self.0
        }

        #[inline(always)]
        pub fn load_bits(words: &[i32]) -> Self {
            F32x4([0, 1, 2, 3].map(|i| decode_float(words[i])))
        }

        #[inline(always)]
        pub fn shift_in(self, next: Self) -> Self {
            F32x4([self.0[3], next.0[0], next.0[1], next.0[2]])
        }

        #[inline(always)]
        pub fn transpose(rows: [Self; 4]) -> [Self; 4] {
            [0, 1, 2, 3].map(|lane| F32x4(rows.map(|row| row.0[lane])))
        }

        #[inline(always)]
        pub fn store_bits(self, words: &mut [i32]) {
            words[..4].copy_from_slice(&self.0.map(encode_float));
        }
    }

    impl I32x4 {
        #[inline(always)]
        pub fn new(lanes: [i32; 4]) -> Self {
            I32x4(lanes)
        }

        #[inline(always)]
        pub fn splat(value: i32) -> Self {
            I32x4([value; 4])
        }

        #[inline(always)]
        pub fn add(self, other: Self) -> Self {
            I32x4([0, 1, 2, 3].map(|i| self.0[i].wrapping_add(other.0[i])))
        }

        #[inline(always)]
        pub fn store(self, words: &mut [i32]) {
            words[..4].copy_from_slice(&self.0);
        }
    }
}

pub use imp::{F32x4, I32x4, Mask4};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::encode_float;

    #[test]
    fn lanes_are_independent_ieee_operations() {
        let (a, b) = ([1.5f32, -0.0, 3.0e38, 0.1], [2.0f32, 0.0, 10.0, 0.2]);
        let mut words = [0; 5];
        F32x4::new(a).mul(F32x4::splat(2.0)).add(F32x4::load(&b)).store_bits(&mut words);
        let expected: Vec<i32> = (0..4).map(|i| encode_float(a[i] * 2.0 + b[i])).collect();
        assert_eq!(words[..4], expected[..]);
        assert_eq!(words[4], 0);
        I32x4::new([1, 2, 3, i32::MAX]).add(I32x4::splat(1)).store(&mut words[1..]);
        assert_eq!(words, [expected[0], 2, 3, 4, i32::MIN]);
    }

    #[test]
    fn lanes_move_between_vectors_as_documented() {
        let rows = [0, 1, 2, 3].map(|r| F32x4::new([0, 1, 2, 3].map(|c| (4 * r + c) as f32)));
        let columns = F32x4::transpose(rows).map(F32x4::to_array);
        assert_eq!(columns[1], [1.0, 5.0, 9.0, 13.0]);
        assert_eq!(columns[3], [3.0, 7.0, 11.0, 15.0]);
        assert_eq!(rows[0].shift_in(rows[1]).to_array(), [3.0, 4.0, 5.0, 6.0]);
        let words = [encode_float(-0.0), encode_float(1.5), 7, encode_float(f32::INFINITY), 9];
        assert_eq!(F32x4::load_bits(&words).to_array().map(f32::to_bits), [(-0.0f32).to_bits(), 1.5f32.to_bits(), 7, f32::INFINITY.to_bits()]);
    }
}

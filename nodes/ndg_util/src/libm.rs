//! The transcendental functions nodes use, the same bits on every target.
//!
//! std's `f32::sin`, `cos`, `acos`… call the platform's C library: on wasm32-unknown-unknown
//! that is compiler-builtins' port of musl, natively glibc, whose results differ in the last
//! bit for some inputs. A plan must give the same bytes under wasmtime, V8 and a native build,
//! so nodes call these instead (a test refuses std's in node code). They follow musl's
//! algorithms (FreeBSD's msun: `s_sinf.c`, `s_cosf.c`, `k_sinf.c`, `k_cosf.c`,
//! `e_rem_pio2f.c`, `k_rem_pio2.c`, `e_acosf.c`) operation for operation, so on wasm32 they give
//! exactly what std gave there before: the examples' pinned digests did not move. Everything is
//! plain IEEE arithmetic (no fused multiply-add, square root correctly rounded), which every
//! target computes alike.

use std::f64::consts::FRAC_PI_2;

/// sin(x), as musl's `sinf`.
pub fn sin(x: f32) -> f32 {
    let x64 = x as f64;
    let sign = x.is_sign_negative();
    let ix = x.to_bits() & 0x7fff_ffff;
    if ix <= 0x3f49_0fda {
        // |x| ≲ π/4; below 2^-12, sin(x) rounds to x
        return if ix < 0x3980_0000 { x } else { sin_kernel(x64) };
    }
    if ix <= 0x407b_53d1 {
        // |x| ≲ 5π/4
        if ix <= 0x4016_cbe3 {
            // |x| ≲ 3π/4
            return if sign { -cos_kernel(x64 + FRAC_PI_2) } else { cos_kernel(x64 - FRAC_PI_2) };
        }
        return sin_kernel(if sign { -(x64 + 2.0 * FRAC_PI_2) } else { -(x64 - 2.0 * FRAC_PI_2) });
    }
    if ix <= 0x40e2_31d5 {
        // |x| ≲ 9π/4
        if ix <= 0x40af_eddf {
            // |x| ≲ 7π/4
            return if sign { cos_kernel(x64 + 3.0 * FRAC_PI_2) } else { -cos_kernel(x64 - 3.0 * FRAC_PI_2) };
        }
        return sin_kernel(if sign { x64 + 4.0 * FRAC_PI_2 } else { x64 - 4.0 * FRAC_PI_2 });
    }
    if ix >= 0x7f80_0000 {
        return x - x; // infinity or NaN
    }
    let (n, y) = rem_pio2(x);
    match n & 3 {
        0 => sin_kernel(y),
        1 => cos_kernel(y),
        2 => sin_kernel(-y),
        _ => -cos_kernel(y),
    }
}

/// cos(x), as musl's `cosf`.
pub fn cos(x: f32) -> f32 {
    let x64 = x as f64;
    let sign = x.is_sign_negative();
    let ix = x.to_bits() & 0x7fff_ffff;
    if ix <= 0x3f49_0fda {
        return if ix < 0x3980_0000 { 1.0 } else { cos_kernel(x64) };
    }
    if ix <= 0x407b_53d1 {
        if ix > 0x4016_cbe3 {
            return -cos_kernel(if sign { x64 + 2.0 * FRAC_PI_2 } else { x64 - 2.0 * FRAC_PI_2 });
        }
        return if sign { sin_kernel(x64 + FRAC_PI_2) } else { sin_kernel(FRAC_PI_2 - x64) };
    }
    if ix <= 0x40e2_31d5 {
        if ix > 0x40af_eddf {
            return cos_kernel(if sign { x64 + 4.0 * FRAC_PI_2 } else { x64 - 4.0 * FRAC_PI_2 });
        }
        return if sign { sin_kernel(-x64 - 3.0 * FRAC_PI_2) } else { sin_kernel(x64 - 3.0 * FRAC_PI_2) };
    }
    if ix >= 0x7f80_0000 {
        return x - x;
    }
    let (n, y) = rem_pio2(x);
    match n & 3 {
        0 => cos_kernel(y),
        1 => sin_kernel(-y),
        2 => -cos_kernel(y),
        _ => sin_kernel(y),
    }
}

/// `(sin(x), cos(x))`, each exactly as [`sin`] and [`cos`] give it (as std's `f32::sin_cos`
/// does: musl's `sincosf` differs from them in the sign of some zeros).
pub fn sin_cos(x: f32) -> (f32, f32) {
    (sin(x), cos(x))
}

/// acos(x) in radians, as musl's `acosf`; NaN outside [-1, 1].
pub fn acos(x: f32) -> f32 {
    const PIO2_HI: f32 = 1.570_796_251_3;
    const PIO2_LO: f32 = 7.549_789_415_9e-8;
    let tiny = f32::from_bits(0x0380_0000); // 2^-120: makes the result inexact, as musl does
    let bits = x.to_bits();
    let ix = bits & 0x7fff_ffff;
    if ix >= 0x3f80_0000 {
        if ix == 0x3f80_0000 {
            return if x.is_sign_negative() { 2.0 * PIO2_HI + tiny } else { 0.0 };
        }
        return 0.0 / (x - x); // |x| > 1 or NaN
    }
    if ix < 0x3f00_0000 {
        // |x| < 0.5
        if ix <= 0x3280_0000 {
            return PIO2_HI + tiny;
        }
        return PIO2_HI - (x - (PIO2_LO - x * acos_ratio(x * x)));
    }
    if x.is_sign_negative() {
        // x < -0.5
        let z = (1.0 + x) * 0.5;
        let s = z.sqrt();
        let w = acos_ratio(z) * s - PIO2_LO;
        return 2.0 * (PIO2_HI - (s + w));
    }
    // x > 0.5: s split into a high part with 12 low bits cleared, and a correction
    let z = (1.0 - x) * 0.5;
    let s = z.sqrt();
    let high = f32::from_bits(s.to_bits() & 0xffff_f000);
    let correction = (z - high * high) / (s + high);
    let w = acos_ratio(z) * s + correction;
    2.0 * (high + w)
}

/// The rational approximation acos's reduction uses.
fn acos_ratio(z: f32) -> f32 {
    const P_S0: f32 = 1.666_658_669_7e-1;
    const P_S1: f32 = -4.274_342_209_1e-2;
    const P_S2: f32 = -8.656_363_003_0e-3;
    const Q_S1: f32 = -7.066_296_339_0e-1;
    let p = z * (P_S0 + z * (P_S1 + z * P_S2));
    let q = 1.0 + z * Q_S1;
    p / q
}

/// sin on [-π/4, π/4] in double precision, rounded once to f32 (k_sinf.c).
fn sin_kernel(x: f64) -> f32 {
    const S1: f64 = -0.166_666_666_416_265_235_595;
    const S2: f64 = 0.008_333_329_385_889_463_175_6;
    const S3: f64 = -0.000_198_393_348_360_966_317_347;
    const S4: f64 = 0.000_002_718_311_493_989_821_906_4;
    let z = x * x;
    let w = z * z;
    let r = S3 + z * S4;
    let s = z * x;
    ((x + s * (S1 + z * S2)) + s * w * r) as f32
}

/// cos on [-π/4, π/4] in double precision, rounded once to f32 (k_cosf.c).
fn cos_kernel(x: f64) -> f32 {
    const C0: f64 = -0.499_999_997_251_031_003_120;
    const C1: f64 = 0.041_666_623_323_739_063_189_4;
    const C2: f64 = -0.001_388_676_377_460_992_946_92;
    const C3: f64 = 0.000_024_390_448_796_277_409_065_4;
    let z = x * x;
    let w = z * z;
    let r = C2 + z * C3;
    (((1.0 + z * C0) + w * C1) + (w * z) * r) as f32
}

/// `x` reduced by the nearest multiple `n` of π/2: `(n, x − n·π/2)` (e_rem_pio2f.c). `x` is
/// finite and |x| > 9π/4.
fn rem_pio2(x: f32) -> (i32, f64) {
    const TO_INT: f64 = 1.5 / f64::EPSILON; // adding and removing it rounds to an integer
    const INV_PIO2: f64 = 6.366_197_723_675_813_824_33e-1;
    const PIO2_1: f64 = 1.570_796_310_901_641_845_70; // the first 25 bits of π/2
    const PIO2_1T: f64 = 1.589_325_477_352_819_669_16e-8; // π/2 − PIO2_1
    let x64 = x as f64;
    let ix = x.to_bits() & 0x7fff_ffff;
    if ix < 0x4dc9_0fdb {
        // |x| ≲ 2^28·π/2: 25 + 53 bits of π/2 are enough
        let n = (x64 * INV_PIO2 + TO_INT) - TO_INT;
        return (n as i32, x64 - n * PIO2_1 - n * PIO2_1T);
    }
    // |x| as an integer in [2^23, 2^24) times 2^e0
    let e0 = (ix >> 23) as i32 - (0x7f + 23);
    let mantissa = f32::from_bits(ix - ((e0 as u32) << 23)) as f64;
    let (n, y) = rem_pio2_large(mantissa, e0);
    if x.is_sign_negative() {
        (-n, -y)
    } else {
        (n, y)
    }
}

/// 2/π in 24-bit chunks, as many as an f32's largest exponent needs.
const TWO_OVER_PI: [i32; 66] = [
    0xA2F983, 0x6E4E44, 0x1529FC, 0x2757D1, 0xF534DD, 0xC0DB62, 0x95993C, 0x439041, 0xFE5163, 0xABDEBB, 0xC561B7,
    0x246E3A, 0x424DD2, 0xE00649, 0x2EEA09, 0xD1921C, 0xFE1DEB, 0x1CB129, 0xA73EE8, 0x8235F5, 0x2EBB44, 0x84E99C,
    0x7026B4, 0x5F7E41, 0x3991D6, 0x398353, 0x39F49C, 0x845F8B, 0xBDF928, 0x3B1FF8, 0x97FFDE, 0x05980F, 0xEF2F11,
    0x8B5A0A, 0x6D1F6D, 0x367ECF, 0x27CB09, 0xB74F46, 0x3F669E, 0x5FEA2D, 0x7527BA, 0xC7EBE5, 0xF17B3D, 0x0739F7,
    0x8A5292, 0xEA6BFB, 0x5FB11F, 0x8D5D08, 0x560330, 0x46FC7B, 0x6BABF0, 0xCFBC20, 0x9AF436, 0x1DA9E3, 0x91615E,
    0xE61B08, 0x659985, 0x5F14A0, 0x68408D, 0xFFD880, 0x4D7327, 0x310606, 0x1556CA, 0x73A8C9, 0x60E27B, 0xC08C6B,
];

/// π/2 in pieces of 24 bits (the last ones with trailing zeros).
const PIO2: [f64; 4] = [
    1.570_796_251_296_997_070_31,
    7.549_789_415_861_596_353_35e-8,
    5.390_302_529_957_764_765_54e-15,
    3.282_003_415_807_912_941_23e-22,
];

/// x·2^e0 reduced by multiples of π/2 with Payne and Hanek's method, for one 24-bit chunk `x`
/// and single precision: k_rem_pio2.c with nx = 1 and prec = 0 (jk = jp = 3). Returns n mod 8
/// and the remainder.
fn rem_pio2_large(x: f64, e0: i32) -> (i32, f64) {
    const JK: usize = 3;
    let two24 = f64::from_bits(0x4170_0000_0000_0000);
    let two_m24 = f64::from_bits(0x3e70_0000_0000_0000);
    let mut f = [0.0f64; 20];
    let mut q = [0.0f64; 20];
    let mut fq = [0.0f64; 20];
    let mut iq = [0i32; 20];
    let jv = ((e0 - 3) / 24).max(0) as usize;
    let mut q0 = e0 - 24 * (jv as i32 + 1);
    for i in 0..=JK {
        f[i] = TWO_OVER_PI[jv + i] as f64;
        q[i] = 0.0 + x * f[i];
    }
    let mut jz = JK;
    let (mut z, mut n, mut ih);
    loop {
        // distill q[] into 24-bit chunks iq[], from the low end
        z = q[jz];
        for (i, j) in (1..=jz).rev().enumerate() {
            let high = (two_m24 * z) as i32 as f64;
            iq[i] = (z - two24 * high) as i32;
            z = q[j - 1] + high;
        }
        z = scale_by_power_of_two(z, q0);
        z -= 8.0 * (z * 0.125).floor(); // only n mod 8 matters
        n = z as i32;
        z -= n as f64;
        ih = 0;
        if q0 > 0 {
            // the last chunk holds part of n
            let i = iq[jz - 1] >> (24 - q0);
            n += i;
            iq[jz - 1] -= i << (24 - q0);
            ih = iq[jz - 1] >> (23 - q0);
        } else if q0 == 0 {
            ih = iq[jz - 1] >> 23;
        } else if z >= 0.5 {
            ih = 2;
        }
        if ih > 0 {
            // the fraction is above one half: take n + 1 and 1 − fraction
            n += 1;
            let mut carry = 0;
            for chunk in iq.iter_mut().take(jz) {
                if carry == 0 {
                    if *chunk != 0 {
                        carry = 1;
                        *chunk = 0x0100_0000 - *chunk;
                    }
                } else {
                    *chunk = 0x00ff_ffff - *chunk;
                }
            }
            match q0 {
                1 => iq[jz - 1] &= 0x007f_ffff,
                2 => iq[jz - 1] &= 0x003f_ffff,
                _ => {}
            }
            if ih == 2 {
                z = 1.0 - z;
                if carry != 0 {
                    z -= scale_by_power_of_two(1.0, q0);
                }
            }
        }
        if z == 0.0 && iq[JK..jz].iter().all(|&chunk| chunk == 0) {
            // every bit cancelled: take more chunks of 2/π
            let mut k = 1;
            while iq[JK - k] == 0 {
                k += 1;
            }
            for i in jz + 1..=jz + k {
                f[i] = TWO_OVER_PI[jv + i] as f64;
                q[i] = 0.0 + x * f[i];
            }
            jz += k;
            continue;
        }
        break;
    }
    if z == 0.0 {
        // drop the zero chunks at the end
        jz -= 1;
        q0 -= 24;
        while iq[jz] == 0 {
            jz -= 1;
            q0 -= 24;
        }
    } else {
        z = scale_by_power_of_two(z, -q0);
        if z >= two24 {
            let high = (two_m24 * z) as i32 as f64;
            iq[jz] = (z - two24 * high) as i32;
            jz += 1;
            q0 += 24;
            iq[jz] = high as i32;
        } else {
            iq[jz] = z as i32;
        }
    }
    // the chunks as doubles, then their product with π/2
    let mut weight = scale_by_power_of_two(1.0, q0);
    for i in (0..=jz).rev() {
        q[i] = weight * iq[i] as f64;
        weight *= two_m24;
    }
    for i in (0..=jz).rev() {
        let mut sum = 0.0;
        let mut k = 0;
        while k <= JK && k <= jz - i {
            sum += PIO2[k] * q[i + k];
            k += 1;
        }
        fq[jz - i] = sum;
    }
    let mut sum = 0.0;
    for i in (0..=jz).rev() {
        sum += fq[i];
    }
    (n & 7, if ih == 0 { sum } else { -sum })
}

/// `x · 2^n`, exact for the exponents the reduction meets (|n| well under 1022).
fn scale_by_power_of_two(x: f64, n: i32) -> f64 {
    x * f64::from_bits(((0x3ff + n) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_special_values() {
        assert_eq!(sin(0.0).to_bits(), 0);
        assert_eq!(sin(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(cos(0.0), 1.0);
        assert_eq!(acos(1.0), 0.0);
        // musl's: π/2's leading bits (one ulp under the nearest f32 to π/2), and twice that
        assert_eq!(acos(0.0).to_bits(), 0x3fc9_0fda);
        assert_eq!(acos(-1.0).to_bits(), 0x4049_0fda);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            assert!(sin(bad).is_nan() && cos(bad).is_nan());
        }
        assert!(acos(1.5).is_nan() && acos(f32::NAN).is_nan());
    }

    #[test]
    fn within_an_ulp_of_the_double_precision_result() {
        let mut bits = 0u32;
        while bits < 0x7f80_0000 {
            for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
                let wide = x as f64;
                for (ours, exact) in [(sin(x), wide.sin()), (cos(x), wide.cos())] {
                    assert!(((ours as f64) - exact).abs() <= (exact.abs() * 1.2e-7).max(1e-45), "{x}: {ours} vs {exact}");
                }
                if x.abs() <= 1.0 {
                    let exact = wide.acos();
                    assert!(((acos(x) as f64) - exact).abs() <= exact * 1.2e-7, "acos {x}");
                }
            }
            bits += 0x1357;
        }
    }
}

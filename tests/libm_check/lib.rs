//! `differences(function, first, stride, count)` evaluates one function on `count` f32 bit
//! patterns (`first`, then `stride` apart, wrapping) with ndg_util::libm and with std, and returns
//! how many results differ in any bit (high word) and the first input that does (low word,
//! u32::MAX for none). Functions: 0 sin, 1 cos, 2 sin_cos, 3 acos.

use ndg_util::libm;

fn ours(function: u32, x: f32) -> (u32, u32) {
    match function {
        0 => (libm::sin(x).to_bits(), 0),
        1 => (libm::cos(x).to_bits(), 0),
        2 => {
            let (s, c) = libm::sin_cos(x);
            (s.to_bits(), c.to_bits())
        }
        _ => (libm::acos(x).to_bits(), 0),
    }
}

fn std_results(function: u32, x: f32) -> (u32, u32) {
    match function {
        0 => (x.sin().to_bits(), 0),
        1 => (x.cos().to_bits(), 0),
        2 => {
            let (s, c) = x.sin_cos();
            (s.to_bits(), c.to_bits())
        }
        _ => (x.acos().to_bits(), 0),
    }
}

#[no_mangle]
pub extern "C" fn differences(function: u32, first: u32, stride: u32, count: u32) -> u64 {
    let (mut found, mut first_found) = (0u32, u32::MAX);
    let mut bits = first;
    for _ in 0..count {
        let x = f32::from_bits(bits);
        if ours(function, x) != std_results(function, x) {
            if found == 0 {
                first_found = bits;
            }
            found += 1;
        }
        bits = bits.wrapping_add(stride);
    }
    (found as u64) << 32 | first_found as u64
}

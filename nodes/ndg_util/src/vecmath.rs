//! Vector math on plain `[f32; 3]` and `[f32; 4]` arrays.
//!
//! Plain arrays rather than types with methods, so that values read from or written to the word
//! stream need no conversion. Quaternions and matrices are in [`crate::quat`] and [`crate::mat4`].

pub type Vec3 = [f32; 3];
/// Four components; in a path point the fourth is the thickness.
pub type Vec4 = [f32; 4];

pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub fn scale(a: Vec3, factor: f32) -> Vec3 {
    a.map(|c| c * factor)
}

pub fn neg(a: Vec3) -> Vec3 {
    a.map(|c| -c)
}

pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub fn dot(a: Vec3, b: Vec3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn length(a: Vec3) -> f32 {
    dot(a, a).sqrt()
}

pub fn distance(a: Vec3, b: Vec3) -> f32 {
    length(sub(b, a))
}

/// `a` at `t = 0`, `b` at `t = 1`, written as `a + (b - a) * t` like glam's `lerp`.
pub fn lerp(a: Vec3, b: Vec3, t: f32) -> Vec3 {
    add(a, scale(sub(b, a), t))
}

/// The unit vector along `a`; the zero vector stays zero instead of becoming NaN.
///
/// Zero components come out as +0.0 (adding 0.0 turns -0.0 into +0.0), so equal directions
/// always have equal bytes.
pub fn normalize(a: Vec3) -> Vec3 {
    let length = length(a);
    if length > 0.0 {
        a.map(|c| c / length + 0.0)
    } else {
        [0.0; 3]
    }
}

pub fn is_finite(a: Vec3) -> bool {
    a.iter().all(|c| c.is_finite())
}

/// The unit vector along `a` exactly as glam (and so Nodarium) computes it: `a` times the
/// reciprocal of its length. The zero vector gives NaN, and signed zeros keep their sign.
pub fn unit(a: Vec3) -> Vec3 {
    scale(a, 1.0 / length(a))
}

/// `a` with the length `new_length`, keeping its direction; the zero vector stays zero.
pub fn with_length(a: Vec3, new_length: f32) -> Vec3 {
    scale(normalize(a), new_length)
}

/// Rotates `v` by `angle` radians about the X axis (right-handed: y turns towards z).
pub fn rotate_x(v: Vec3, angle: f32) -> Vec3 {
    let (s, c) = crate::libm::sin_cos(angle);
    [v[0], c * v[1] - s * v[2], s * v[1] + c * v[2]]
}

/// Rotates `v` by `angle` radians about the Y axis (right-handed: z turns towards x).
pub fn rotate_y(v: Vec3, angle: f32) -> Vec3 {
    let (s, c) = crate::libm::sin_cos(angle);
    [c * v[0] + s * v[2], v[1], -s * v[0] + c * v[2]]
}

/// Rotates `v` by `angle` radians about the Z axis (right-handed: x turns towards y).
pub fn rotate_z(v: Vec3, angle: f32) -> Vec3 {
    let (s, c) = crate::libm::sin_cos(angle);
    [c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]]
}

pub fn vec4(xyz: Vec3, w: f32) -> Vec4 {
    [xyz[0], xyz[1], xyz[2], w]
}

pub fn xyz(a: Vec4) -> Vec3 {
    [a[0], a[1], a[2]]
}

pub fn add4(a: Vec4, b: Vec4) -> Vec4 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
}

pub fn sub4(a: Vec4, b: Vec4) -> Vec4 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]]
}

pub fn scale4(a: Vec4, factor: f32) -> Vec4 {
    a.map(|c| c * factor)
}

pub fn dot4(a: Vec4, b: Vec4) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]
}

pub fn lerp4(a: Vec4, b: Vec4, t: f32) -> Vec4 {
    add4(a, scale4(sub4(b, a), t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::FRAC_PI_2;

    fn close(a: Vec3, b: Vec3) -> bool {
        (0..3).all(|i| (a[i] - b[i]).abs() < 1e-6)
    }

    #[test]
    fn cross_of_x_and_y_is_z() {
        assert_eq!(cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]), [0.0, 0.0, 1.0]);
    }

    #[test]
    fn normalize_keeps_zero_finite() {
        assert_eq!(normalize([0.0; 3]), [0.0; 3]);
        assert_eq!(normalize([0.0, 3.0, 4.0]), [0.0, 0.6, 0.8]);
        assert_eq!(normalize([-0.0, -2.0, 0.0])[0].to_bits(), 0.0f32.to_bits());
    }

    #[test]
    fn arithmetic_is_componentwise() {
        assert_eq!(add([1.0, 2.0, 3.0], [0.5, -2.0, 1.0]), [1.5, 0.0, 4.0]);
        assert_eq!(scale([1.0, -2.0, 0.5], 2.0), [2.0, -4.0, 1.0]);
        assert_eq!(neg([1.0, -2.0, 0.0]), [-1.0, 2.0, -0.0]);
        assert_eq!(length([3.0, 0.0, 4.0]), 5.0);
        assert_eq!(distance([1.0, 1.0, 1.0], [1.0, 4.0, 5.0]), 5.0);
        assert_eq!(with_length([0.0, 0.0, -3.0], 2.0), [0.0, 0.0, -2.0]);
        assert_eq!(with_length([0.0; 3], 2.0), [0.0; 3]);
    }

    #[test]
    fn lerp_hits_both_ends_and_the_middle() {
        let (a, b) = ([0.0, 2.0, -4.0], [2.0, 4.0, 4.0]);
        assert_eq!(lerp(a, b, 0.0), a);
        assert_eq!(lerp(a, b, 1.0), b);
        assert_eq!(lerp(a, b, 0.5), [1.0, 3.0, 0.0]);
        assert_eq!(lerp4([0.0; 4], [2.0, 4.0, 6.0, 8.0], 0.25), [0.5, 1.0, 1.5, 2.0]);
    }

    #[test]
    fn vec4_splits_and_joins() {
        let p = vec4([1.0, 2.0, 3.0], 0.5);
        assert_eq!(p, [1.0, 2.0, 3.0, 0.5]);
        assert_eq!(xyz(p), [1.0, 2.0, 3.0]);
        assert_eq!(add4(p, p), [2.0, 4.0, 6.0, 1.0]);
        assert_eq!(sub4(p, p), [0.0; 4]);
        assert_eq!(dot4(p, [1.0, 1.0, 1.0, 2.0]), 7.0);
    }

    #[test]
    fn axis_rotations_follow_the_right_hand_rule() {
        assert!(close(rotate_x([0.0, 1.0, 0.0], FRAC_PI_2), [0.0, 0.0, 1.0]));
        assert!(close(rotate_y([0.0, 0.0, 1.0], FRAC_PI_2), [1.0, 0.0, 0.0]));
        assert!(close(rotate_z([1.0, 0.0, 0.0], FRAC_PI_2), [0.0, 1.0, 0.0]));
        assert_eq!(rotate_z([1.0, 2.0, 3.0], 0.0), [1.0, 2.0, 3.0]);
    }
}

//! Unit quaternions `[x, y, z, w]` (glam's component order) for rotations.

use crate::vecmath::{add, cross, dot, scale, Vec3};

pub type Quat = [f32; 4];

pub const IDENTITY: Quat = [0.0, 0.0, 0.0, 1.0];

/// The rotation by `angle` radians about `axis`, which must be a unit vector.
pub fn from_axis_angle(axis: Vec3, angle: f32) -> Quat {
    let (s, c) = crate::libm::sin_cos(angle * 0.5);
    [axis[0] * s, axis[1] * s, axis[2] * s, c]
}

/// `q` scaled to unit length as glam does it (times the reciprocal of its length); the zero
/// quaternion (no rotation at all) becomes the identity.
pub fn normalize(q: Quat) -> Quat {
    let length = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]).sqrt();
    if length > 0.0 {
        let recip = 1.0 / length;
        q.map(|c| c * recip)
    } else {
        IDENTITY
    }
}

pub fn conjugate(q: Quat) -> Quat {
    [-q[0], -q[1], -q[2], q[3]]
}

/// The rotation `b` followed by `a` (Hamilton product `a · b`).
pub fn mul(a: Quat, b: Quat) -> Quat {
    let [ax, ay, az, aw] = a;
    let [bx, by, bz, bw] = b;
    [
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ]
}

/// `v` rotated by the unit quaternion `q`.
pub fn rotate(q: Quat, v: Vec3) -> Vec3 {
    let u = [q[0], q[1], q[2]];
    let w = q[3];
    // v (w² − |u|²) + 2 u (u·v) + 2 w (u × v): the sandwich product q v q* expanded.
    add(add(scale(v, w * w - dot(u, u)), scale(u, 2.0 * dot(u, v))), scale(cross(u, v), 2.0 * w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vecmath::{length, normalize as normalize3};
    use std::f32::consts::{FRAC_PI_2, PI};

    fn close(a: Vec3, b: Vec3) -> bool {
        (0..3).all(|i| (a[i] - b[i]).abs() < 1e-6)
    }

    #[test]
    fn quarter_turn_about_z_takes_x_to_y() {
        let q = from_axis_angle([0.0, 0.0, 1.0], FRAC_PI_2);
        assert!(close(rotate(q, [1.0, 0.0, 0.0]), [0.0, 1.0, 0.0]));
        assert!(close(rotate(q, [0.0, 1.0, 0.0]), [-1.0, 0.0, 0.0]));
        assert!(close(rotate(q, [0.0, 0.0, 1.0]), [0.0, 0.0, 1.0]));
    }

    #[test]
    fn identity_and_conjugate() {
        assert_eq!(rotate(IDENTITY, [1.0, 2.0, 3.0]), [1.0, 2.0, 3.0]);
        let q = from_axis_angle(normalize3([1.0, 2.0, 3.0]), 0.7);
        let back = rotate(conjugate(q), rotate(q, [0.5, -1.0, 2.0]));
        assert!(close(back, [0.5, -1.0, 2.0]));
    }

    #[test]
    fn products_compose_rotations() {
        let a = from_axis_angle([0.0, 0.0, 1.0], FRAC_PI_2);
        let b = from_axis_angle([1.0, 0.0, 0.0], FRAC_PI_2);
        let v = [0.0, 1.0, 0.0];
        assert!(close(rotate(mul(a, b), v), rotate(a, rotate(b, v))));
        assert_eq!(mul(IDENTITY, a), a);
    }

    #[test]
    fn normalize_scales_to_unit_and_keeps_zero_valid() {
        assert_eq!(normalize([0.0, 0.0, 0.0, 2.0]), IDENTITY);
        assert_eq!(normalize([0.0; 4]), IDENTITY);
        let q = normalize([1.0, 0.0, 0.0, 1.0]);
        assert!(close(rotate(q, [0.0, 1.0, 0.0]), [0.0, 0.0, 1.0]));
        assert!((length(rotate(q, [3.0, 4.0, 0.0])) - 5.0).abs() < 1e-5);
    }

    #[test]
    fn random_rotations_keep_lengths() {
        let mut rng = crate::rng::XorShift::from_seed([17; 16]);
        let mut draw = || rng.below(2001) as f32 / 1000.0 - 1.0;
        for _ in 0..1000 {
            let axis = normalize3([draw(), draw(), draw()]);
            let from = normalize3([draw(), draw(), draw()]);
            let q = from_axis_angle(axis, 7.0 * draw());
            let v = scale(from, 3.0);
            assert!((length(rotate(q, v)) - 3.0).abs() < 1e-5);
            assert!((dot(rotate(q, axis), axis) - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn half_turn_reverses_perpendicular_vectors() {
        let q = from_axis_angle([0.0, 1.0, 0.0], PI);
        assert!(close(rotate(q, [1.0, 0.0, 0.0]), [-1.0, 0.0, 0.0]));
    }
}

//! Unit quaternions `[x, y, z, w]` (glam's component order) for rotations.

use crate::vecmath::{add, any_orthogonal, cross, dot, scale, Vec3};

pub type Quat = [f32; 4];

pub const IDENTITY: Quat = [0.0, 0.0, 0.0, 1.0];

/// The rotation by `angle` radians about `axis`, which must be a unit vector.
pub fn from_axis_angle(axis: Vec3, angle: f32) -> Quat {
    let (s, c) = (angle * 0.5).sin_cos();
    [axis[0] * s, axis[1] * s, axis[2] * s, c]
}

/// The shortest rotation taking unit vector `from` to unit vector `to`.
///
/// Opposite vectors have no unique shortest rotation; they get a half turn about some axis
/// perpendicular to `from`, so the result is always a valid rotation (glam does the same).
pub fn from_rotation_arc(from: Vec3, to: Vec3) -> Quat {
    let one_minus_eps = 1.0 - 2.0 * f32::EPSILON;
    let d = dot(from, to);
    if d > one_minus_eps {
        IDENTITY
    } else if d < -one_minus_eps {
        from_axis_angle(any_orthogonal(from), std::f32::consts::PI)
    } else {
        let c = cross(from, to);
        normalize([c[0], c[1], c[2], 1.0 + d])
    }
}

/// `q` scaled to unit length; the zero quaternion (no rotation at all) becomes the identity.
pub fn normalize(q: Quat) -> Quat {
    let length = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]).sqrt();
    if length > 0.0 {
        q.map(|c| c / length)
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
    fn rotation_arc_takes_from_to_to() {
        let pairs = [
            ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
            ([0.0, -1.0, 0.0], normalize3([1.0, 1.0, 0.5])),
            ([0.0, 1.0, 0.0], [0.0, 1.0, 0.0]),
            ([0.0, -1.0, 0.0], [0.0, 1.0, 0.0]),
            ([1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]),
        ];
        for (from, to) in pairs {
            let q = from_rotation_arc(from, to);
            assert!((q.iter().map(|c| c * c).sum::<f32>() - 1.0).abs() < 1e-6);
            assert!(close(rotate(q, from), to), "{:?} -> {:?}", from, to);
        }
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
    fn random_rotations_keep_lengths_and_arcs_land_on_target() {
        let mut rng = crate::rng::Rng::new(17);
        let unit = |rng: &mut crate::rng::Rng| {
            normalize3([rng.range_f32(-1.0, 1.0), rng.range_f32(-1.0, 1.0), rng.range_f32(-1.0, 1.0)])
        };
        for _ in 0..1000 {
            let (axis, from, to) = (unit(&mut rng), unit(&mut rng), unit(&mut rng));
            let q = from_axis_angle(axis, rng.range_f32(-7.0, 7.0));
            let v = scale(from, 3.0);
            assert!((length(rotate(q, v)) - 3.0).abs() < 1e-5);
            assert!((dot(rotate(q, axis), axis) - 1.0).abs() < 1e-5);
            let arc = rotate(from_rotation_arc(from, to), from);
            assert!((0..3).all(|i| (arc[i] - to[i]).abs() < 1e-3), "{:?} -> {:?}: {:?}", from, to, arc);
        }
    }

    #[test]
    fn half_turn_reverses_perpendicular_vectors() {
        let q = from_axis_angle([0.0, 1.0, 0.0], PI);
        assert!(close(rotate(q, [1.0, 0.0, 0.0]), [-1.0, 0.0, 0.0]));
    }
}

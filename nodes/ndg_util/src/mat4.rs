//! 4×4 matrices, column-major like glam and like the instance layout: element (row r, column c)
//! is at index `4 * c + r`, and the translation is in elements 12..15.

use crate::quat::Quat;
use crate::vecmath::Vec3;

pub type Mat4 = [f32; 16];

pub const IDENTITY: Mat4 = [
    1.0, 0.0, 0.0, 0.0,
    0.0, 1.0, 0.0, 0.0,
    0.0, 0.0, 1.0, 0.0,
    0.0, 0.0, 0.0, 1.0,
];

fn from_cols(x: [f32; 4], y: [f32; 4], z: [f32; 4], w: [f32; 4]) -> Mat4 {
    [
        x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3],
        z[0], z[1], z[2], z[3], w[0], w[1], w[2], w[3],
    ]
}

/// Scales by `scale`, then rotates by the unit quaternion `rotation`, then translates, with the
/// same arithmetic as glam's `Mat4::from_scale_rotation_translation`.
pub fn from_scale_rotation_translation(scale: Vec3, rotation: Quat, translation: Vec3) -> Mat4 {
    let [x, y, z, w] = rotation;
    let (x2, y2, z2) = (x + x, y + y, z + z);
    let (xx, xy, xz) = (x * x2, x * y2, x * z2);
    let (yy, yz, zz) = (y * y2, y * z2, z * z2);
    let (wx, wy, wz) = (w * x2, w * y2, w * z2);
    // glam scales whole Vec4 columns, w included: a negative scale gives w = -0.0.
    from_cols(
        [(1.0 - (yy + zz)) * scale[0], (xy + wz) * scale[0], (xz - wy) * scale[0], 0.0 * scale[0]],
        [(xy - wz) * scale[1], (1.0 - (xx + zz)) * scale[1], (yz + wx) * scale[1], 0.0 * scale[1]],
        [(xz + wy) * scale[2], (yz - wx) * scale[2], (1.0 - (xx + yy)) * scale[2], 0.0 * scale[2]],
        [translation[0], translation[1], translation[2], 1.0],
    )
}

/// The rotation by `angle` radians about `axis`, with the same arithmetic as glam's
/// `Mat4::from_axis_angle`. glam requires a unit axis; Nodarium's output node passes a longer or
/// shorter one, which scales and shears the result (compatibility mode reproduces that).
pub fn from_axis_angle(axis: Vec3, angle: f32) -> Mat4 {
    let (sin, cos) = crate::libm::sin_cos(angle);
    from_axis_sin_cos(axis, sin, cos)
}

/// [`from_axis_angle`] for the angle whose sine and cosine are given: for a caller that knows them
/// without the angle (from a cross and a dot product), which saves three calls into libm.
pub fn from_axis_sin_cos(axis: Vec3, sin: f32, cos: f32) -> Mat4 {
    let [x, y, z] = axis;
    let (x_sin, y_sin, z_sin) = (x * sin, y * sin, z * sin);
    let omc = 1.0 - cos;
    let (xy, xz, yz) = (x * y * omc, x * z * omc, y * z * omc);
    from_cols(
        [x * x * omc + cos, xy + z_sin, xz - y_sin, 0.0],
        [xy - z_sin, y * y * omc + cos, yz + x_sin, 0.0],
        [xz + y_sin, yz - x_sin, z * z * omc + cos, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    )
}

pub fn from_quat(rotation: Quat) -> Mat4 {
    from_scale_rotation_translation([1.0; 3], rotation, [0.0; 3])
}

pub fn from_translation(translation: Vec3) -> Mat4 {
    from_scale_rotation_translation([1.0; 3], crate::quat::IDENTITY, translation)
}

pub fn from_scale(scale: Vec3) -> Mat4 {
    from_scale_rotation_translation(scale, crate::quat::IDENTITY, [0.0; 3])
}

/// Rotation by `angle` radians about the X axis (y turns towards z).
pub fn from_rotation_x(angle: f32) -> Mat4 {
    let (s, c) = crate::libm::sin_cos(angle);
    from_cols([1.0, 0.0, 0.0, 0.0], [0.0, c, s, 0.0], [0.0, -s, c, 0.0], [0.0, 0.0, 0.0, 1.0])
}

/// Rotation by `angle` radians about the Y axis (z turns towards x).
pub fn from_rotation_y(angle: f32) -> Mat4 {
    let (s, c) = crate::libm::sin_cos(angle);
    from_cols([c, 0.0, -s, 0.0], [0.0, 1.0, 0.0, 0.0], [s, 0.0, c, 0.0], [0.0, 0.0, 0.0, 1.0])
}

/// Rotation by `angle` radians about the Z axis (x turns towards y).
pub fn from_rotation_z(angle: f32) -> Mat4 {
    let (s, c) = crate::libm::sin_cos(angle);
    from_cols([c, s, 0.0, 0.0], [-s, c, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0])
}

/// The product `a · b`: applying it applies `b` first, then `a`.
pub fn mul(a: Mat4, b: Mat4) -> Mat4 {
    let mut out = [0.0; 16];
    for c in 0..4 {
        for r in 0..4 {
            out[4 * c + r] = (0..4).map(|k| a[4 * k + r] * b[4 * c + k]).sum();
        }
    }
    out
}

/// `m` applied to the point `p` (w = 1, so translation applies); `m` is assumed affine.
pub fn transform_point(m: Mat4, p: Vec3) -> Vec3 {
    let [x, y, z] = p;
    [
        m[0] * x + m[4] * y + m[8] * z + m[12],
        m[1] * x + m[5] * y + m[9] * z + m[13],
        m[2] * x + m[6] * y + m[10] * z + m[14],
    ]
}

/// `m` applied to the direction `v` (w = 0, so translation does not apply), as glam's
/// `transform_vector3` computes it.
#[inline]
pub fn transform_vector(m: Mat4, v: Vec3) -> Vec3 {
    let [x, y, z] = v;
    [
        m[0] * x + m[4] * y + m[8] * z,
        m[1] * x + m[5] * y + m[9] * z,
        m[2] * x + m[6] * y + m[10] * z,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quat;
    use crate::vecmath::{normalize, rotate_x, rotate_y, rotate_z};
    use std::f32::consts::FRAC_PI_2;

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6)
    }

    #[test]
    fn scale_two_and_translation_is_exact() {
        let m = from_scale_rotation_translation([2.0; 3], quat::IDENTITY, [1.0, 2.0, 3.0]);
        assert_eq!(m, [
            2.0, 0.0, 0.0, 0.0,
            0.0, 2.0, 0.0, 0.0,
            0.0, 0.0, 2.0, 0.0,
            1.0, 2.0, 3.0, 1.0,
        ]);
        assert_eq!(transform_point(m, [1.0, -1.0, 0.5]), [3.0, 0.0, 4.0]);
        assert_eq!(transform_vector(m, [1.0, -1.0, 0.5]), [2.0, -2.0, 1.0]);
    }

    #[test]
    fn rotation_matrix_agrees_with_the_quaternion() {
        let q = quat::from_axis_angle(normalize([1.0, -2.0, 0.5]), 1.1);
        let m = from_quat(q);
        for v in [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.3, -0.7, 2.0]] {
            assert!(close(&transform_vector(m, v), &quat::rotate(q, v)));
        }
        let z_quarter = from_quat(quat::from_axis_angle([0.0, 0.0, 1.0], FRAC_PI_2));
        assert!(close(&transform_point(z_quarter, [1.0, 0.0, 0.0]), &[0.0, 1.0, 0.0]));
    }

    #[test]
    fn axis_rotations_agree_with_vecmath() {
        let v = [0.3, -0.7, 2.0];
        assert!(close(&transform_point(from_rotation_x(0.8), v), &rotate_x(v, 0.8)));
        assert!(close(&transform_point(from_rotation_y(0.8), v), &rotate_y(v, 0.8)));
        assert!(close(&transform_point(from_rotation_z(0.8), v), &rotate_z(v, 0.8)));
    }

    #[test]
    fn product_applies_the_right_factor_first() {
        let (t, s) = (from_translation([1.0, 0.0, 0.0]), from_scale([3.0; 3]));
        assert_eq!(transform_point(mul(t, s), [1.0, 1.0, 1.0]), [4.0, 3.0, 3.0]);
        assert_eq!(transform_point(mul(s, t), [1.0, 1.0, 1.0]), [6.0, 3.0, 3.0]);
        assert_eq!(mul(IDENTITY, s), s);
        assert_eq!(mul(s, IDENTITY), s);
    }

    #[test]
    fn scale_rotation_translation_is_translate_after_rotate_after_scale() {
        let q = quat::from_axis_angle([0.0, 1.0, 0.0], 0.4);
        let (sc, tr) = ([0.5, 2.0, 1.5], [3.0, -1.0, 2.0]);
        let composed = mul(from_translation(tr), mul(from_quat(q), from_scale(sc)));
        assert!(close(&from_scale_rotation_translation(sc, q, tr), &composed));
    }
}

//! The graph's result: every input item in one list `[0, 1, item…, 1, 1]`, each path followed by
//! the tube mesh extruded along it. Geometry and instances items pass through.
//!
//! The tube around a path of `P` points has `resolution_circle` (`C`) vertices in a ring at every
//! point and `2·(P − 1)·C` triangles joining neighbouring rings. A ring is the circle
//! `(cos θ, 0, sin θ)`, `θ = 2πk/C`, scaled by the point's thickness (at least 1e−6) and turned
//! from −y onto the direction `previous point − next point` (one-sided at the ends); its normals
//! are the turned circle's unit vectors. Triangles wind counter-clockwise seen from outside.
//!
//! Departures from Nodarium: the geometry item's opening count is `L − 3` (Nodarium's
//! `create_geometry_data` writes `L − 2`, one past its closing bracket); a ring whose direction is
//! +y gets a half turn instead of Nodarium's NaN from a zero rotation axis; and a bare item is
//! read like a list of one (Nodarium's output node crashes on it).

use ndg_util::encoding::encode_float;
use ndg_util::paths::Path;
use ndg_util::quat;
use ndg_util::vecmath::{add, normalize, scale, sub, xyz, Vec3};
use ndg_util::{ItemKind, Items, NodeError, NodeResult, Writer};

const DOWN: Vec3 = [0.0, -1.0, 0.0];

fn encode(v: Vec3) -> [i32; 3] {
    v.map(encode_float)
}

/// The direction a ring at point `i` faces: towards the base of the path.
fn ring_direction(path: &Path, i: usize) -> Vec3 {
    let n = path.len();
    if n < 2 {
        return DOWN;
    }
    let (before, after) = (i.saturating_sub(1), (i + 1).min(n - 1));
    match normalize(sub(xyz(path.point(before)), xyz(path.point(after)))) {
        [x, y, z] if x == 0.0 && y == 0.0 && z == 0.0 => DOWN,
        direction => direction,
    }
}

fn write_tube(path: &Path, circle: &[Vec3], out: &mut Writer) -> NodeResult {
    let ring = circle.len();
    let points = path.len();
    let segments = points.saturating_sub(1);
    let item = out.open()?;
    out.extend(&[ItemKind::Geometry.tag(), (points * ring) as i32, (2 * segments * ring) as i32])?;
    for s in 0..segments {
        for k in 0..ring {
            let (a, b) = ((s * ring + k) as i32, (s * ring + (k + 1) % ring) as i32);
            let (c, d) = (a + ring as i32, b + ring as i32);
            out.extend(&[a, c, b, b, c, d])?;
        }
    }
    // Positions and normals in one pass over the rings, each turned circle vector computed once
    // for both: the positions block first, the normals block right after it.
    let too_many = NodeError::Invalid("the tube has too many vertices");
    let block = points.checked_mul(3 * ring).ok_or(too_many)?;
    let (positions, normals) = out.reserve(block.checked_mul(2).ok_or(too_many)?)?.split_at_mut(block);
    let mut at = 0;
    for i in 0..points {
        let turn = quat::from_rotation_arc(DOWN, ring_direction(path, i));
        let point = path.point(i);
        let radius = point[3].max(1e-6);
        for &c in circle {
            let turned = quat::rotate(turn, c);
            positions[at..at + 3].copy_from_slice(&encode(add(xyz(point), scale(turned, radius))));
            normals[at..at + 3].copy_from_slice(&encode(normalize(turned)));
            at += 3;
        }
    }
    out.close(item)
}

pub fn execute(input: Items, resolution_circle: i32, out: &mut Writer) -> NodeResult {
    if resolution_circle < 3 {
        return Err(NodeError::Invalid("a tube needs a resolution_circle of at least 3"));
    }
    let circle: Vec<Vec3> = (0..resolution_circle)
        .map(|k| {
            let (sin, cos) = (std::f32::consts::TAU * k as f32 / resolution_circle as f32).sin_cos();
            [cos, 0.0, sin]
        })
        .collect();
    out.open_list()?;
    for item in input {
        out.extend(item.words)?;
        if let Some(path) = Path::of(&item) {
            write_tube(&path, &circle, out)?;
        }
    }
    out.close_list()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndg_util::encoding::decode_float;
    use ndg_util::paths::write_path;

    #[test]
    fn a_path_growing_downwards_gets_finite_rings() {
        // The ring direction is +y here: Nodarium's rotation axis −y × +y is zero and its ring NaN.
        let mut path = vec![0; 6 + 4 * 2];
        let points = [[0.0, 1.0, 0.0, 0.5], [0.0, 0.0, 0.0, 0.5]];
        write_path(&mut Writer::new(&mut path), 1, points.iter().copied()).unwrap();
        let mut slot = vec![0; 4 + path.len() + 7 + 6 * 8 + 3 * 8];
        let mut out = Writer::new(&mut slot);
        execute(Items::new(&path, 0).unwrap(), 4, &mut out).unwrap();
        assert_eq!(out.len(), out.capacity());
        let tube = &slot[2 + path.len()..slot.len() - 2];
        assert_eq!(tube[..5], [0, (tube.len() - 3) as i32, 1, 8, 8]);
        let floats: Vec<f32> = tube[5 + 24..tube.len() - 2].iter().map(|&w| decode_float(w)).collect();
        assert!(floats.iter().all(|f| f.is_finite()));
        // The first ring sits at y = 1 with radius 0.5.
        for vertex in floats[..12].chunks(3) {
            assert!((vertex[1] - 1.0).abs() < 1e-6);
            assert!(((vertex[0] * vertex[0] + vertex[2] * vertex[2]).sqrt() - 0.5).abs() < 1e-6);
        }
    }
}

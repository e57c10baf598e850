//! The graph's result: every input item in one list `[0, 1, item…, 1, 1]`, each path followed by
//! the tube mesh extruded along it, as Nodarium's output node builds it. Geometry and instances
//! items pass through.
//!
//! The tube around a path of `P` points has `resolution_circle` (`C`) vertices in a ring at every
//! point and `2·(P − 1)·C` triangles joining neighbouring rings. A ring is the circle
//! `(cos θ, 0, sin θ)`, `θ = (2π/C)·k`, scaled by the point's thickness (at least 1e−6) and turned
//! from −y onto the direction `d` = `previous point − next point` (one-sided at the ends, made a
//! unit vector): about the axis `−y × d` by the angle `acos(−y · d)`, with glam's
//! `Mat4::from_axis_angle` arithmetic. Its normals are the turned circle's unit vectors. The quad
//! between vertices `a`, `b` (ring `i`) and `c`, `d` (ring `i + 1`) is split into the triangles
//! `(d, b, a)` and `(a, c, d)`, as in Nodarium.
//!
//! Departures from Nodarium (compatibility mode, `ndg_util::compat()`, reproduces each):
//! - rings are true circles: the turning axis is made a unit vector. Nodarium passes `−y × d`
//!   as it is, whose length is the sine of the angle, so its rings shrink towards the axis the more
//!   a path leans (to 0.075× the thickness in its default plant), and where a path grows straight
//!   down (`d` = +y, axis zero, angle π) its matrix is −I, mirroring the ring so every face winds
//!   inwards. Here a zero axis is taken as x, which turns such rings by a true half turn, and the
//!   turn's sine and cosine come from `d` itself rather than through `acos` (see `ring_axes`);
//! - where two neighbouring points coincide, `d` is NaN and so is Nodarium's ring; here it faces
//!   −y;
//! - the tube's opening count is `L − 3` (Nodarium's `create_geometry_data` writes `L − 2`, one
//!   past its closing bracket);
//! - a bare item (a single geometry) is read like a list of one; Nodarium's output node panics.

use ndg_util::encoding::encode_float;
use ndg_util::mat4::{self, Mat4};
use ndg_util::paths::Path;
use ndg_util::vecmath::{add, cross, dot, sub, unit, xyz, Vec3};
use ndg_util::lanes::{F32x4, I32x4};
use ndg_util::{compat, libm, ItemKind, Items, NodeError, NodeResult, Writer};

const DOWN: Vec3 = [0.0, -1.0, 0.0];

/// The way a ring at point `i` faces, towards the base of the path: `previous − next` (one-sided
/// at the ends), not yet a unit vector; −y on a path of one point.
#[inline(always)]
fn ring_toward_base(path: &Path, i: usize) -> Vec3 {
    let n = path.len();
    if n < 2 {
        return DOWN;
    }
    let (before, after) = (i.saturating_sub(1), (i + 1).min(n - 1));
    sub(xyz(path.point(before)), xyz(path.point(after)))
}

/// Nodarium's matrix turning a ring from −y onto `unit(toward)` (compatibility mode): glam's
/// `from_axis_angle(−y × d, acos(−y · d))`.
fn nodarium_ring_turn(toward: Vec3) -> Mat4 {
    let direction = unit(toward);
    mat4::from_axis_angle(cross(DOWN, direction), libm::acos(dot(DOWN, direction)))
}

/// The turned x and z axes (columns 0 and 2) of the rotations from −y onto `unit(toward)` of
/// four rings at once (lane k: the ring whose `toward` is `(x, y, z)`'s lane k), in the default
/// mode: `mat4::from_axis_sin_cos`'s arithmetic, operation for operation, for the unit axis
/// `(−z, 0, x)/h` and the turn's sine `h/l` and cosine `−y/l` (`h` the length of `toward`'s
/// sideways part, `l` its length), straight from `toward` rather than through `acos` and back
/// through `sin` and `cos`: the same rotation, within 1e−6 of the exact one (and closer to it
/// where `acos` of a cosine near 1 quantised the angle). The four rings share each square root and
/// division.
fn ring_axes([x, y, z]: [F32x4; 3]) -> RingAxes {
    let (zero, one) = (F32x4::splat(0.0), F32x4::splat(1.0));
    let sideways = x.mul(x).add(z.mul(z)).sqrt();
    let (across, along) = (one.div(sideways), one.div(x.mul(x).add(y.mul(y)).add(z.mul(z)).sqrt()));
    let (sin, cos) = (sideways.mul(along), y.neg().mul(along));
    let (ax, ay, az) = (z.neg().mul(across), zero, x.mul(across));
    let (x_sin, y_sin, z_sin) = (ax.mul(sin), ay.mul(sin), az.mul(sin));
    let omc = one.sub(cos);
    let (xy, xz, yz) = (ax.mul(ay).mul(omc), ax.mul(az).mul(omc), ay.mul(az).mul(omc));
    let mut axes = RingAxes {
        x: [ax.mul(ax).mul(omc).add(cos), xy.add(z_sin), xz.sub(y_sin)].map(F32x4::to_array),
        z: [xz.add(y_sin), yz.sub(x_sin), az.mul(az).mul(omc).add(cos)].map(F32x4::to_array),
    };
    let (across, along, y) = (across.to_array(), along.to_array(), y.to_array());
    for k in 0..4 {
        if across[k].is_finite() && along[k].is_finite() {
            continue;
        }
        let m = if y[k] > 0.0 {
            // Straight down (`d` = +y): a half turn about x.
            mat4::from_axis_sin_cos([1.0, 0.0, 0.0], 0.0, -1.0)
        } else {
            // Straight up, or no direction at all (two points in one place): no turn.
            mat4::IDENTITY
        };
        for c in 0..3 {
            (axes.x[c][k], axes.z[c][k]) = (m[c], m[8 + c]);
        }
    }
    axes
}

/// Four rings' turned x and z axes, component by component (`x[c][k]`: component c of ring k's).
#[derive(Clone, Copy)]
struct RingAxes {
    x: [[f32; 4]; 3],
    z: [[f32; 4]; 3],
}

impl RingAxes {
    /// Ring k's two axes.
    fn of(&self, k: usize) -> [Vec3; 2] {
        [[0, 1, 2].map(|c| self.x[c][k]), [0, 1, 2].map(|c| self.z[c][k])]
    }
}

/// `ring_toward_base` of rings `first..first + 4` (past the last point: the last ring's), as the
/// x, y and z lanes `ring_axes` takes. A path of one point gives a zero `toward`, whose axes are
/// those of −y's: no turn.
fn towards_base(path: &Path, first: usize) -> [F32x4; 3] {
    let last = path.len() - 1;
    let rings = [0, 1, 2, 3].map(|k| (first + k).min(last));
    let rows = |points: [usize; 4]| F32x4::transpose(points.map(|i| F32x4::load_bits(path.point_words(i))));
    let (before, after) = (rows(rings.map(|i| i.saturating_sub(1))), rows(rings.map(|i| (i + 1).min(last))));
    [0, 1, 2].map(|c| before[c].sub(after[c]))
}

/// The tube's faces. Its quad `q` (of ring `q / ring`) joins the vertices `a = q` and `b = a + 1`
/// (`b = a + 1 − ring` for a ring's last quad, which closes the circle) to the next ring's
/// `c = a + ring` and `d = b + ring`, so its words are `a + [ring + 1, 1, 0, 0, ring, ring + 1]`
/// everywhere but at the closing quads. The faces are written as one stream over every quad of the
/// tube, eight quads (twelve 4-lane adds) at a time, and each ring's closing quad is then corrected
/// (its three words holding `b`), so a ring's faces need no loop of their own.
fn write_faces(faces: &mut [i32], ring: usize) {
    let r = ring as i32;
    let pair = [[r + 1, 1, 0, 0], [r, r + 1, r + 2, 2], [1, 1, r + 1, r + 2]];
    let steps: [I32x4; 12] = std::array::from_fn(|k| I32x4::new(pair[k % 3].map(|word| word + 2 * (k / 3) as i32)));
    let (eights, rest) = faces.split_at_mut(faces.len() / 48 * 48);
    for (n, words) in eights.chunks_exact_mut(48).enumerate() {
        let a = I32x4::splat(8 * n as i32);
        for (step, words) in steps.iter().zip(words.chunks_exact_mut(4)) {
            a.add(*step).store(words);
        }
    }
    let first = eights.len() / 6;
    for (k, words) in rest.chunks_exact_mut(6).enumerate() {
        let a = (first + k) as i32;
        words.copy_from_slice(&[a + r + 1, a + 1, a, a, a + r, a + r + 1]);
    }
    for (s, words) in faces.chunks_exact_mut(6 * ring).enumerate() {
        let b = (s * ring) as i32;
        let closing = &mut words[6 * (ring - 1)..];
        (closing[0], closing[1], closing[5]) = (b + r, b, b + r);
    }
}

fn write_tube(path: &Path, circle: &Circle, compat: bool, out: &mut Writer) -> NodeResult {
    let ring = circle.len();
    let points = path.len();
    let segments = points.saturating_sub(1);
    let item = out.open()?;
    out.extend(&[ItemKind::Geometry.tag(), (points * ring) as i32, (2 * segments * ring) as i32])?;
    let too_many = NodeError::Invalid("the tube has too many vertices");
    let faces = out.reserve(segments.checked_mul(6 * ring).ok_or(too_many)?)?;
    write_faces(faces, ring);
    // Positions and normals in one pass over the rings, each turned circle vector computed once
    // for both: the positions block first, the normals block right after it.
    let block = points.checked_mul(3 * ring).ok_or(too_many)?;
    let (positions, normals) = out.reserve(block.checked_mul(2).ok_or(too_many)?)?.split_at_mut(block);
    let rings = positions.chunks_exact_mut(3 * ring).zip(normals.chunks_exact_mut(3 * ring)).enumerate();
    if compat {
        for (i, (positions, normals)) in rings {
            let point = path.point(i);
            write_nodarium_ring(nodarium_ring_turn(ring_toward_base(path, i)), point, ring_radius(point), circle, positions, normals);
        }
        return out.close_overcounted(item, 1);
    }
    // Four rings' axes at a time, each four worked out while the four before them are written:
    // their square roots and divisions then run beside those rings' stores.
    if points == 0 {
        return out.close(item);
    }
    let mut next = ring_axes(towards_base(path, 0));
    let mut axes = next;
    for (i, (positions, normals)) in rings {
        if i % 4 == 0 {
            axes = next;
            next = ring_axes(towards_base(path, i + 4));
        }
        let point = path.point(i);
        write_ring(axes.of(i % 4), point, ring_radius(point), circle, positions, normals);
    }
    out.close(item)
}

/// A ring's radius: its point's thickness, at least 1e−6 (a comparison rather than `f32::max`,
/// which is a call into compiler-builtins on wasm; the same value, NaN included).
fn ring_radius(point: [f32; 4]) -> f32 {
    if point[3] > 0.000001 {
        point[3]
    } else {
        0.000001
    }
}

/// One ring as Nodarium computes it: the circle scaled, turned by glam's `transform_vector3`,
/// placed by `transform_point3` (adding the zero translation), its normal the turned vector made
/// a unit vector.
fn write_nodarium_ring(m: Mat4, point: [f32; 4], radius: f32, circle: &Circle, positions: &mut [i32], normals: &mut [i32]) {
    for (((&cos, &sin), position), normal) in circle.cos.iter().step_by(3).zip(circle.sin.iter().step_by(3)).zip(positions.chunks_exact_mut(3)).zip(normals.chunks_exact_mut(3)) {
        let turned = mat4::transform_vector(m, [cos * radius, 0.0, sin * radius]);
        let placed = add(add(turned, [m[12], m[13], m[14]]), xyz(point));
        position.copy_from_slice(&placed.map(encode_float));
        normal.copy_from_slice(&unit(turned).map(encode_float));
    }
}

/// One ring in the default mode: the normal is the unit circle vector turned, `cos·x' + sin·z'`
/// (x', z': the turned x and z axes from `ring_axes`; the circle's y is zero), already a unit vector
/// since the turn is a rotation, so it is not made one again; the vertex is the point plus
/// the normal times the radius. Per word: 3 multiplications and 2 additions, in this order on
/// every target, four words at a time. Word `j` of the ring is component `j % 3`, so the axes and
/// the point are laid out in that pattern too, which repeats every 12 words (4 vertices); the loop
/// takes 24 words a turn (fewer loop heads, each with its stop check, per ring).
fn write_ring(axes: [Vec3; 2], point: [f32; 4], radius: f32, circle: &Circle, positions: &mut [i32], normals: &mut [i32]) {
    let pattern = |v: &[f32]| [0, 1, 2].map(|q| F32x4::new([0, 1, 2, 3].map(|i| v[(4 * q + i) % 3])));
    let (xs, zs, at) = (pattern(&axes[0]), pattern(&axes[1]), pattern(&point));
    let radius4 = F32x4::splat(radius);
    let four = |q: usize, cos: &[f32], sin: &[f32], positions: &mut [i32], normals: &mut [i32]| {
        let n = xs[q].mul(F32x4::load(cos)).add(zs[q].mul(F32x4::load(sin)));
        n.store_bits(normals);
        at[q].add(n.mul(radius4)).store_bits(positions);
    };
    let words = positions.len();
    let whole = words / 24 * 24;
    let chunks = circle.cos[..whole].chunks_exact(24).zip(circle.sin[..whole].chunks_exact(24));
    for ((cos, sin), (positions, normals)) in chunks.zip(positions[..whole].chunks_exact_mut(24).zip(normals[..whole].chunks_exact_mut(24))) {
        for k in 0..6 {
            let lanes = 4 * k..4 * k + 4;
            four(k % 3, &cos[lanes.clone()], &sin[lanes.clone()], &mut positions[lanes.clone()], &mut normals[lanes]);
        }
    }
    // The rest four words at a time, the last four ending at the ring's end (so it may write up
    // to three words again, with the same values).
    for j in (whole..words).step_by(4).map(|j| j.min(words - 4)) {
        four(j % 3, &circle.cos[j..], &circle.sin[j..], &mut positions[j..], &mut normals[j..]);
    }
}

/// The unit circle at `resolution` points, `θ = (2π/resolution)·k`, each cos and sin repeated
/// three times: one per word of a vertex, as the ring's words are laid out.
struct Circle {
    cos: Vec<f32>,
    sin: Vec<f32>,
}

impl Circle {
    fn new(resolution: i32) -> Circle {
        let step = (2.0 * std::f32::consts::PI) / resolution as f32;
        let angles = (0..resolution).flat_map(|k| [step * k as f32; 3]);
        Circle { cos: angles.clone().map(libm::cos).collect(), sin: angles.map(libm::sin).collect() }
    }

    fn len(&self) -> usize {
        self.cos.len() / 3
    }
}

pub fn execute(input: Items, resolution_circle: i32, out: &mut Writer) -> NodeResult {
    if resolution_circle < 3 {
        return Err(NodeError::Invalid("a tube needs a resolution_circle of at least 3"));
    }
    let compat = compat();
    let circle = Circle::new(resolution_circle);
    out.open_list()?;
    for item in input {
        out.extend(item.words)?;
        if let Some(path) = Path::of(&item) {
            write_tube(&path, &circle, compat, out)?;
        }
    }
    out.close_list()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndg_util::encoding::decode_float;
    use ndg_util::paths::write_path;
    use ndg_util::vecmath::is_finite;

    /// The tube's words around a two-point path from `from` to `to` of thickness 0.5, 4 per ring.
    fn tube(from: Vec3, to: Vec3, compat: bool) -> Vec<i32> {
        let mut path = vec![0; 6 + 4 * 2];
        let points = [[from[0], from[1], from[2], 0.5], [to[0], to[1], to[2], 0.5]];
        write_path(&mut Writer::new(&mut path), 1, points.iter().copied()).unwrap();
        let item = Items::new(&path, 0).unwrap().next().unwrap();
        let mut slot = vec![0; 7 + 6 * 8 + 3 * 8];
        let mut out = Writer::new(&mut slot);
        write_tube(&Path::of(&item).unwrap(), &Circle::new(4), compat, &mut out).unwrap();
        assert_eq!(out.len(), out.capacity());
        slot
    }

    fn positions(tube: &[i32]) -> Vec<Vec3> {
        tube[5 + 24..5 + 24 + 24].chunks(3).map(|c| [decode_float(c[0]), decode_float(c[1]), decode_float(c[2])]).collect()
    }

    #[test]
    fn four_words_at_a_time_is_vertex_by_vertex_and_quad_by_quad() {
        let points = [[0.0, 0.0, 0.0, 0.3], [0.4, 1.0, -0.2, 0.2], [0.5, 1.7, 0.6, 0.1], [0.2, 2.5, 0.7, 0.05], [-0.3, 3.0, 0.4, 0.0]];
        let mut path = vec![0; 6 + 4 * points.len()];
        write_path(&mut Writer::new(&mut path), 1, points.iter().copied()).unwrap();
        let item = Items::new(&path, 0).unwrap().next().unwrap();
        let path = Path::of(&item).unwrap();
        let segments = points.len() - 1;
        for ring in 3..=14 {
            let circle = Circle::new(ring as i32);
            let mut slot = vec![0; 7 + 6 * segments * ring + 6 * points.len() * ring];
            write_tube(&path, &circle, false, &mut Writer::new(&mut slot)).unwrap();
            let header = [ItemKind::Geometry.tag(), (points.len() * ring) as i32, (2 * segments * ring) as i32];
            let mut expected = vec![0, slot.len() as i32 - 3];
            expected.extend(header);
            for s in 0..segments {
                for k in 0..ring {
                    let (a, b) = ((s * ring + k) as i32, (s * ring + (k + 1) % ring) as i32);
                    let (c, d) = (a + ring as i32, b + ring as i32);
                    expected.extend([d, b, a, a, c, d]);
                }
            }
            let mut normals = vec![];
            for (i, point) in points.iter().enumerate() {
                let [x_axis, z_axis] = ring_axes(ring_toward_base(&path, i).map(F32x4::splat)).of(0);
                for k in 0..ring {
                    let (cos, sin) = (circle.cos[3 * k], circle.sin[3 * k]);
                    for c in 0..3 {
                        let n = x_axis[c] * cos + z_axis[c] * sin;
                        normals.push(encode_float(n));
                        expected.push(encode_float(point[c] + n * ring_radius(*point)));
                    }
                }
            }
            expected.extend(normals);
            expected.extend([1, 1]);
            assert_eq!(slot, expected, "resolution {}", ring);
        }
    }

    #[test]
    fn the_first_faces_are_nodariums() {
        let words = tube([0.0; 3], [0.0, 1.0, 0.0], false);
        assert_eq!(words[..5], [0, 76, 1, 8, 8]);
        assert_eq!(words[5..11], [5, 1, 0, 0, 4, 5]);
        assert_eq!(tube([0.0; 3], [0.0, 1.0, 0.0], true)[1], 77);
    }

    #[test]
    fn leaning_rings_are_true_circles() {
        let reach = |compat| {
            let ring = &positions(&tube([0.0; 3], [1.0, 1.0, 0.0], compat))[..4];
            ring.iter().map(|p| (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt()).collect::<Vec<f32>>()
        };
        assert!(reach(false).iter().all(|r| (r - 0.5).abs() < 1e-6), "{:?}", reach(false));
        // Nodarium's axis of length sin 45° squashes the ring.
        assert!(reach(true).iter().any(|r| *r < 0.45), "{:?}", reach(true));
    }

    /// Rodrigues' rotation taking −y onto `toward`, in f64: columns 0 and 2.
    fn exact_turn(toward: Vec3) -> [f64; 6] {
        let [x, y, z] = toward.map(f64::from);
        let (l, h) = ((x * x + y * y + z * z).sqrt(), (x * x + z * z).sqrt());
        let (ax, az, sin, cos) = (-z / h, x / h, h / l, -y / l);
        [ax * ax * (1.0 - cos) + cos, az * sin, ax * az * (1.0 - cos), ax * az * (1.0 - cos), -ax * sin, az * az * (1.0 - cos) + cos]
    }

    #[test]
    fn the_turn_is_the_exact_rotation_to_within_1e_6() {
        let mut rng = ndg_util::rng::XorShift::from_seed([5; 16]);
        let mut draw = || rng.below(2001) as f32 / 1000.0 - 1.0;
        for _ in 0..1000 {
            let toward = [draw(), draw(), draw()];
            let columns = ring_axes(toward.map(F32x4::splat)).of(0).concat();
            let worst = columns.iter().zip(exact_turn(toward)).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max);
            assert!(worst < 1e-6, "{:?} {}", toward, worst);
        }
        let lanes = |towards: [Vec3; 4]| [0, 1, 2].map(|c| F32x4::new(towards.map(|t| t[c])));
        let no_turn = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
        // A half turn about x: z goes to −z.
        let half_turn = [[1.0, 0.0, 0.0], [0.0, 0.0, -1.0]];
        let towards = [[0.0, -2.0, 0.0], [0.3, -1.0, 0.2], [0.0, 3.0, 0.0], [0.0; 3]];
        let together = ring_axes(lanes(towards));
        assert_eq!([together.of(0), together.of(2), together.of(3)], [no_turn, half_turn, no_turn]);
        // Each lane is its own ring: the degenerate rings beside it change nothing.
        assert_eq!(together.of(1), ring_axes(lanes([towards[1]; 4])).of(0));
    }

    #[test]
    fn a_path_of_one_point_gets_an_unturned_ring() {
        let mut path = vec![0; 6 + 4];
        write_path(&mut Writer::new(&mut path), 1, [[1.0, 2.0, 3.0, 0.5]].into_iter()).unwrap();
        let item = Items::new(&path, 0).unwrap().next().unwrap();
        let mut slot = vec![0; 7 + 6 * 4];
        write_tube(&Path::of(&item).unwrap(), &Circle::new(4), false, &mut Writer::new(&mut slot)).unwrap();
        let circle = Circle::new(4);
        let expected: Vec<i32> = (0..4).flat_map(|k| [1.0 + circle.cos[3 * k] * 0.5, 2.0, 3.0 + circle.sin[3 * k] * 0.5]).map(encode_float).collect();
        assert_eq!(slot[5..17], expected[..]);
    }

    #[test]
    fn a_path_growing_downwards_gets_a_turned_ring_not_a_mirrored_one() {
        let fixed = positions(&tube([0.0, 1.0, 0.0], [0.0; 3], false));
        let mirrored = positions(&tube([0.0, 1.0, 0.0], [0.0; 3], true));
        // Vertex 1 of the circle is (0, 0, r): a half turn about x takes it to −z, Nodarium's −I too,
        // but vertex 0 (r, 0, 0) stays at +x under the half turn and goes to −x when mirrored.
        assert!((fixed[0][0] - 0.5).abs() < 1e-6 && (mirrored[0][0] + 0.5).abs() < 1e-6);
        assert!(fixed.iter().chain(&mirrored).all(|p| is_finite(*p)));
    }
}

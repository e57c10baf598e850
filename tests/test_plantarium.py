"""The plantarium nodes on small cases worked out by hand, with exact words.

Expected floats are computed with numpy float32 in the order the node's Rust code computes them,
so they match bit for bit; only sines and cosines (whose last bit may differ between libm
implementations) are compared with a tolerance.
"""

import json
import math

import numpy as np
import pytest
from conftest import f32_bits

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check

F = np.float32


def path_item(depth: int, points) -> list[int]:
    words = [0, 4 * len(points) + 3, 0, depth]
    for point in points:
        words += [f32_bits(c) for c in point]
    return words + [1, 1]


def stem_points(length, thickness, resolution, origin=(0, 0, 0)):
    last = F(resolution - 1)
    points = []
    for i in range(resolution):
        a = F(i) / last
        points.append((F(origin[0]), F(origin[1]) + a * F(length), F(origin[2]), F(thickness) * (F(1) - a)))
    return points


def floats(words) -> np.ndarray:
    return np.asarray(words, dtype="<i4").view("<f4")


# A three-point stem from the origin: (0,0,0,.5), (0,1,0,.25), (0,2,0,0).
STEM = "stem(amount: 1, length: 2, thickness: 0.5, resolution_curve: 3)"


@pytest.mark.toolchain
def test_random_is_nodariums_first_value_of_its_seed(run_ndg):
    # Nodarium's value for random(min: -1, max: 3) at run seed 7, the first time a node uses it: the
    # thickness at the foot of the first stem.
    runner = run_ndg("r = random(min: -1, max: 3, seed: 7)\noutput(input: stem(thickness: r, resolution_curve: 3))")
    assert runner.node_value("output.input").tolist()[9] == 0x3F98858A


@pytest.mark.toolchain
def test_stem_of_three_points(run_ndg):
    runner = run_ndg("output(input: stem(origin: [1, 2, 3], amount: 2, length: 4, thickness: 0.5, resolution_curve: 3))")
    one = path_item(1, [(1, 2, 3, 0.5), (1, 4, 3, 0.25), (1, 6, 3, 0)])
    assert len(one) == 4 * 3 + 6
    assert runner.node_value("output.input").tolist() == [0, 1, *one, *one, 1, 1]


@pytest.mark.toolchain
def test_triangle_is_nodariums_with_size_read_as_a_float(run_ndg):
    runner = run_ndg("output(input: triangle(size: 1.5))")
    s = f32_bits(1.5)
    up = [0, f32_bits(1.0), 0]
    body = [1, 3, 1, 0, 2, 1, f32_bits(-1.5), 0, 0, s, 0, 0, 0, 0, s, *up, *up, *up]
    assert runner.node_value("output.input").tolist() == [0, len(body) + 1, *body, 1, 1]


@pytest.mark.toolchain
def test_a_single_branch_on_a_straight_path(run_ndg):
    text = f"""
        plant = {STEM}
        out = branch(plant: plant, amount: 1, length: 3, thickness: 0.5, offsetSingle: 0.5,
                     lowestBranch: 0.5, highestBranch: 1, resolution_curve: 3)
        output(input: out)
    """
    # Halfway along the path's arc length is its middle point (0, 1, 0), thickness 0.25. The path
    # goes straight up, so tangent × Y is zero: Nodarium drops the branch (NaN), ndg grows it along
    # tangent × X = −z. resolution_curve 3 is raised to branch's minimum 4.
    stem = path_item(1, stem_points(2, 0.5, 3))
    branch = []
    for j in range(4):
        along = F(j) / F(3)
        branch.append((F(0), F(1), F(0) - along * F(3), F(0.25) * F(0.5) * (F(1) - along)))
    words = run_ndg(text).node_value("out")
    assert words[:6].tolist() == [0, 1, 0, 19, 0, 2] and words[-2 - len(stem):].tolist() == [*stem, 1, 1]
    np.testing.assert_array_equal(floats(words[6:22]).reshape(4, 4), np.array(branch))


@pytest.mark.toolchain
def test_branches_are_spread_and_turned_about_the_path(run_ndg):
    runner = run_ndg(f"""
        out = branch(plant: {STEM}, amount: 3, length: 1, thickness: 1, offsetSingle: 0.5,
                     lowestBranch: 0, highestBranch: 1, rotation: 90, resolution_curve: 4)
        output(input: out)
    """)
    items = np.asarray(runner.node_value("out")[2:-2])
    first_points = [floats(items[i * 22 + 4: i * 22 + 8]) for i in range(3)]
    # At 0, 0 − 3/4 (odd branches move back by 3/R, then clamp) and 1 of the path, turned by 0,
    # 90 and 180 degrees about +y from −z (tangent × X: the path is vertical).
    np.testing.assert_allclose(first_points, [[0, 0, 0, 0.5], [0, 0, 0, 0.5], [0, 2, 0, 0]], atol=1e-5)
    tips = [floats(items[i * 22 + 16: i * 22 + 19]) - first_points[i][:3] for i in range(3)]
    np.testing.assert_allclose(tips, [[0, 0, -1], [-1, 0, 0], [0, 0, 1]], atol=1e-6)


def dot(a, b):
    """In the Rust code's order (numpy's @ may sum float32 differently)."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def bend(d, alpha, strength, curviness):
    """gravity's bent segment d, in Nodarium's order of operations."""
    segment = np.sqrt(dot(d, d))
    pull = F(strength) / max(F(curviness), F(1e-4)) * F(strength)
    target = np.array([0, -segment * pull, 0], dtype=F)
    direction = d + (target - d) * (F(curviness) * np.sqrt(F(alpha)))
    if direction[0] == 0 and direction[2] == 0:
        direction[0] += F(1e-4)
        direction[2] += F(1e-4)
    return direction * (segment / np.sqrt(dot(direction, direction)))


@pytest.mark.toolchain
def test_gravity_on_two_segments(run_ndg):
    runner = run_ndg(f"out = gravity(plant: {STEM}, strength: 1, curviness: 1)\noutput(input: out)")
    up = np.array([0, 1, 0], dtype=F)
    points = [np.array(p[:3], dtype=F) for p in stem_points(2, 0.5, 3)]
    # Each segment bent where it belongs: the offset so far includes the segment's own bend.
    offset = np.zeros(3, dtype=F)
    bent = []
    for i in (1, 2):
        offset = offset + ((points[i - 1] + bend(up, F(i - 1) / F(2), 1, 1)) - points[i])
        bent.append(points[i] + offset)
    first, second = bent
    expected = [(0, 0, 0, 0.5), (*first, 0.25), (*second, 0)]
    assert runner.node_value("out").tolist() == [0, 1, *path_item(1, expected), 1, 1]
    # The first segment is only nudged off the vertical; the second is bent down past horizontal.
    assert second[1] < first[1]
    assert np.linalg.norm(second - first) == pytest.approx(1, abs=1e-6)


@pytest.mark.toolchain
@pytest.mark.parametrize("axis, tip", [(0, (1, 0, 2)), (1, (1, 2, 0)), (2, (-1, 0, 0))])
def test_rotate_a_quarter_turn_about_each_axis(run_ndg, axis, tip):
    runner = run_ndg(f"""
        plant = stem(origin: [1, 0, 0], amount: 1, length: 2, thickness: 0.5, resolution_curve: 3)
        out = rotate(plant: plant, axis: {axis}, angle: {math.pi / 2}, spread: false)
        output(input: out)
    """)
    words = runner.node_value("out")
    assert words[:6].tolist() == [0, 1, 0, 15, 0, 1]
    points = floats(words[6:-4]).reshape(3, 4)
    # About x, y rotates into z; about y, the point on the axis stays; about z, y turns into -x.
    np.testing.assert_allclose(points[2], [*tip, 0], atol=1e-6)
    np.testing.assert_allclose(points[0], [1, 0, 0, 0.5], atol=0)
    assert points[:, 3].tolist() == [0.5, 0.25, 0]


@pytest.mark.toolchain
def test_rotate_spread_fans_path_j_by_angle_j_over_n(run_ndg):
    runner = run_ndg("out = rotate(plant: stem(amount: 4, length: 1, resolution_curve: 3), axis: 2, angle: 2, spread: true)"
                     "\noutput(input: out)")
    paths = np.asarray(runner.node_value("out")[2:-2]).reshape(4, 18)
    tips = floats(paths[:, 12:15])
    angles = np.arctan2(-tips[:, 0], tips[:, 1])
    np.testing.assert_allclose(angles, [0, 0.5, 1, 1.5], atol=1e-6)


@pytest.mark.toolchain
def test_noise_on_a_three_point_path(run_ndg):
    # fixBottom 1 keeps the base where it is; directionalStrength lets only y through, by at most
    # strength·a (the noise stays within ±1). Its exact words are Nodarium's (test_nodarium_nodes.py).
    runner = run_ndg(f"""
        plant = {STEM}
        out = noise(plant: plant, scale: 10, strength: 1, fixBottom: 1, seed: 5, directionalStrength: [0, 1, 0])
        output(input: out)
    """)
    before = runner.node_value("plant")
    after = runner.node_value("out")
    moved = [i for i in range(len(before)) if before[i] != after[i]]
    assert moved == [11, 15]  # y of the middle point and of the tip
    assert 0 < abs(floats(after[11:12])[0] - 1) <= 0.5 and 0 < abs(floats(after[15:16])[0] - 2) <= 1


@pytest.mark.toolchain
def test_noise_and_gravity_leave_paths_outside_their_levels_untouched(run_ndg):
    runner = run_ndg(f"""
        plant = branch(plant: {STEM}, amount: 2, resolution_curve: 4)
        wavy = noise(plant: plant, scale: 3, strength: 2, seed: 1)
        bent = gravity(plant: plant, strength: 0.5)
        output(input: gravity(plant: wavy))
    """)
    plant = runner.node_value("plant")
    stem = path_item(1, stem_points(2, 0.5, 3))
    for name in ("wavy", "bent"):
        words = runner.node_value(name)
        assert len(words) == len(plant)
        assert words[-2 - len(stem):-2].tolist() == stem, name  # the stem, depth 1, is not selected
        assert words[2:6].tolist() == plant[2:6].tolist()  # a branch keeps its header (depth 2) …
        assert words[2:-2].tolist() != plant[2:-2].tolist(), name  # … but it moved


def quat_matrix(scale, q, t):
    """glam's from_scale_rotation_translation, column-major, as ndg_util::mat4 computes it."""
    x, y, z, w = q
    x2, y2, z2 = x + x, y + y, z + z
    xx, xy, xz, yy, yz, zz = x * x2, x * y2, x * z2, y * y2, y * z2, z * z2
    wx, wy, wz = w * x2, w * y2, w * z2
    one, zero = F(1), F(0)
    return [(one - (yy + zz)) * scale, (xy + wz) * scale, (xz - wy) * scale, zero,
            (xy - wz) * scale, (one - (xx + zz)) * scale, (yz + wx) * scale, zero,
            (xz + wy) * scale, (yz - wx) * scale, (one - (xx + yy)) * scale, zero,
            *t, one]


@pytest.mark.toolchain
def test_one_instance(run_ndg):
    runner = run_ndg(f"""
        plant = {STEM}
        out = instance(plant: plant, geometry: triangle(size: 1), amount: 1, lowestInstance: 0.5, highestInstance: 1)
        output(input: out)
    """)
    # Halfway along the points is point 1: (0, 1, 0), thickness 0.25, direction +y.
    q = np.array([0, 1, 0, 1], dtype=F)
    q = q / np.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    matrix = quat_matrix(F(0.25), q, (F(0), F(1), F(0)))
    up = [0, f32_bits(1.0), 0]
    triangle = [0, 2, 1, f32_bits(-1.0), 0, 0, f32_bits(1.0), 0, 0, 0, 0, f32_bits(1.0), *up, *up, *up]
    body = [2, 3, 1, 1, 1, *triangle, *[f32_bits(v) for v in matrix]]  # V, F, I, depth, geometry, matrix
    stem = path_item(1, stem_points(2, 0.5, 3))
    assert runner.node_value("out").tolist() == [0, 1, *stem, 0, len(body) + 1, *body, 1, 1, 1, 1]


@pytest.fixture(scope="module")
def segment_node(tmp_path_factory):
    """A node that outputs one fixed 2-point path, thickness 0.5, from (0,0,0) to (0,1,0)."""
    root = tmp_path_factory.mktemp("nodes")
    (root / "segment" / "src").mkdir(parents=True)
    (root / "segment" / "definition.json").write_text(json.dumps(
        {"id": "test/shapes/segment", "outputs": ["path"], "inputs": {}, "size": "paths(1, 2, 1)"}))
    (root / "segment" / "src" / "lib.rs").write_text("""
use ndg_util::paths::write_path;
use ndg_util::{NodeResult, Writer};

pub fn execute(out: &mut Writer) -> NodeResult {
    out.open_list()?;
    write_path(out, 1, [[0.0, 0.0, 0.0, 0.5], [0.0, 1.0, 0.0, 0.5]].into_iter())?;
    out.close_list()
}
""")
    return root


@pytest.mark.toolchain
def test_the_tube_around_a_two_point_path(run_ndg, segment_node):
    runner = run_ndg("output(input: segment(), resolution_circle: 4)", node_paths=[segment_node])
    result = runner.run()
    path = path_item(1, [(0, 0, 0, 0.5), (0, 1, 0, 0.5)])
    assert result[:2 + len(path)].tolist() == [0, 1, *path]
    tube = result[2 + len(path):-2]
    # 2 rings of 4 vertices, 2·1·4 triangles: 7 + 6·8 + 3·8 words, opening count L − 3.
    assert len(tube) == 7 + 6 * 8 + 3 * 8 and tube[:5].tolist() == [0, len(tube) - 3, 1, 8, 8]
    assert result[-2:].tolist() == [1, 1]
    # Nodarium's split of each quad (a, b | c, d): (d, b, a), (a, c, d).
    assert tube[5:29].tolist() == [5, 1, 0, 0, 4, 5, 6, 2, 1, 1, 5, 6, 7, 3, 2, 2, 6, 7, 4, 0, 3, 3, 7, 4]
    ring = np.array([[1, 0, 0], [0, 0, 1], [-1, 0, 0], [0, 0, -1]])
    positions = floats(tube[29:53]).reshape(8, 3)
    normals = floats(tube[53:77]).reshape(8, 3)
    np.testing.assert_allclose(positions, np.vstack([0.5 * ring, 0.5 * ring + [0, 1, 0]]), atol=1e-7)
    np.testing.assert_allclose(normals, np.vstack([ring, ring]), atol=1e-7)
    # Every triangle's winding points its normal away from the axis.
    faces = tube[5:29].reshape(8, 3)
    for a, b, c in faces:
        normal = np.cross(positions[b] - positions[a], positions[c] - positions[a])
        centre = (positions[a] + positions[b] + positions[c]) / 3
        assert normal[0] * centre[0] + normal[2] * centre[2] > 0


@pytest.mark.toolchain
def test_output_passes_geometry_and_instances_through(run_ndg):
    runner = run_ndg(f"output(input: instance(plant: {STEM}, geometry: box(size: 1), amount: 2), resolution_circle: 3)")
    kinds = []
    words = runner.run()[2:-2]
    at = 0
    while at < len(words):
        kinds.append(int(words[at + 2]))
        at += int(words[at + 1]) + 3
    assert kinds == [0, 1, 2]  # the path, its tube, the instances block


def test_a_size_that_depends_on_a_value_with_no_range_is_refused_at_that_input():
    source = "param n: integer = 3\nk = integer(value: n)\n\nstems = stem(amount: k)\noutput(input: stems)\n"
    with pytest.raises(SourceErrors) as error:
        check(source, "plant.ndg", NodeLibrary.load())
    rendered = error.value.render()
    assert ("error[E402]: the output size of `stems` depends on its input `amount`, which has no bound: "
            "parameter `n` has no range") in rendered
    assert " --> plant.ndg:4:22" in rendered and "4 | stems = stem(amount: k)" in rendered
    assert "hint: declare a range for `n`: `param n: integer = 3 in LOW..HIGH`, or use a constant instead" in rendered

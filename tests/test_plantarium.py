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


def splitmix_f32_range(seed: int, low: float, high: float) -> np.float32:
    """ndg_util::rng's first `range_f32` for a seed: SplitMix64, 24 high bits as a unit float."""
    state = (seed % 2**32 + 0x9E3779B97F4A7C15) % 2**64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
    z ^= z >> 31
    unit = F((z >> 32) >> 8) * F(1.0 / 16_777_216.0)
    value = F(low) + (F(high) - F(low)) * unit
    return min(max(value, F(min(low, high))), F(max(low, high)))


@pytest.mark.parametrize("seed", [0, 1, 42, -7])
def test_random_is_splitmix64_of_its_seed(run_ndg, seed):
    runner = run_ndg(f"r = random(min: -2, max: 2, seed: {seed})\noutput(input: stem(thickness: r))")
    assert runner.node_value("r").tolist() == [f32_bits(splitmix_f32_range(seed, -2, 2))]


def test_stem_of_three_points(run_ndg):
    runner = run_ndg("output(input: stem(origin: [1, 2, 3], amount: 2, length: 4, thickness: 0.5, resolution_curve: 3))")
    one = path_item(1, [(1, 2, 3, 0.5), (1, 4, 3, 0.25), (1, 6, 3, 0)])
    assert len(one) == 4 * 3 + 6
    assert runner.node_value("output.input").tolist() == [0, 1, *one, *one, 1, 1]


def test_triangle_is_nodariums_with_size_read_as_a_float(run_ndg):
    runner = run_ndg("output(input: triangle(size: 1.5))")
    s = f32_bits(1.5)
    up = [0, f32_bits(1.0), 0]
    body = [1, 3, 1, 0, 2, 1, f32_bits(-1.5), 0, 0, s, 0, 0, 0, 0, s, *up, *up, *up]
    assert runner.node_value("output.input").tolist() == [0, len(body) + 1, *body, 1, 1]


def test_a_single_branch_on_a_straight_path(run_ndg):
    runner = run_ndg(f"""
        plant = {STEM}
        out = branch(plant: plant, amount: 1, length: 3, thickness: 0.5, offsetSingle: 0.5,
                     lowestBranch: 0.5, highestBranch: 1, resolution_curve: 3)
        output(input: out)
    """)
    # Halfway along the path's arc length is its middle point (0, 1, 0), thickness 0.25; the path
    # goes up, so the branch leaves along +x. resolution_curve 3 is raised to branch's minimum 4.
    branch = []
    for j in range(4):
        along = F(j) / F(3)
        branch.append((F(0) + F(1) * (along * F(3)), F(1), F(0), F(0.25) * F(0.5) * (F(1) - along)))
    assert runner.node_value("out").tolist() == [0, 1, *path_item(2, branch), *path_item(1, stem_points(2, 0.5, 3)), 1, 1]


def test_branches_are_spread_and_turned_about_the_path(run_ndg):
    runner = run_ndg(f"""
        out = branch(plant: {STEM}, amount: 3, length: 1, thickness: 1, offsetSingle: 0.5,
                     lowestBranch: 0, highestBranch: 1, rotation: 90, resolution_curve: 4)
        output(input: out)
    """)
    items = np.asarray(runner.node_value("out")[2:-2])
    first_points = [floats(items[i * 22 + 4: i * 22 + 8]) for i in range(3)]
    # At 0, 1/2 and 1 of the path, turned by 0, 90 and 180 degrees about +y from +x.
    np.testing.assert_allclose(first_points, [[0, 0, 0, 0.5], [0, 1, 0, 0.25], [0, 2, 0, 0]], atol=1e-6)
    tips = [floats(items[i * 22 + 16: i * 22 + 19]) - first_points[i][:3] for i in range(3)]
    np.testing.assert_allclose(tips, [[1, 0, 0], [0, 0, -1], [-1, 0, 0]], atol=1e-6)


def dot(a, b):
    """In the Rust code's order (numpy's @ may sum float32 differently)."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def bend(d, alpha, strength, curviness):
    """gravity's bent direction of segment d, as its Rust code computes it."""
    segment = np.sqrt(dot(d, d))
    pull = F(strength) * F(strength) / max(F(curviness), F(1e-4))
    target = np.array([0, -segment * pull, 0], dtype=F)
    direction = d + (target - d) * (F(curviness) * np.sqrt(F(alpha)))
    if direction[0] == 0 and direction[2] == 0:
        direction[0] += F(1e-4)
        direction[2] += F(1e-4)
    norm = np.sqrt(dot(direction, direction))
    return (direction / norm + F(0)) * segment


def test_gravity_on_two_segments(run_ndg):
    runner = run_ndg(f"out = gravity(plant: {STEM}, strength: 1, curviness: 1)\noutput(input: out)")
    up = np.array([0, 1, 0], dtype=F)
    first = np.zeros(3, dtype=F) + bend(up, F(0) / F(2), 1, 1)
    second = first + bend(up, F(1) / F(2), 1, 1)
    expected = [(0, 0, 0, 0.5), (*first, 0.25), (*second, 0)]
    assert runner.node_value("out").tolist() == [0, 1, *path_item(1, expected), 1, 1]
    # The first segment is only nudged off the vertical; the second is bent down past horizontal.
    assert second[1] < first[1]
    assert np.linalg.norm(second - first) == pytest.approx(1, abs=1e-6)


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


def test_rotate_spread_fans_path_j_by_angle_j_over_n(run_ndg):
    runner = run_ndg("out = rotate(plant: stem(amount: 4, length: 1, resolution_curve: 3), axis: 2, angle: 2, spread: true)"
                     "\noutput(input: out)")
    paths = np.asarray(runner.node_value("out")[2:-2]).reshape(4, 18)
    tips = floats(paths[:, 12:15])
    angles = np.arctan2(-tips[:, 0], tips[:, 1])
    np.testing.assert_allclose(angles, [0, 0.5, 1, 1.5], atol=1e-6)


def test_noise_on_a_three_point_path(run_ndg):
    # scale 10 makes the noise coordinates (j + a·2, a): the first and last points sit on integer
    # lattice points, where gradient noise is exactly 0, so only the middle point can move; and
    # only along y, the one axis directionalStrength lets through, by at most strength·a = 0.5.
    runner = run_ndg(f"""
        plant = {STEM}
        out = noise(plant: plant, scale: 10, strength: 1, fixBottom: 1, seed: 5, directionalStrength: [0, 1, 0])
        output(input: out)
    """)
    before = runner.node_value("plant")
    after = runner.node_value("out")
    moved = [i for i in range(len(before)) if before[i] != after[i]]
    assert moved == [11]  # y of the middle point
    y = after[11:12].view("<f4")[0]
    assert 0 < abs(y - 1) <= 0.5


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


def test_the_tube_around_a_two_point_path(run_ndg, segment_node):
    runner = run_ndg("output(input: segment(), resolution_circle: 4)", node_paths=[segment_node])
    result = runner.run()
    path = path_item(1, [(0, 0, 0, 0.5), (0, 1, 0, 0.5)])
    assert result[:2 + len(path)].tolist() == [0, 1, *path]
    tube = result[2 + len(path):-2]
    # 2 rings of 4 vertices, 2·1·4 triangles: 7 + 6·8 + 3·8 words, opening count L − 3.
    assert len(tube) == 7 + 6 * 8 + 3 * 8 and tube[:5].tolist() == [0, len(tube) - 3, 1, 8, 8]
    assert result[-2:].tolist() == [1, 1]
    assert tube[5:29].tolist() == [0, 4, 1, 1, 4, 5, 1, 5, 2, 2, 5, 6, 2, 6, 3, 3, 6, 7, 3, 7, 0, 0, 7, 4]
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

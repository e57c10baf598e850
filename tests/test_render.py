"""The headless preview: right size, framed on the whole mesh, nearest surface in front."""

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from shapes_words import TRIANGLE, geometry_item, instances_item, result, translation
from test_end_to_end import box_item

from ndg.cli import main
from ndg.errors import UserError
from ndg.render import BACKGROUND, MARGIN, View, parse_size, parse_view, render
from ndg.render_cpu import _rasterise
from ndg.runtime.meshes import decode


def covered(image: Image.Image) -> np.ndarray:
    """Pixels that differ from the background."""
    return np.abs(np.asarray(image, np.float32) - BACKGROUND).sum(axis=2) > 8


@pytest.mark.toolchain
def test_png_from_the_command_has_the_size_asked_for_and_shows_the_plant(tmp_path):
    png = tmp_path / "basics.png"
    cli = CliRunner().invoke(main, ["run", str(EXAMPLES / "basics.ndg"), "--png", str(png), "--size", "320x200"])
    assert cli.exit_code == 0, cli.output
    image = Image.open(png)
    assert image.format == "PNG" and image.size == (320, 200)
    assert 0.2 < covered(image.convert("RGB")).mean() < 0.8


def test_a_cube_seen_straight_on_fills_the_framed_square():
    # From the front (azimuth 0, elevation 0) a cube is a square; the camera fits its height to
    # the picture minus the margins, so it covers side² pixels.
    image = render(decode(result(box_item(1))), View(400, 300, 0, 0))
    side = 300 * (1 - 2 * MARGIN)
    mask = covered(image)
    assert abs(mask.mean() - side * side / (400 * 300)) < 0.01
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    assert abs((rows[-1] - rows[0] + 1) - side) <= 2 and abs((columns[-1] - columns[0] + 1) - side) <= 2
    assert abs((rows[0] + rows[-1]) / 2 - 149.5) <= 1 and abs((columns[0] + columns[-1]) / 2 - 199.5) <= 1


def test_the_whole_mesh_is_framed_even_far_from_the_origin():
    far = decode(result(instances_item(TRIANGLE, [[0, 1, 2]], [translation(1000, 0, 0), translation(1003, 2, 0)])))
    mask = covered(render(far, View(200, 200, 0, 0)))
    # The pair spans 4 × 3 units; the wider side fills 200 px less the margins: 44 px per unit,
    # and each triangle (area 0.5) covers 0.5 × 44² pixels.
    scale = 200 * (1 - 2 * MARGIN) / 4
    assert abs(mask.sum() - 2 * 0.5 * scale**2) < 0.05 * mask.sum()
    columns = np.flatnonzero(mask.any(axis=0))
    assert abs((columns[-1] - columns[0] + 1) - 4 * scale) <= 2


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_the_nearer_triangle_wins_whatever_the_order(order):
    big = np.array([[0, 0], [40, 0], [0, 40]], np.float64)
    small = np.array([[2, 2], [12, 2], [2, 12]], np.float64)
    triangles = np.stack([big, small])[list(order)]
    depths = np.array([[5.0] * 3, [1.0] * 3])[list(order)]
    face_at = _rasterise(triangles, depths, 40, 40).reshape(40, 40)
    small_index = order.index(1)
    assert face_at[4, 4] == small_index
    assert face_at[20, 5] == 1 - small_index
    assert face_at[39, 39] == -1


def test_views_from_other_sides_give_other_pictures():
    mesh = decode(result(geometry_item([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0, 1, 2]]), box_item(0.2)))
    pictures = [np.asarray(render(mesh, View(120, 90, azimuth, 20))) for azimuth in (0, 90)]
    assert not np.array_equal(*pictures)


def test_nothing_to_draw_is_a_user_error():
    with pytest.raises(UserError, match="nothing to draw"):
        render(decode(result()))


@pytest.mark.parametrize("text, expected", [("800x600", (800, 600)), ("64X48", (64, 48))])
def test_size_is_width_by_height(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["800", "axb", "8x8", "9000x10"])
def test_bad_sizes_are_user_errors(text):
    with pytest.raises(UserError):
        parse_size(text)


def test_view_is_azimuth_and_elevation():
    assert parse_view("30,-15") == (30.0, -15.0)
    with pytest.raises(UserError):
        parse_view("30")
    with pytest.raises(UserError):
        parse_view("0,120")


def test_png_name_is_checked_before_running(tmp_path):
    cli = CliRunner().invoke(main, ["run", str(EXAMPLES / "basics.ndg"), "--png", str(tmp_path / "plant.jpg")])
    assert cli.exit_code == 2 and "unknown format `.jpg`" in cli.output and "use one of .png" in cli.output


def test_batches_splitting_triangles_anywhere_give_the_same_picture(monkeypatch):
    import ndg.render_cpu

    rng = np.random.default_rng(7)
    triangles = rng.uniform(-5, 45, (30, 3, 2))
    depths = rng.uniform(0, 10, (30, 3))
    whole = _rasterise(triangles, depths, 40, 40)
    monkeypatch.setattr(ndg.render_cpu, "BATCH_PIXELS", 37)  # batches end in the middle of triangles
    assert _rasterise(triangles, depths, 40, 40).tolist() == whole.tolist()
    assert (whole >= 0).sum() > 200


@settings(max_examples=60, deadline=None)
@given(corners=arrays(np.float64, (3, 2), elements=st.floats(0, 64)))
def test_a_triangle_covers_about_its_area_in_pixels(corners):
    (ax, ay), (bx, by) = corners[1] - corners[0], corners[2] - corners[0]
    area = abs(ax * by - ay * bx) / 2
    perimeter = sum(np.linalg.norm(corners[i] - corners[i - 1]) for i in range(3))
    covered_pixels = (_rasterise(corners[None], np.zeros((1, 3)), 64, 64) == 0).sum()
    # Pixels whose centres the edges pass near can fall either way: at most about one per unit of edge.
    assert abs(covered_pixels - area) <= perimeter + 2

"""Pictures drawn by OpenGL (EGL on Mesa's llvmpipe): like the committed reference, instances drawn as
instances, smooth normals from the result, paths as lines, turntables; the CPU fallback when
OpenGL cannot start."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from PIL import Image
from shapes_words import (
    QUARTER_TURN_Y,
    TRIANGLE,
    TRIANGLE_NORMALS,
    geometry_item,
    instances_item,
    path_item,
    result,
    translation,
)

import ndg
from ndg import render_gl
from ndg.cli import main
from ndg.render import BACKGROUND, LINE_COLOUR, View, render, turntable
from ndg.runtime.meshes import Shapes, decode

REFERENCE = Path(__file__).resolve().parent / "data" / "basics-320x240.png"


@pytest.fixture(autouse=True)
def opengl(monkeypatch):
    monkeypatch.setenv("NDG_RENDERER", "gl")  # a missing OpenGL fails these tests instead of falling back


def pixels(image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), np.float32)


@pytest.mark.toolchain
def test_basics_looks_like_the_reference_picture(tmp_path):
    png = tmp_path / "basics.png"
    cli = CliRunner().invoke(main, ["run", str(EXAMPLES / "basics.ndg"), "--png", str(png), "--size", "320x240", "-q"])
    assert cli.exit_code == 0, cli.output
    drawn, reference = pixels(Image.open(png)), pixels(Image.open(REFERENCE))
    assert drawn.shape == reference.shape == (240, 320, 3)
    difference = np.abs(drawn - reference).max(axis=2)
    # Antialiased edges may round differently on another Mesa; the picture must not change.
    assert difference.mean() < 1.5 and (difference > 48).mean() < 0.005


def test_instances_are_drawn_where_their_copies_would_be():
    words = result(instances_item(TRIANGLE, [[0, 1, 2]], [translation(0, 0, 0), translation(2, 0, 0), QUARTER_TURN_Y],
                                  TRIANGLE_NORMALS))
    shapes = decode(words)
    expanded = Shapes([shapes.instances[0].expanded()], [], [])
    view = View(200, 150, 20, 30)
    assert np.abs(pixels(render(shapes, view)) - pixels(render(expanded, view))).max() <= 2


def test_shading_follows_the_normals_in_the_result():
    square = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]]
    faces = [[0, 1, 2], [0, 2, 3]]
    flat = render(decode(result(geometry_item(square, faces, [[0, 0, 1]] * 4))), View(100, 100, 0, 0))
    bent = render(decode(result(geometry_item(square, faces, [[-1, 0, 1], [1, 0, 1], [1, 0, 1], [-1, 0, 1]]))),
                  View(100, 100, 0, 0))
    flat_row, bent_row = pixels(flat)[50, 10:90, 1], pixels(bent)[50, 10:90, 1]
    assert flat_row.max() - flat_row.min() <= 1  # one normal: one shade
    assert bent_row.max() - bent_row.min() > 20  # normals turning across the square: a gradient


def test_paths_are_drawn_as_lines():
    image = pixels(render(decode(result(path_item([[0, 0, 0, 1], [0, 2, 0, 1], [1, 3, 0, 1]]))), View(120, 120)))
    line = np.abs(image - LINE_COLOUR).max(axis=2) < 30
    assert 40 < line.sum() < 800
    assert (np.abs(image - BACKGROUND).max(axis=2) < 3).mean() > 0.9


def test_a_turntable_goes_around_at_one_zoom():
    shapes = decode(result(instances_item(TRIANGLE, [[0, 1, 2]], [translation(0, 0, 0), translation(3, 0, 0)])))
    views = turntable(shapes, View(80, 60, 0, 10), 4)
    assert len(views) == 4
    covered = [(np.abs(pixels(v) - BACKGROUND).max(axis=2) > 8).sum() for v in views]
    assert covered[0] > 0 and covered[0] != covered[1]  # seen from the side after a quarter turn


@pytest.mark.toolchain
@pytest.mark.parametrize("suffix, frames", [(".png", 1), (".webp", 6), (".gif", 6)])
def test_turntable_as_a_sheet_or_an_animation(tmp_path, suffix, frames):
    out = tmp_path / f"tree{suffix}"
    cli = CliRunner().invoke(main, ["run", str(EXAMPLES / "basics.ndg"), "--png", str(out), "--turntable", "6",
                                    "--size", "64x48", "-q"])
    assert cli.exit_code == 0, cli.output
    image = Image.open(out)
    assert getattr(image, "n_frames", 1) == frames
    assert image.size == ((3 * 64, 2 * 48) if suffix == ".png" else (64, 48))


def test_an_animation_needs_a_turntable(tmp_path):
    cli = CliRunner().invoke(main, ["run", str(EXAMPLES / "basics.ndg"), "--png", str(tmp_path / "x.webp")])
    assert cli.exit_code == 2 and "unknown format `.webp`" in cli.output


@pytest.mark.toolchain
def test_picture_to_standard_output():
    cli = CliRunner().invoke(main, ["run", str(EXAMPLES / "basics.ndg"), "--png", "-", "--size", "64x48"])
    assert cli.exit_code == 0, cli.output
    assert Image.open(io.BytesIO(cli.stdout_bytes)).size == (64, 48)


@pytest.mark.toolchain
def test_without_opengl_the_cpu_renderer_draws_and_says_so(monkeypatch, capsys):
    monkeypatch.setattr(render_gl, "_state", {"problem": "libEGL.so.1: cannot open shared object file"})
    monkeypatch.delenv("NDG_RENDERER")
    run = ndg.compile(EXAMPLES / "basics.ndg").run()
    image = run.render(64, 48)
    assert image.size == (64, 48) and (np.abs(pixels(image) - BACKGROUND).max(axis=2) > 8).mean() > 0.2
    err = capsys.readouterr().err
    assert "CPU renderer" in err and "libEGL" in err
    monkeypatch.setenv("NDG_RENDERER", "gl")
    with pytest.raises(ndg.UserError, match="cannot draw with OpenGL: libEGL"):
        run.render(64, 48)

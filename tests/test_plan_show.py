"""`ndg plan show`, and `--layout` on compile and run."""

import io
import json

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from PIL import Image

from ndg.cli import main


@pytest.fixture(scope="module", params=["keep", "reuse"])
def compiled_plan(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(request.param) / "basics.ndp"
    result = CliRunner().invoke(main, ["compile", str(EXAMPLES / "basics.ndg"), "-o", str(path), "--layout", request.param])
    assert result.exit_code == 0, result.output
    assert f"slots laid out by `{request.param}`" in result.output
    return request.param, path


@pytest.mark.toolchain
def test_json_summary_gives_the_layout_and_every_step(compiled_plan):
    policy, path = compiled_plan
    result = CliRunner().invoke(main, ["plan", "show", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["layout"] == policy
    assert summary["peak_live_bytes"] == 4 * (91 + 95)
    # keep: eight slots of 1, 1, 1, 3, 1, 1, 91 and 95 words, each region 16-byte aligned, a guard after each.
    assert summary["slot_bytes"] == {"keep": 4 * 194, "reuse": 4 * (91 + 95)}[policy]
    assert summary["slot_area_bytes"] == {"keep": 6 * 16 + 368 + 384 + 8 * 16, "reuse": 752 + 16}[policy]
    assert summary["guards"] == {"keep": 8, "reuse": 1}[policy]
    assert [(s["node"], s["line"], s["kind"].rsplit("/", 1)[1], s["capacity_words"], s["written_at"], s["live_until"])
            for s in summary["steps"]] == [
        ("half", 5, "float", 1, 0, 1), ("scale", 6, "math", 1, 1, 2), ("size", 7, "math", 1, 2, 6),
        ("up", 8, "vec3", 3, 3, 3), ("detail", 9, "integer", 1, 4, 4), ("visible", 10, "boolean", 1, 5, 5),
        ("output.input", 12, "box", 91, 6, 7), ("output", 12, "output", 95, 7, 8)]


@pytest.mark.toolchain
def test_tables_name_the_nodes_and_the_png_draws_the_slots(compiled_plan, tmp_path):
    policy, path = compiled_plan
    picture = tmp_path / "map.png"
    result = CliRunner().invoke(main, ["plan", "show", str(path), "--png", str(picture)])
    assert result.exit_code == 0, result.output
    for text in ("memory map", "steps", "static", "constants", "half", "visible", "7–end", f"`{policy}`"):
        assert text in result.output
    image = Image.open(io.BytesIO(picture.read_bytes()))
    assert image.format == "PNG" and image.size == (960, 640)
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 16)}
    assert (255, 0, 0) in colours  # a guard line
    assert (0x4C, 0x78, 0xA8) in colours  # the first step's slot


def test_plan_show_refuses_what_is_not_a_plan(tmp_path):
    (tmp_path / "x.ndp").write_bytes(b"not a plan")
    result = CliRunner().invoke(main, ["plan", "show", str(tmp_path / "x.ndp")])
    assert result.exit_code == 2 and "not a plan" in result.output


@pytest.mark.toolchain
def test_run_with_reuse_gives_the_same_result_and_shows_only_held_values(tmp_path):
    outputs = {}
    for policy in ("keep", "reuse"):
        result = CliRunner().invoke(main, ["run", str(EXAMPLES / "basics.ndg"), "--layout", policy,
                                           "-o", str(tmp_path / f"{policy}.bin")])
        assert result.exit_code == 0, result.output
        outputs[policy] = result.output
    assert (tmp_path / "keep.bin").read_bytes() == (tmp_path / "reuse.bin").read_bytes()
    assert "scale" in outputs["keep"] and "scale" not in outputs["reuse"]

"""The library API, the in-process sweep, and the machine-readable command summaries."""

import json

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner
from conftest import EXAMPLES
from test_end_to_end import box_item

import ndg
from ndg.cli import main


@pytest.fixture(scope="module")
def program():
    return ndg.compile_string("output(input: box(size: 2))", "box.ndg")


@pytest.mark.toolchain
def test_a_string_compiles_and_runs_to_its_words_and_meshes(program):
    result = program.run()
    assert result.words.tolist() == [0, 1, *box_item(2), 1, 1]
    [mesh] = result.meshes()
    assert mesh.positions.min() == -2 and mesh.positions.max() == 2
    assert result.summary() == {"words": 95, "geometry_items": 1, "instance_blocks": 0, "instances": 0,
                                "paths": 0, "path_points": 0, "vertices": 8, "triangles": 12}
    assert "1 geometry item (8 vertices, 12 faces)" in repr(result)


@pytest.mark.toolchain
def test_to_trimesh_gives_the_box(program):
    mesh = program.run().to_trimesh()
    assert isinstance(mesh, trimesh.Trimesh)
    assert (len(mesh.vertices), len(mesh.faces)) == (8, 12)
    assert mesh.bounds.tolist() == [[-2, -2, -2], [2, 2, 2]]


@pytest.mark.toolchain
def test_a_result_keeps_its_words_when_the_program_runs_again(program):
    first = program.run()
    kept = first.words.copy()
    program.run()
    assert first.words.tolist() == kept.tolist()


BENDING = """param bend: float = 0 in 0..1
trunk = stem(amount: 1, length: 4, thickness: 0.2)
bent = rotate(plant: trunk, axis: x, angle: bend, spread: false)
output(input: bent)
"""


@pytest.mark.toolchain
def test_a_result_keeps_its_item_names_when_the_program_runs_again():
    # Unturned, the path is the stem's own words, so it is named after `trunk`; turned, after `bent`.
    # Names are worked out from the run's memory, so the next run must not change the first's.
    program = ndg.compile_string(BENDING, "bending.ndg")
    straight = program.run(bend=0)
    bent = program.run(bend=1)
    assert bent.names["paths"] == ["bent"]
    assert straight.names["paths"] == ["trunk"]
    assert program.run(bend=0).names["paths"] == ["trunk"]


@pytest.mark.toolchain
def test_a_result_shows_itself_as_a_picture_in_notebooks(program):
    png = program.run()._repr_png_()
    assert png.startswith(b"\x89PNG")


@pytest.mark.toolchain
def test_a_file_compiles_saves_as_a_plan_and_loads_again(tmp_path):
    program = ndg.compile(EXAMPLES / "basics.ndg")
    program.save(tmp_path / "basics.ndp")
    again = ndg.load(tmp_path / "basics.ndp")
    assert again.run().words.tolist() == program.run().words.tolist()
    assert again.runner is again.runner  # loaded once, reused by every run


@pytest.mark.toolchain
def test_an_unknown_parameter_is_a_user_error(program):
    with pytest.raises(ndg.UserError, match="this plan has no parameter `seed`"):
        program.run(seed=3)


@pytest.mark.toolchain
def test_result_save_picks_the_format_by_extension(program, tmp_path):
    result = program.run()
    result.save(tmp_path / "box.ply")
    result.save(tmp_path / "box.json")
    assert len(trimesh.load(tmp_path / "box.ply", process=False).faces) == 12
    assert json.loads((tmp_path / "box.json").read_text()) == result.words.tolist()


@pytest.mark.toolchain
def test_sweep_in_process_writes_one_file_per_variant_reusing_the_loaded_plan(program, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = ndg.sweep(program, [{}] * 3, ["out/box-{index:02d}.bin"])
    expected = np.array([0, 1, *box_item(2), 1, 1], "<i4").tobytes()
    assert [json.loads(files)[0]["path"] for files in table["files"].to_pylist()] == \
        ["out/box-00.bin", "out/box-01.bin", "out/box-02.bin"]
    assert all((tmp_path / "out" / f"box-0{i}.bin").read_bytes() == expected for i in range(3))
    assert table["worker"].to_pylist() == ["local"] * 3 and table["error"].to_pylist() == [None] * 3


@pytest.mark.toolchain
@pytest.mark.parametrize("pattern, message", [
    ("box.glb", "every variant would write to the same file"),
    ("box-{seed}.glb", "uses {seed}, which variant 0 does not give"),
    ("box-{index}.xyz", "unknown format `.xyz`"),
])
def test_sweep_patterns_that_cannot_name_each_variant_are_refused_before_running(program, tmp_path, pattern, message):
    with pytest.raises(ndg.UserError, match=message):
        ndg.sweep(program, [{}, {}], [tmp_path / pattern])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.toolchain
def test_run_json_summary_reports_nodes_memory_counts_files_and_timings(tmp_path):
    glb = tmp_path / "basics.glb"
    cli = CliRunner().invoke(main, ["run", str(EXAMPLES / "basics.ndg"), "--json", "-o", str(glb)])
    assert cli.exit_code == 0, cli.output
    summary = json.loads(cli.stdout)
    assert summary["nodes"] == 8
    assert summary["memory_bytes"] == summary["memory_pages"] * 65536
    assert summary["result"]["triangles"] == 12 and summary["result"]["words"] == 95
    assert summary["written"] == [{"path": str(glb), "notes": []}]
    assert {"check", "build", "plan", "load", "run", "write"} <= set(summary["timings"])


@pytest.mark.toolchain
def test_compile_json_summary_names_the_plan_and_module(tmp_path):
    plan = tmp_path / "basics.ndp"
    cli = CliRunner().invoke(main, ["compile", str(EXAMPLES / "basics.ndg"), "-o", str(plan), "--json"])
    assert cli.exit_code == 0, cli.output
    summary = json.loads(cli.stdout)
    assert summary["plan"] == str(plan) and plan.exists()
    assert summary["nodes"] == 8 and len(summary["module"]["sha256"]) == 64


@pytest.mark.toolchain
def test_quiet_prints_nothing_and_still_writes(tmp_path):
    cli = CliRunner().invoke(main, ["run", str(EXAMPLES / "basics.ndg"), "-q", "-o", str(tmp_path / "b.bin")])
    assert cli.exit_code == 0 and cli.output == ""
    assert (tmp_path / "b.bin").stat().st_size == 95 * 4


def test_nodes_lists_the_library_with_inputs_defaults_and_output():
    cli = CliRunner().invoke(main, ["nodes"], env={"COLUMNS": "200"})
    assert cli.exit_code == 0, cli.output
    box_line = next(line for line in cli.output.splitlines() if "max/plantarium/box" in line)
    assert "size: float = 2" in box_line and box_line.rstrip().endswith("geometry")
    assert "op_type: select = 0 (add)  [add, subtract, multiply, divide]" in cli.output


def test_nodes_json_lists_every_definition():
    cli = CliRunner().invoke(main, ["nodes", "--json"])
    ids = [node["id"] for node in json.loads(cli.stdout)["nodes"]]
    assert "max/plantarium/box" in ids and ids == sorted(ids)


def test_nodes_show_details_one_node():
    from ndg.compiler.definitions import NodeLibrary

    definition = NodeLibrary.load().by_id("max/plantarium/output")
    cli = CliRunner().invoke(main, ["nodes", "show", "output"], env={"COLUMNS": "200"})
    assert cli.exit_code == 0, cli.output
    assert "max/plantarium/output  →  result" in cli.output and definition.size in cli.output
    input_line = next(line for line in cli.output.splitlines() if line.split()[:2] == ["input", "path"])
    assert input_line.split()[2] == "geometry"  # what the input also accepts
    shown = json.loads(CliRunner().invoke(main, ["nodes", "show", "max/plantarium/output", "--json"]).stdout)
    assert shown["size"] == definition.size and shown["output"] == "result"
    assert [i["name"] for i in shown["inputs"]] == [i.name for i in definition.inputs]


def test_nodes_show_suggests_a_close_name():
    cli = CliRunner().invoke(main, ["nodes", "show", "bxo"])
    assert cli.exit_code == 2
    assert "there is no node `bxo`" in cli.output and "did you mean `box`?" in cli.output


def test_a_result_with_nothing_to_draw_falls_back_to_its_repr_in_notebooks():
    from shapes_words import path_item, result

    nothing = ndg.Result(result(), "empty.ndg")
    assert nothing._repr_png_() is None
    only_a_line = ndg.Result(result(path_item([[0, 0, 0, 1], [0, 1, 0, 1]])), "line.ndg")
    assert only_a_line._repr_png_().startswith(b"\x89PNG")  # paths are drawn as lines
    assert "1 path item (2 points)" in repr(only_a_line)


@pytest.mark.toolchain
def test_parameters_have_types_defaults_and_ranges_and_each_run_starts_from_the_defaults():
    import ndg
    from ndg.program import Parameter

    program = ndg.compile_string("param s: float = 2 in 1..4\nparam on: boolean = true\n"
                                 "output(input: box(size: s))\n")
    assert program.parameters == {"s": Parameter("s", "float", 2.0, 1, 4), "on": Parameter("on", "boolean", True, None, None)}
    default = program.run().words.tobytes()
    assert program.run(s=3).words.tobytes() != default
    assert program.run().words.tobytes() == default  # not 3 from the run before

"""Hostile files give a user error, never a traceback or a hang: malformed definitions, imports
of odd ids and deep JSON, plans that name a FIFO or a device as their module."""

import dataclasses
import json
import os
import re
import threading

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from ndg.cli import main
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import compile_text, read_source
from ndg.compiler.nodarium.interchange import import_graph
from ndg.compiler.syntax import parse
from ndg.errors import UserError
from ndg.runtime.plan import Module, save_plan

BASE = {"id": "test/odd/c", "outputs": ["float"], "inputs": {"x": {"type": "float", "value": 1, "min": 0, "max": 5}}}


def _invoke(*args):
    done = CliRunner().invoke(main, [str(a) for a in args])
    assert done.exit_code in (0, 2), (done.output, done.exception)
    return done


def _node_folder(root, definition: dict, name: str = "c"):
    (root / name / "src").mkdir(parents=True)
    (root / name / "definition.json").write_text(json.dumps(definition))
    (root / name / "src" / "lib.rs").write_text("pub fn execute(x: f32) -> f32 { x }")
    return root


@pytest.mark.parametrize(("change", "message"), [
    ({"inputs": [1]}, "`inputs` must be an object"),
    ({"outputs": "float"}, "`outputs` must list at most one type"),
    ({"size": 3, "outputs": ["path"]}, "must declare its `size` rule"),
    ({"size": ["x"]}, "`size` must be a string"),
    ({"compat_size": 4}, "`compat_size` must be a string (a size rule), beside a `size` rule"),
    ({"inputs": {"x": {"type": "float", "min": "0"}}}, "the `min` of input `x` must be a finite number, not '0'"),
    ({"inputs": {"x": {"type": "select", "options": "ab"}}}, "the `options` of input `x` must be a list of strings"),
    ({"inputs": {"x": {"type": "float", "value": "s"}}}, "the `value` of input `x` is not a float: 's'"),
    ({"inputs": {"x": {"type": "float", "value": 1e300}}}, "the `value` of input `x` is not a float"),
    ({"inputs": {"x": {"type": "integer", "value": 1.5}}}, "the `value` of input `x` is not a integer"),
])
def test_a_malformed_definition_field_is_a_user_error(tmp_path, change, message):
    nodes = _node_folder(tmp_path / "nodes", {**BASE, **change})
    (tmp_path / "g.ndg").write_text("v = c()\noutput(input: box(size: 1))\n")
    done = _invoke("check", tmp_path / "g.ndg", "--nodes", nodes)
    assert done.exit_code == 2 and message in done.output


@pytest.mark.parametrize("input_def, shown", [
    ({"type": "float", "value": 1, "options": ["a", "b"]}, "1"),  # options mean something to a select only
    ({"type": "select", "value": 1, "options": ["a", "b"]}, "1 (b)"),
])
def test_nodes_show_gives_the_default_of_an_input_with_options(tmp_path, input_def, shown):
    nodes = _node_folder(tmp_path / "nodes", {**BASE, "inputs": {"x": input_def}})
    done = _invoke("nodes", "show", "c", "--nodes", nodes)
    assert done.exit_code == 0
    assert re.search(rf"^\s*x\s+{input_def['type']}\s+{re.escape(shown)}\s", done.output, re.MULTILINE), done.output


def _graph_of(node_type: str) -> dict:
    return {"nodes": [{"id": 0, "type": "max/plantarium/output"}, {"id": 1, "type": node_type},
                      {"id": 2, "type": "max/plantarium/box"}],
            "edges": [[2, 0, 0, "input"], [1, 0, 2, "size"]]}


def test_import_writes_a_dashed_id_in_full_and_the_result_parses(tmp_path):
    nodes = _node_folder(tmp_path / "nodes", {**BASE, "id": "test/odd/da-sh"}, "da-sh")
    text = import_graph(_graph_of("test/odd/da-sh"), NodeLibrary.load((nodes,))).text
    assert "= test/odd/da-sh()" in text
    parse(text, "g.ndg")


@pytest.mark.parametrize("odd", ["9lives", "ünï"])
def test_import_refuses_an_id_a_ndg_file_cannot_name(tmp_path, odd):
    nodes = _node_folder(tmp_path / "nodes", {**BASE, "id": f"test/odd/{odd}"}, "n")
    (tmp_path / "g.json").write_text(json.dumps(_graph_of(f"test/odd/{odd}")))
    done = _invoke("import", tmp_path / "g.json", "-o", tmp_path / "g.ndg", "--nodes", nodes)
    assert done.exit_code == 2
    assert f"node 1 has type `test/odd/{odd}`, which a .ndg file cannot name" in done.output
    assert not (tmp_path / "g.ndg").exists()


def test_import_names_many_nodes_of_one_type_in_order(tmp_path):
    library = NodeLibrary.load()
    data = {"nodes": [{"id": 0, "type": "max/plantarium/output"}, {"id": 1, "type": "max/plantarium/box"}],
            "edges": [[1, 0, 0, "input"]]}
    for index in range(300):
        data["nodes"].append({"id": index + 2, "type": "max/plantarium/math"})
        data["edges"].append([index + 2, 0, index + 1, "a" if index else "size"])
    text = import_graph(data, library).text
    names = [line.split(" = ")[0] for line in text.splitlines() if "math(" in line]
    assert len(names) == 300 and set(names) == {"math"} | {f"math_{n}" for n in range(2, 301)}


def test_deep_json_in_an_import_is_a_user_error(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    done = _invoke("import", tmp_path / "deep.json", "-o", tmp_path / "deep.ndg")
    assert done.exit_code == 2 and "nests JSON deeper than" in done.output


@pytest.fixture(scope="module")
def basics():
    compiled = compile_text(read_source(EXAMPLES / "basics.ndg"), "basics.ndg")
    return compiled.plan, compiled.module.wasm


def test_deep_json_in_a_plan_header_is_a_user_error(tmp_path):
    import hashlib
    import struct

    from ndg.runtime.abi import MAGIC, PLAN_VERSION
    header = b"[" * 100_000 + b"]" * 100_000
    (tmp_path / "deep.ndp").write_bytes(MAGIC + struct.pack("<II", PLAN_VERSION, len(header))
                                        + hashlib.sha256(header).digest() + header)
    done = _invoke("run", tmp_path / "deep.ndp")
    assert done.exit_code == 2 and "its header nests JSON deeper than a plan ever does" in done.output


def _plan_naming(tmp_path, basics, module_path: str):
    plan = basics[0]
    named = dataclasses.replace(plan, module=Module(plan.module.sha256, plan.module.size, module_path))
    save_plan(tmp_path / "p.ndp", named, None)
    return tmp_path / "p.ndp"


@pytest.mark.toolchain
def test_a_plan_naming_dev_zero_as_its_module_is_refused(tmp_path, basics):
    done = _invoke("run", _plan_naming(tmp_path, basics, "/dev/zero"))
    assert done.exit_code == 2 and "cannot read the plan's module /dev/zero: not a regular file" in done.output


@pytest.mark.toolchain
def test_a_plan_naming_a_fifo_as_its_module_is_refused_without_waiting(tmp_path, basics):
    os.mkfifo(tmp_path / "module.wasm")
    plan = _plan_naming(tmp_path, basics, "module.wasm")
    result = {}
    worker = threading.Thread(target=lambda: result.update(done=_invoke("run", plan)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(tmp_path / "module.wasm", "wb"):
            pass
        pytest.fail("reading the plan's module waited on a FIFO")
    assert result["done"].exit_code == 2 and "not a regular file" in result["done"].output


def test_nodes_new_refuses_a_5000_character_name(tmp_path):
    done = _invoke("nodes", "new", "me/x/" + "a" * 5000, "--dir", tmp_path)
    assert done.exit_code == 2 and "has a part longer than 64 characters" in done.output


@pytest.mark.parametrize("folder", ["/proc/ndg-nodes", "file/sub"])
def test_nodes_new_into_an_unwritable_place_is_a_user_error(tmp_path, folder):
    (tmp_path / "file").write_text("")
    done = _invoke("nodes", "new", "me/x/sprout", "--dir", folder if folder.startswith("/") else tmp_path / folder)
    assert done.exit_code == 2 and "cannot create the node folder in" in done.output


@pytest.mark.toolchain
@pytest.mark.parametrize("output", ["huge.glb", "huge.stl", "huge.png"])
def test_coordinates_near_float_max_are_refused_when_written(tmp_path, output):
    (tmp_path / "huge.ndg").write_text("output(input: box(size: 3.4e38))\n")
    option = "--png" if output.endswith(".png") else "-o"
    done = _invoke("run", tmp_path / "huge.ndg", "-q", option, tmp_path / output)
    assert done.exit_code == 2
    assert "cannot be written as a mesh or drawn: a vertex position is 3.4e+38 from the origin" in done.output
    assert not (tmp_path / output).exists()
    assert _invoke("run", tmp_path / "huge.ndg", "-q", "-o", tmp_path / "huge.bin").exit_code == 0


def test_modulo_of_a_node_value_is_a_user_error_not_a_crash(tmp_path):
    (tmp_path / "g.ndg").write_text("a = float(value: 1)\nb = a % 2\noutput(input: box(size: b))\n")
    done = _invoke("check", tmp_path / "g.ndg")
    assert done.exit_code == 2 and "`%` works on integers, and this operand is not one" in done.output


def test_import_refuses_more_nodes_than_a_ndg_file_holds(monkeypatch):
    from ndg.compiler.nodarium import interchange
    monkeypatch.setattr(interchange, "MAX_IMPORT_NODES", 2)
    with pytest.raises(UserError, match=r"has 3 nodes, more than the 2 a \.ndg file can hold"):
        import_graph(_graph_of("max/plantarium/float"), NodeLibrary.load())


@pytest.mark.toolchain
def test_a_plan_with_more_steps_than_the_limit_is_refused_before_validation(basics, monkeypatch):
    from ndg.runtime import validate
    monkeypatch.setattr(validate, "MAX_STEPS", 2)
    with pytest.raises(UserError, match="more than 2 steps"):
        validate.validate_plan(basics[0])

"""The run summary prints something readable for every value: every type, empty or short values,
values that rich would take for markup (`[nan, inf, 1]`), and names a crafted plan gives (in
`plan show` too)."""

import dataclasses
import re

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import f32_bits

from ndg.cli import main
from ndg.compiler.driver import compile_text
from ndg.runtime.abi import ValueType
from ndg.runtime.decode import describe_value
from ndg.runtime.plan import save_plan


def _words(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64).astype("<i4")


NAN, INF = 0x7FC00000, f32_bits(float("inf"))


@pytest.mark.parametrize("type_, words, expected", [
    ("float", _words(f32_bits(1.5)), "1.5"),
    ("float", _words(NAN), "nan"),
    ("vec3", _words(NAN, INF, f32_bits(1.0)), "[nan, inf, 1]"),
    ("boolean", _words(1), "true"),
    ("integer", _words(-3), "-3"),
    ("select", _words(2), "2"),
    ("seed", _words(7), "7"),
    ("path", _words(0, 1, 1, 1), "no items in 4 words"),
    ("geometry", _words(0, 1, 1, 1), "no items in 4 words"),
    ("instances", _words(0, 1, 1, 1), "no items in 4 words"),
    ("result", _words(0, 1, 1, 1), "no items in 4 words"),
    ("path", _words(5), "1 word, not a valid item list (expected an item's opening bracket [0, n] (word 0))"),
    ("expression", _words(1, 2, 3), "a per-use expression of 3 words"),
])
def test_every_value_type_is_described(type_, words, expected):
    assert describe_value(type_, words) == expected


@pytest.mark.parametrize("type_", list(ValueType))
def test_an_empty_value_of_every_type_is_described(type_):
    described = describe_value(type_, _words())
    assert described == {"expression": "a per-use expression of 0 words"}.get(
        type_, "(not written)" if type_ in ("float", "vec3", "boolean", "integer", "select", "seed") else "no words")


def _run(path) -> str:
    done = CliRunner().invoke(main, ["run", str(path)])
    assert done.exit_code == 0, done.output
    return done.output


def _row(output: str, node: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.split()[:1] == [node])
    return re.split(r"\s{2,}", line.strip())


@pytest.mark.toolchain
def test_vectors_of_nan_and_inf_are_printed_not_taken_for_markup(tmp_path):
    graph = tmp_path / "g.ndg"
    graph.write_text("z = math(op_type: 3, a: 0, b: 0)\nv = vec3(0: z, 1: z, 2: z)\n"
                     "big = math(op_type: 2, a: 1e38, b: 1e38)\nw = vec3(0: big, 1: 1, 2: 1)\n"
                     "output(input: box(size: 1))\n")
    output = _run(graph)
    assert _row(output, "v") == ["v", "vec3", "[nan, nan, nan]"]
    assert _row(output, "w") == ["w", "vec3", "[inf, 1, 1]"]


def _plan_naming_its_first_node(path, name: str, source: str) -> None:
    """A plan file whose first node has `name` (as a crafted plan may)."""
    compiled = compile_text("half = float(value: 0.5)\noutput(input: box(size: half))\n", source)
    steps = list(compiled.plan.steps)
    steps[0] = dataclasses.replace(steps[0], node=name)
    save_plan(path, dataclasses.replace(compiled.plan, steps=tuple(steps)), compiled.module.wasm)


@pytest.mark.toolchain
@pytest.mark.parametrize("name", ["x[/b]", "[bold]y", "[link=http://x]z"])
def test_names_in_a_plan_are_printed_as_they_are(tmp_path, name):
    _plan_naming_its_first_node(tmp_path / "p.ndp", name, "[b]g.ndg")
    output = _run(tmp_path / "p.ndp")
    assert output.startswith("[b]g.ndg: 3 nodes")
    assert _row(output, name) == [name, "float", "0.5"]
    shown = CliRunner().invoke(main, ["plan", "show", str(tmp_path / "p.ndp")])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("[b]g.ndg: 3 steps")
    assert re.search(rf"^\s*0\s+│\s+{re.escape(name)}\s+│\s+1\s+│\s+float\s", shown.output, re.MULTILINE)


@pytest.mark.toolchain
@pytest.mark.parametrize("name", ["", "a\nb", "tab\there"])
def test_a_plan_naming_a_node_with_nothing_printable_is_refused(tmp_path, name):
    _plan_naming_its_first_node(tmp_path / "p.ndp", name, "g.ndg")
    done = CliRunner().invoke(main, ["run", str(tmp_path / "p.ndp")])
    assert done.exit_code == 2
    assert "the plan is invalid: step 0 has an empty or unprintable name" in done.output

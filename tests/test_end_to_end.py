"""Real graphs compiled to wasm and run on one shared memory, with exact result words."""

import numpy as np
import pytest
from conftest import EXAMPLES, f32_bits, load

from ndg.compiler.driver import compile_text, read_source
from ndg.runtime.engine import Runner

pytestmark = pytest.mark.toolchain

# The box as Nodarium builds it: vertices on the corners, 12 faces, each vertex keeping the
# normal of the last face written to it.
BOX_FACES = [0, 1, 2, 0, 2, 3, 0, 3, 4, 4, 5, 0, 6, 1, 0, 5, 6, 0, 7, 2, 1, 6, 7, 1, 2, 7, 3, 3, 7, 4, 7, 6, 4, 4, 6, 5]
BOX_CORNERS = [(1, -1, -1), (1, -1, 1), (-1, -1, 1), (-1, -1, -1), (-1, 1, -1), (1, 1, -1), (1, 1, 1), (-1, 1, 1)]
# Worked out by hand from the face list: the last face touching each vertex (v0: face 5, v1: 7,
# v2: 8, v3: 9, v4..v6: 11, v7: 10) and that face's outward normal, with Nodarium's signed zeros
# (glam's cross product and normalisation leave -0.0 in v0's z and v7's x, for positive sizes).
BOX_NORMALS = [(1, 0, -0.0), (0, 0, 1), (-1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, 1, 0), (0, 1, 0), (-0.0, 1, 0)]


def box_item(size: float) -> list[int]:
    positions = [f32_bits(c * size) for corner in BOX_CORNERS for c in corner]
    normals = [f32_bits(float(c)) for normal in BOX_NORMALS for c in normal]
    body = [1, 8, 12, *BOX_FACES, *positions, *normals]
    return [0, len(body) + 1, *body, 1, 1]


def test_math_chain_gives_exact_f32_bits(run_ndg):
    runner = run_ndg("""
        a = math(op_type: 2, a: 0.1, b: 3)     # multiply
        b = math(op_type: 3, a: a, b: 7)       # divide
        c = math(op_type: 1, a: b, b: -2.5)    # subtract
        d = math(op_type: 0, a: c, b: c)       # add
        output(input: box(size: d))
    """)
    a = np.float32(0.1) * np.float32(3)
    b = a / np.float32(7)
    c = b - np.float32(-2.5)
    d = c + c
    for name, expected in [("a", a), ("b", b), ("c", c), ("d", d)]:
        assert runner.node_value(name).tolist() == [f32_bits(expected)], name


def test_box_geometry_has_nodariums_layout_and_correct_bracket_count(run_ndg):
    runner = run_ndg("output(input: box(size: 1.5))")
    item = box_item(1.5)
    assert len(item) == 91
    assert item[1] == 88  # L - 3: the count Nodarium's box gets right and create_geometry_data gets wrong
    assert runner.node_value("output.input").tolist() == item
    assert runner.run().tolist() == [0, 1, *item, 1, 1]


def test_basics_example_computes_what_its_comments_say():
    runner = Runner(*_compiled_example("basics.ndg"))
    result = runner.run()
    assert runner.node_value("scale").tolist() == [f32_bits(1.5)]
    assert runner.node_value("size").tolist() == [f32_bits(1.75)]
    assert runner.node_value("up").tolist() == [0, f32_bits(1.0), 0]
    assert runner.node_value("detail").tolist() == [3]
    assert runner.node_value("visible").tolist() == [1]
    assert result.tolist() == [0, 1, *box_item(1.75), 1, 1]


def _compiled_example(name):
    compiled = compile_text(read_source(EXAMPLES / name), name)
    return compiled.plan, compiled.module.wasm


def test_fused_and_stepped_replay_give_identical_bytes():
    plan, module = _compiled_example("basics.ndg")
    fused, stepped = Runner(plan, module), Runner(plan, module)
    fused_result = fused.run().tobytes()
    stepped_result = stepped.run(stepped=True).tobytes()
    assert fused_result == stepped_result
    for step in plan.steps:
        assert fused.value(step.output).tobytes() == stepped.value(step.output).tobytes()


def test_a_plan_runs_again_with_the_same_result():
    runner = load("output(input: box(size: 2))")
    first = runner.run().tobytes()
    assert all(runner.run().tobytes() == first for _ in range(5))


def test_defaults_come_from_the_definitions(run_ndg):
    runner = run_ndg("""
        m = math()                 # op add, a 2, b 2
        f = float()                # 0.1
        output(input: box())       # size 2
    """)
    assert runner.node_value("m").tolist() == [f32_bits(4.0)]
    assert runner.node_value("f").tolist() == [f32_bits(0.1)]
    assert runner.node_value("output.input").tolist() == box_item(2.0)

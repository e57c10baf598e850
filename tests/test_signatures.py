"""A node's `execute` must take its definition's inputs by name, in order, with their types:
anything else is refused before rustc runs, pointing at the node's own lib.rs."""

from __future__ import annotations

import json
import shutil

import pytest

from ndg.compiler.definitions import NodeLibrary, builtin_node_dir, load_definition
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import compile_text
from ndg.compiler.signatures import check_signature, read_signature, signature_problems, snake_case

BRANCH = builtin_node_dir() / "max" / "plantarium" / "branch"
GRAPH = """
stems = stem(amount: 2, length: 3)
output(input: branch(plant: stems, amount: 4))
"""


def copied_branch(root, edit_inputs=None, edit_source=None):
    """The branch node copied under `root` as `test/copy/branch`, its definition or source edited."""
    folder = root / "test" / "copy" / "branch"
    shutil.copytree(BRANCH, folder)
    definition = json.loads((folder / "definition.json").read_text())
    definition["id"] = "test/copy/branch"
    if edit_inputs:
        definition["inputs"] = edit_inputs(definition["inputs"])
    (folder / "definition.json").write_text(json.dumps(definition))
    if edit_source:
        (folder / "src" / "lib.rs").write_text(edit_source((folder / "src" / "lib.rs").read_text()))
    return folder


def swapped(inputs: dict) -> dict:
    names = list(inputs)
    low, high = names.index("lowestBranch"), names.index("highestBranch")
    names[low], names[high] = names[high], names[low]
    return {name: inputs[name] for name in names}


def test_every_builtin_node_takes_its_definitions_inputs():
    for node in NodeLibrary.load().nodes:
        check_signature(node)


def test_swapping_two_same_typed_inputs_in_a_copied_definition_is_refused_at_the_nodes_source(tmp_path):
    folder = copied_branch(tmp_path, edit_inputs=swapped)
    with pytest.raises(SourceErrors) as caught:
        compile_text(GRAPH.replace("branch(", "test/copy/branch("), "swap.ndg", (tmp_path,))
    errors = caught.value
    assert errors.source.name == str(folder / "src" / "lib.rs")
    assert [d.code for d in errors.diagnostics] == ["E502", "E502"]
    rendered = errors.render()
    lines = (folder / "src" / "lib.rs").read_text().split("\n")
    line = lines.index("    lowest_branch: f32,") + 1
    assert f"--> {folder / 'src' / 'lib.rs'}:{line}:5" in rendered
    assert f"{line} |     lowest_branch: f32," in rendered
    assert "^^^^^^^^^^^^^^^^^^" in rendered
    assert ("parameter 5 of `execute` is `lowest_branch`, but the wrapper passes input `highestBranch` (float) "
            "there: `lowest_branch` is input `lowestBranch` (float), which the definition lists at position 6") in rendered
    assert "offset_single: f32, highest_branch: f32, lowest_branch: f32, depth: i32" in rendered


def test_a_wrong_type_a_missing_input_and_a_wrong_return_are_each_named(tmp_path):
    def retyped(inputs):
        return {**inputs, "depth": {**inputs["depth"], "type": "float"}}
    folder = copied_branch(tmp_path / "a", edit_inputs=retyped)
    node = load_definition(folder / "definition.json")
    with pytest.raises(SourceErrors) as caught:
        check_signature(node)
    assert [d.code for d in caught.value.diagnostics] == ["E503"]
    assert "parameter `depth` is `i32`, but input `depth` (float) is passed as `f32`" in caught.value.render()

    folder = copied_branch(tmp_path / "b", edit_inputs=lambda inputs: {k: v for k, v in inputs.items() if k != "rotation"})
    with pytest.raises(SourceErrors) as caught:
        check_signature(load_definition(folder / "definition.json"))
    messages = [d.message for d in caught.value.diagnostics]
    assert "`execute` takes 11 parameters, but test/copy/branch's definition.json gives it 10" in messages

    math = load_definition(builtin_node_dir() / "max" / "plantarium" / "math" / "definition.json")
    signature = read_signature("pub fn execute(op_type: i32, a: f32, b: f32) -> i32 { 0 }")
    assert [d.message for d in signature_problems(math, signature)] == [
        "`execute` returns `i32`, but the node outputs float, which is written from `f32`"]


def test_signatures_are_read_past_comments_lifetimes_and_nested_functions():
    text = """
mod helpers { pub fn execute(x: i32) {} }
/// The node.
pub fn execute(
    plant: ndg_util::Items<'_>, // the plant, with a comment: (a, b)
    /* a block comment */ _spare: [ f32 ; 3 ],
    mut out: &mut Writer,
) -> NodeResult {
    Ok(())
}
"""
    signature = read_signature(text)
    assert [(p.name, p.type, p.span.line, p.span.col) for p in signature.parameters] == [
        ("plant", "Items", 5, 5), ("_spare", "[f32; 3]", 6, 27), ("out", "&mut Writer", 7, 5)]
    assert signature.returns == "NodeResult"
    assert [snake_case(n) for n in ("lowestBranch", "offsetSingle", "resolution_curve", "0")] == [
        "lowest_branch", "offset_single", "resolution_curve", "0"]

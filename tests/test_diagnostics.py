"""Mistakes in .ndg files: one clear message each, with file:line:col, the line and a caret; exit 2."""

import pytest
from click.testing import CliRunner

from ndg.cli import main

CASES = {
    "syntax": ("a = math(a: 1\noutput(input: box())\n", "E001", "1:9", "a = math(a: 1", "        ^"),
    "unknown node type": ("a = stme(amount: 3)\noutput(input: box())\n", "E101", "1:5", "a = stme(amount: 3)", "    ^^^^"),
    "unknown argument": ("output(input: box(sise: 2))\n", "E103", "1:19", "output(input: box(sise: 2))", "                  ^^^^"),
    "wrong value type": ("output(input: box(size: true))\n", "E201", "1:25", "output(input: box(size: true))",
                         "                        ^^^^"),
    "cycle": ("a = math(a: b)\nb = math(a: a)\noutput(input: box(size: a))\n", "E301", "1:5", "a = math(a: b)", "    ^^^^^^^^^^"),
}


@pytest.mark.parametrize("case", CASES)
def test_mistake_gives_one_located_message_and_exit_2(tmp_path, case):
    text, code, position, line, caret = CASES[case]
    source = tmp_path / "bad.ndg"
    source.write_text(text)
    for command in (["check"], ["compile"], ["run"]):
        result = CliRunner().invoke(main, [*command, str(source)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert result.output.count(f"error[{code}]") == 1
        assert f"{source}:{position}" in result.output
        lines = result.output.splitlines()
        at = next(i for i, text_line in enumerate(lines) if text_line.endswith(f"| {line}"))
        assert lines[at + 1].split("| ", 1)[1] == caret
        assert "hint:" in result.output


def test_hints_suggest_the_closest_names(tmp_path):
    source = tmp_path / "typos.ndg"
    source.write_text("a = mth(a: 1)\nb = math(bb: 2)\noutput(input: box(size: bb))\nbb = float()\nc = math(a: aa)\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert "did you mean `math`?" in result.output
    assert "did you mean `b`?" in result.output  # input bb of math
    assert "did you mean `a`?" in result.output  # unbound name aa


def test_all_independent_errors_are_reported_together(tmp_path):
    source = tmp_path / "many.ndg"
    source.write_text("a = bxo()\nb = math(q: 1)\nc = box(size: [1, 2, 3])\noutput(input: box())\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert result.exit_code == 2
    assert [code for code in ("E101", "E103", "E201") if f"error[{code}]" in result.output] == ["E101", "E103", "E201"]


def test_range_from_the_definition_is_enforced(tmp_path):
    source = tmp_path / "range.ndg"
    source.write_text("m = math(op_type: 7)\noutput(input: box())\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert "error[E203]" in result.output and "2 (multiply)" in result.output


def test_missing_file_is_a_user_error(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope.ndg")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_a_graph_needs_exactly_one_output(tmp_path):
    source = tmp_path / "none.ndg"
    source.write_text("a = box()\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert result.exit_code == 2 and "error[E302]" in result.output


def test_language_mistakes_are_reported_together_each_with_its_hint(tmp_path):
    source = tmp_path / "plant.ndg"
    source.write_text("use max/plantarum\n"
                      "param length: float = 12 in 0..10\n"
                      "param count: integr = 3\n"
                      "a = math(op_type: multiplly, a: length * 2)\n"
                      "b = math(op_type: add, a: lenght + 1)\n"
                      "output(input: box(size: 1e39))\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert result.exit_code == 2
    expected = [
        ("E111", "1:1", "did you mean `max/plantarium`?"),
        ("E203", "2:23", "choose a default from 0 to 10"),
        ("E112", "3:14", "did you mean `integer`?"),
        ("E108", "4:19", "did you mean `multiply`?"),
        ("E102", "5:27", "bind a node to that name first"),
        ("E203", "6:25", "fits a 32-bit float"),
    ]
    blocks = result.output.split("\n\n")
    for (code, position, hint), block in zip(expected, blocks):
        assert f"error[{code}]" in block and f"{source}:{position}" in block and hint in block
    # `length` was declared wrongly: its use on line 4 is not reported a second time.
    assert result.output.count("error[") == len(expected)


def test_a_cycle_is_written_out_node_by_node(tmp_path):
    source = tmp_path / "loop.ndg"
    source.write_text("a = math(a: c)\nb = math(a: a)\nc = math(a: b)\noutput(input: box(size: a))\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert "these nodes feed each other in a cycle: a → b → c → a" in result.output


def test_syntax_errors_in_separate_statements_are_all_reported(tmp_path):
    source = tmp_path / "typos.ndg"
    source.write_text("a = math(a: 1\noutput(input: box())\nb = math(a: 2 3)\nsettings {\n    x: 1 2,\n}\n"
                      "c = box(size: @)\nd = box()\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert result.exit_code == 2
    found = [line.split("--> ")[1] for line in result.output.splitlines() if "--> " in line]
    assert found == [f"{source}:1:9", f"{source}:3:15", f"{source}:5:10", f"{source}:7:15"]
    assert "this `(` is never closed" in result.output
    assert "expected `)` or `,`" in result.output and "expected `,` or `}`" in result.output


def test_source_errors_show_their_diagnostics_in_python_and_notebooks():
    from ndg.compiler.diagnostics import SourceErrors
    from ndg.compiler.syntax import parse

    with pytest.raises(SourceErrors) as caught:
        parse("a = math(a: 1\n", "plant.ndg")
    errors = caught.value
    expected = ("error[E001]: this `(` is never closed\n --> plant.ndg:1:9\n  |\n1 | a = math(a: 1\n  |         ^\n"
                "  = hint: add `)` where it ends")
    assert str(errors) == expected
    assert errors.hint == "add `)` where it ends"
    html = errors._repr_html_()
    assert html.startswith("<pre>") and "plant.ndg:1:9" in html and "never closed" in html
    printed = []

    class Printer:
        def text(self, text):
            printed.append(text)

    errors._repr_pretty_(Printer(), False)
    assert printed == [expected]


def check_output(tmp_path, text: str, *options) -> str:
    source = tmp_path / "graph.ndg"
    source.write_text(text)
    result = CliRunner().invoke(main, ["check", *options, str(source)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    return result.output


def test_a_wrong_argument_is_reported_once_not_again_as_a_missing_input(tmp_path):
    output = check_output(tmp_path, "output(input: bxo(size: 1))\n")
    assert output.count("error[") == 1 and "error[E101]: unknown node type `bxo`" in output


def test_a_bare_node_type_suggests_calling_it(tmp_path):
    output = check_output(tmp_path, "output(input: box)\n")
    assert "error[E102]: no node is named `box`" in output
    assert "= hint: `box` is a node type; to make one, call it: `box()`" in output


def test_messages_show_values_as_written(tmp_path):
    output = check_output(tmp_path, "a = branch(plant: stem(), length: 20)\noutput(input: a)\n")
    assert "error[E203]: 20 is out of range for `length`" in output
    output = check_output(tmp_path, "param n: integer = 1 in 0.5..2\noutput(input: box())\n")
    assert "error[E112]: the range of an integer parameter takes whole numbers" in output
    output = check_output(tmp_path, "param n: integer = 3\noutput(input: box(size: 2))\nm = math(a: n)\n")
    assert "use a float parameter here" in output


def test_check_json_lists_every_diagnostic(tmp_path):
    import json

    output = check_output(tmp_path, "a = stme(amount: 3)\noutput(input: box(sise: 2))\n", "--json")
    report = json.loads(output)
    assert report["ok"] is False and report["errors"] == 2
    [file] = report["files"]
    assert [(d["code"], d["line"], d["col"], d["end_col"]) for d in file["diagnostics"]] == [("E101", 1, 5, 9), ("E103", 2, 19, 23)]
    assert file["diagnostics"][0]["hint"] == "did you mean `stem`?"
    (tmp_path / "graph.ndg").write_text("output(input: box())\n")
    result = CliRunner().invoke(main, ["check", "--json", str(tmp_path / "graph.ndg")])
    assert result.exit_code == 0 and json.loads(result.output)["ok"] is True


def test_a_folder_means_the_graphs_in_it(tmp_path):
    (tmp_path / "a.ndg").write_text("output(input: box())\n")
    (tmp_path / "b.ndg").write_text("output(input: box(size: 3))\n")
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 0 and result.output == "2 file(s) OK\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["check", str(empty)])
    assert result.exit_code == 2 and f"{empty} is a folder with no .ndg files in it" in result.output


@pytest.mark.parametrize(("name", "data", "command", "expected"), [
    ("plant.glb", b"glTF\x02\x00\x00\x00", "run", "plant.glb is a glTF mesh (binary), not a plan"),
    ("picture.png", b"\x89PNG\r\n\x1a\n....", "run", "picture.png is a PNG picture, not a plan"),
    ("plant.glb", b"glTF\x02\x00\x00\x00", "check", "plant.glb is a glTF mesh (binary), not a graph (.ndg)"),
    ("graph.json", b"{}", "check", "graph.json is a JSON file, not a graph (.ndg)"),
])
def test_a_file_of_the_wrong_kind_is_named(tmp_path, name, data, command, expected):
    (tmp_path / name).write_bytes(data)
    result = CliRunner().invoke(main, [command, str(tmp_path / name)])
    assert result.exit_code == 2 and expected in result.output.replace(f"{tmp_path}/", "")


def test_colour_on_request_and_never_with_no_color(tmp_path, monkeypatch):
    (tmp_path / "g.ndg").write_text("output(input: bxo())\n")
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "g.ndg")], color=True)
    assert "\x1b[1;31merror[E101]\x1b[0m" in result.output
    monkeypatch.setenv("NO_COLOR", "1")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "g.ndg")], color=True)
    assert "\x1b[" not in result.output and "error[E101]" in result.output


def test_piped_tables_are_not_wrapped(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    lines = CliRunner().invoke(main, ["nodes"]).output.splitlines()
    assert any(line.split() == ["max/plantarium/branch", "plant:", "path", "path"] for line in lines)
    assert max(len(line.rstrip()) for line in lines) > 80


def test_an_input_with_no_sensible_default_must_be_given(tmp_path):
    output = check_output(tmp_path, "leaves = instance(plant: stem(), geometry: box())\noutput(input: leaves)\n")
    assert "error[E202]: `instance` needs a value for `amount`" in output
    assert "= hint: give it one: `amount: …` (integer, from 0 to ∞); it has no default" in output


def test_nodes_lists_the_value_an_input_gets_when_left_out():
    lines = [" ".join(line.split()) for line in CliRunner().invoke(main, ["nodes"]).output.splitlines()]
    assert "scale: float = 0.5 [0.1..10]" in lines  # not "(needs a value)": it runs with 0.5
    assert "amount: integer = (needs a value) [0..]" in lines


def test_every_node_and_input_has_a_description():
    from ndg.compiler.definitions import NodeLibrary

    library = NodeLibrary.load()
    assert len(library.nodes) == 17
    assert all(node.description and all(i.description for i in node.inputs) for node in library.nodes)
    shown = CliRunner().invoke(main, ["nodes", "show", "gravity"]).output
    assert "Bends paths downwards, as their weight would." in shown
    assert "How far the paths bend (0: not at all, 1: the most)." in shown


def test_an_ambiguous_node_is_reported_once_not_again_as_a_missing_input(tmp_path):
    import json

    folder = tmp_path / "nodes" / "box"
    folder.mkdir(parents=True)
    (folder / "definition.json").write_text(json.dumps({"id": "test/extra/box", "outputs": ["geometry"], "size": "4",
                                                        "inputs": {"size": {"type": "float", "value": 1}}}))
    output = check_output(tmp_path, "output(input: box(size: 1))\n", "--nodes", str(tmp_path / "nodes"))
    assert output.count("error[") == 1 and "error[E107]: `box` could mean `max/plantarium/box`, `test/extra/box`" in output

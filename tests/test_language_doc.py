"""Every example in docs/language.md is run, checked or refused as the page says, and is fmt-clean."""

import json
import re

import pytest
from conftest import ROOT, load

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check
from ndg.compiler.formatter import format_program
from ndg.compiler.syntax import parse

PAGE = (ROOT / "docs" / "language.md").read_text()
BLOCKS = re.findall(r"```(ndg|ndg-check|ndg-error)\n(.*?)```", PAGE, re.S)

# Nodarium-format stand-ins for plant nodes the built-in set does not have yet.
PLANT_NODES = {
    "random": {"outputs": ["float"], "inputs": {"min": {"type": "float", "value": 2},
                                                 "max": {"type": "float", "value": 2}, "seed": {"type": "seed"}}},
    "stem": {"outputs": ["path"], "size": "4", "inputs": {
        "amount": {"type": "integer", "value": 1, "min": 1, "max": 64},
        "length": {"type": "float", "value": 5},
        "resolution_curve": {"type": "integer", "value": 32, "min": 3, "max": 64, "setting": "resolution.curve"}}},
}


@pytest.fixture(scope="module")
def plant_library(tmp_path_factory):
    root = tmp_path_factory.mktemp("plant")
    for name, definition in PLANT_NODES.items():
        if not NodeLibrary.load().matching(name):
            (root / name).mkdir()
            (root / name / "definition.json").write_text(json.dumps({"id": f"max/plantarium/{name}", **definition}))
    return NodeLibrary.load((root,))


def test_the_page_has_examples_of_every_kind():
    assert {kind for kind, _ in BLOCKS} == {"ndg", "ndg-check", "ndg-error"}


@pytest.mark.toolchain
@pytest.mark.parametrize("kind, text", BLOCKS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(BLOCKS)])
def test_example(kind, text, plant_library):
    assert format_program(parse(text)) == text
    if kind == "ndg":
        load(text, "example.ndg").run()
    elif kind == "ndg-check":
        check(text, "example.ndg", plant_library)
    else:
        code = re.match(r"# error: (E\d+)\n", text).group(1)
        with pytest.raises(SourceErrors) as caught:
            check(text, "example.ndg", plant_library)
        assert code in {d.code for d in caught.value.diagnostics}

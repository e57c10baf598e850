"""The README's examples work as written."""

import re

import pytest
from conftest import ROOT


@pytest.mark.toolchain
def test_runtime_api_example_in_readme_runs(monkeypatch):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python: the runtime underneath", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(ROOT)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["kept"].tolist()[:2] == [0, 1] and len(namespace["kept"]) == 95


def test_graphs_shown_in_readme_pass_every_check():
    from ndg.compiler.definitions import NodeLibrary
    from ndg.compiler.driver import check
    from ndg.compiler.formatter import format_program
    from ndg.compiler.syntax import parse

    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", readme, re.S | re.M)
    graphs = [text for language, text in blocks if not language and re.match(r"# \w+\.ndg", text)]
    assert len(graphs) >= 2
    library = NodeLibrary.load()
    for graph in graphs:
        check(graph, "README.md", library)
        assert format_program(parse(graph)) == graph  # `ndg fmt --check` passes what the README shows

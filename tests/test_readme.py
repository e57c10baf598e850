"""The README's Python example runs as written."""

import re

from conftest import ROOT


def test_runtime_api_example_in_readme_runs(monkeypatch):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python: the runtime underneath", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(ROOT)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["kept"].tolist()[:2] == [0, 1] and len(namespace["kept"]) == 95

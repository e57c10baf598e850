"""The commands docs/nodes.md shows work as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from ndg.compiler.toolchain import find_toolchain

pytestmark = pytest.mark.toolchain


def shell_blocks(markdown: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", markdown, re.S)


def test_the_worked_example_in_nodes_md_runs(tmp_path):
    example = shell_blocks((ROOT / "docs" / "nodes.md").read_text())[0]
    toolchain = find_toolchain()
    env = toolchain.environment()
    # `ndg` from this interpreter's environment, `cargo` from the toolchain ndg itself uses.
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), str(toolchain.cargo.parent), env["PATH"]))
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", example], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # The stalk and the tube the output node extrudes around it; the summary may wrap.
    assert ("result: 1 path item (4 points), 1 geometry item (128 vertices, 192 faces) in 1377 words "
            "wrote stalk.bin") in " ".join(done.stdout.split())
    assert "test result: ok. 2 passed" in done.stdout
    assert (tmp_path / "stalk.bin").stat().st_size == 1377 * 4

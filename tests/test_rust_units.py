"""The Rust unit tests of the utility crate and the nodes, run natively with cargo."""

import subprocess

import pytest

from ndg.compiler.definitions import builtin_node_dir
from ndg.compiler.toolchain import find_toolchain

pytestmark = pytest.mark.toolchain


def test_cargo_test_passes(tmp_path):
    toolchain = find_toolchain()
    done = subprocess.run([str(toolchain.cargo), "test", "--offline", "--workspace", "--quiet",
                           "--target-dir", str(tmp_path / "target")],
                          cwd=builtin_node_dir(), env=toolchain.environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test result: ok" in done.stdout

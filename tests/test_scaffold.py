"""`ndg nodes new`: the scaffold builds, tests and runs as it is, and a user's edits take effect."""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import f32_bits
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.cli import main
from ndg.compiler.definitions import NODE_PATH_VARIABLE, load_definition
from ndg.compiler.scaffold import render
from ndg.compiler.toolchain import find_toolchain
from ndg.errors import UserError
from ndg.runtime.format import GEOMETRY, PATH, split_items

GRAPH = "output(input: stalk(length: 3, points: 4))\n"


def ndg(*args, env=None):
    return CliRunner().invoke(main, list(map(str, args)), env=env, catch_exceptions=False)


@pytest.fixture
def stalk(tmp_path):
    """A scaffolded node folder `tmp_path/nodes/stalk`, edited as a user would: its points lie
    along x instead of y, and its foot is 0.5 thick instead of 0.1."""
    done = ndg("nodes", "new", "me/garden/stalk", "--dir", tmp_path / "nodes")
    assert done.exit_code == 0, done.output
    source = tmp_path / "nodes" / "stalk" / "src" / "lib.rs"
    text = source.read_text()
    edits = {"const THICKNESS: f32 = 0.1;": "const THICKNESS: f32 = 0.5;",
             "[0.0, along * length, 0.0]": "[along * length, 0.0, 0.0]"}
    for old, new in edits.items():
        assert old in text
        text = text.replace(old, new)
    source.write_text(text)
    return tmp_path / "nodes"


def expected_path() -> list[int]:
    words = [0, 4 * 4 + 3, 0, 1]
    for i in range(4):
        # The node's own f32 arithmetic, step by step.
        along = np.float32(i) / np.float32(3)
        thickness = np.float32(0.5) * (np.float32(1) - along)
        words += [f32_bits(along * np.float32(3)), f32_bits(0.0), f32_bits(0.0), f32_bits(thickness)]
    return words + [1, 1]


def assert_result_is_the_stalk_and_its_tube(path):
    """The output node passes the path through and follows it with its tube (32 vertices a ring)."""
    words = np.fromfile(path, dtype="<i4")
    stalk = expected_path()
    assert words[:2 + len(stalk)].tolist() == [0, 1, *stalk]
    items = split_items(words)
    assert [item.kind for item in items] == [PATH, GEOMETRY]
    assert items[1].body[1:3].tolist() == [4 * 32, 2 * 3 * 32]


def test_scaffold_writes_a_node_folder(tmp_path):
    done = ndg("nodes", "new", "me/garden/stalk", "--dir", tmp_path)
    assert done.exit_code == 0, done.output
    assert sorted(p.relative_to(tmp_path / "stalk").as_posix() for p in (tmp_path / "stalk").rglob("*") if p.is_file()) \
        == ["Cargo.toml", "definition.json", "src/lib.rs"]
    assert '"id": "me/garden/stalk"' in (tmp_path / "stalk" / "definition.json").read_text()
    assert 'name = "ndg_node_stalk"' in (tmp_path / "stalk" / "Cargo.toml").read_text()


@pytest.mark.toolchain
def test_edited_scaffold_runs_through_the_nodes_option(stalk, tmp_path):
    (tmp_path / "stalk.ndg").write_text(GRAPH)
    done = ndg("run", tmp_path / "stalk.ndg", "--nodes", stalk, "-o", tmp_path / "result.bin")
    assert done.exit_code == 0, done.output
    assert_result_is_the_stalk_and_its_tube(tmp_path / "result.bin")


@pytest.mark.toolchain
def test_edited_scaffold_runs_through_the_node_path_variable(stalk, tmp_path):
    (tmp_path / "stalk.ndg").write_text(GRAPH)
    done = ndg("run", tmp_path / "stalk.ndg", "-o", tmp_path / "result.bin", env={NODE_PATH_VARIABLE: str(stalk)})
    assert done.exit_code == 0, done.output
    assert_result_is_the_stalk_and_its_tube(tmp_path / "result.bin")


@pytest.mark.toolchain
def test_scaffold_passes_its_own_cargo_tests(tmp_path):
    assert ndg("nodes", "new", "me/garden/stalk", "--dir", tmp_path).exit_code == 0
    toolchain = find_toolchain()
    done = subprocess.run([str(toolchain.cargo), "test", "--offline", "--quiet", "--target-dir", str(tmp_path / "target")],
                          cwd=tmp_path / "stalk", env=toolchain.environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test result: ok. 2 passed" in done.stdout


def test_an_existing_folder_is_never_overwritten(tmp_path):
    (tmp_path / "stalk").mkdir()
    (tmp_path / "stalk" / "mine.txt").write_text("keep")
    done = ndg("nodes", "new", "me/garden/stalk", "--dir", tmp_path)
    assert done.exit_code == 2
    assert "already exists" in done.output and "hint:" in done.output
    assert [p.name for p in tmp_path.rglob("*")] == ["stalk", "mine.txt"]


@pytest.mark.parametrize("bad_id", ["stalk", "me/stalk", "me/garden/Stalk", "me/garden/9lives", "me/garden/st-alk",
                                    "a/b/c/d", "Me/garden/stalk"])
def test_ids_that_cannot_name_a_rust_crate_are_refused(tmp_path, bad_id):
    done = ndg("nodes", "new", bad_id, "--dir", tmp_path)
    assert done.exit_code == 2
    assert f"`{bad_id}` is not a node id" in done.output and "me/garden/stalk" in done.output
    assert not any(tmp_path.iterdir())


def test_an_id_the_library_already_has_is_refused(tmp_path):
    done = ndg("nodes", "new", "max/plantarium/box", "--dir", tmp_path)
    assert done.exit_code == 2
    assert "`max/plantarium/box` already exists" in done.output


def test_nodes_help_names_the_scaffold():
    done = ndg("nodes", "--help")
    assert done.exit_code == 0
    assert "new" in done.output and "Usage:" in done.output


# What docs/nodes.md promises: lower-case user and namespace, a Rust-friendly name.
VALID_ID = re.compile(r"[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*/[a-z][a-z0-9_]*")


def load_rendered_definition(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "definition.json"
        path.write_text(text)
        return load_definition(path)


@settings(max_examples=50, deadline=None)
@given(node_id=st.from_regex(VALID_ID, fullmatch=True))
def test_every_valid_id_renders_a_definition_ndg_loads(node_id):
    files = render(node_id)
    definition = load_rendered_definition(files["definition.json"])
    assert definition.id == node_id
    assert [i.name for i in definition.inputs] == ["length", "points"]
    assert (definition.output, definition.size, definition.framing) == ("path", "paths(1, points, 1)", "list")
    assert f'name = "ndg_node_{node_id.rsplit("/", 1)[1]}"' in files["Cargo.toml"]


@settings(max_examples=50, deadline=None)
@given(node_id=st.text(max_size=30).filter(lambda text: not VALID_ID.fullmatch(text)))
def test_every_other_id_is_refused(node_id):
    with pytest.raises(UserError, match="is not a node id"):
        render(node_id)


def test_a_new_node_that_shadows_a_built_in_gets_a_warning_naming_both(tmp_path):
    done = ndg("nodes", "new", "me/garden/box", "--dir", tmp_path)
    assert done.exit_code == 0
    assert ("warning: `me/garden/box` has the short name of the built-in `max/plantarium/box`: with --nodes "
            f"{tmp_path}, `box(…)` in a graph could mean either (error E107)") in done.output


@pytest.mark.toolchain
def test_nodes_test_runs_a_node_s_tests_with_ndg_s_toolchain(tmp_path):
    assert ndg("nodes", "new", "me/garden/stalk", "--dir", tmp_path).exit_code == 0
    done = subprocess.run([sys.executable, "-c", "from ndg.cli import main; main()", "nodes", "test", str(tmp_path / "stalk")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"testing me/garden/stalk with {find_toolchain().rustc}" in done.stderr
    assert "test result: ok. 2 passed" in done.stdout
    lib = tmp_path / "stalk" / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\n#[test]\nfn fails() { assert_eq!(1, 2); }\n")
    done = subprocess.run([sys.executable, "-c", "from ndg.cli import main; main()", "nodes", "test", str(tmp_path / "stalk")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "error: the tests of `me/garden/stalk` did not pass with" in done.stderr

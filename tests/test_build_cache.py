"""Builds are cached by content hash: an unchanged node set never reaches the Rust compiler."""

import shutil

import pytest

from ndg.compiler import build
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import compile_text
from ndg.errors import UserError

GRAPH = "output(input: box(size: 1))"


@pytest.mark.toolchain
def test_second_compile_runs_no_rust_compiler(tmp_path, monkeypatch):
    monkeypatch.setenv("NDG_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    real_cargo_build = build.cargo_build
    monkeypatch.setattr(build, "cargo_build", lambda *a: calls.append(a) or real_cargo_build(*a))
    first = compile_text(GRAPH, "g.ndg")
    assert not first.module.cached and len(calls) == 1

    def no_compiler(*args):
        raise AssertionError("the Rust compiler was invoked for an unchanged node set")
    monkeypatch.setattr(build, "cargo_build", no_compiler)
    monkeypatch.setattr(build, "find_toolchain", no_compiler)
    second = compile_text(GRAPH, "g.ndg")
    assert second.module.cached
    assert second.plan == first.plan


def test_a_changed_node_source_changes_the_build_key(tmp_path):
    library = NodeLibrary.load()
    copy = tmp_path / "nodes"
    shutil.copytree(library.by_id("max/plantarium/math").folder, copy / "math")
    data = (copy / "math" / "definition.json").read_text().replace("max/plantarium/math", "me/test/math")
    (copy / "math" / "definition.json").write_text(data)
    nodes = NodeLibrary.load((copy,)).nodes
    from ndg.compiler.codegen import generate
    key = build.build_key(nodes, generate(nodes).files)
    source = copy / "math" / "src" / "lib.rs"
    source.write_text(source.read_text().replace("a + b", "b + a"))
    assert build.build_key(nodes, generate(nodes).files) != key


@pytest.mark.toolchain
def test_missing_toolchain_names_what_to_install(monkeypatch):
    from ndg.compiler import toolchain
    monkeypatch.setattr(toolchain, "_candidates", lambda: iter([(toolchain.Path("/nonexistent/rustc"),
                                                                   toolchain.Path("/nonexistent/cargo"))]))
    with pytest.raises(UserError) as error:
        toolchain.find_toolchain()
    assert "apt-get install rustc cargo libstd-rust-dev-wasm32 lld-14" in error.value.hint
    assert "rustup target add wasm32-unknown-unknown" in error.value.hint

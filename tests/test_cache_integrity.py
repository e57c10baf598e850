"""Cached artifacts carry a digest checked on load: a damaged entry is rebuilt and replaced, never used."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ndg.cache import cache_dir, read_entry
from ndg.compiler.driver import compile_text
from ndg.runtime.code_cache import compiled_path
from ndg.runtime.engine import Runner
from ndg.runtime.sandbox import engine_settings

GRAPH = "output(input: box(size: 1.5))"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("NDG_CACHE_DIR", str(folder))
    return folder


def _flip_bit(path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at % len(data)] ^= 0x10
    path.write_bytes(bytes(data))


def _run(compiled) -> tuple[list[int], bool]:
    with Runner(compiled.plan, compiled.module.wasm) as runner:
        return [int(w) for w in runner.run()], runner.code_cached


@pytest.mark.toolchain
def test_a_flipped_bit_in_compiled_code_is_compiled_again_and_replaced(cache):
    compiled = compile_text(GRAPH, "g.ndg")
    expected, cached = _run(compiled)
    assert not cached
    entry = compiled_path(compiled.plan.module.sha256, engine_settings("deadline"))
    assert _run(compiled) == (expected, True)
    for at in (0, 4096, len(entry.read_bytes()) // 2, -1):
        _flip_bit(entry, at)
        assert read_entry(entry) is None
        assert _run(compiled) == (expected, False)  # not the damaged code
        assert read_entry(entry) is not None  # the entry was replaced
        assert _run(compiled) == (expected, True)


@pytest.mark.toolchain
def test_a_truncated_or_undigested_entry_is_not_used(cache):
    compiled = compile_text(GRAPH, "g.ndg")
    expected, _ = _run(compiled)
    entry = compiled_path(compiled.plan.module.sha256, engine_settings("deadline"))
    entry.write_bytes(entry.read_bytes()[:1000])
    assert _run(compiled) == (expected, False)
    entry.with_name(entry.name + ".sha256").unlink()
    assert _run(compiled) == (expected, False)
    assert _run(compiled) == (expected, True)


@pytest.mark.toolchain
def test_a_corrupt_cached_module_is_rebuilt_not_reused(cache):
    first = compile_text(GRAPH, "g.ndg")
    wasm = first.module.path
    _flip_bit(wasm, len(wasm.read_bytes()) // 2)
    second = compile_text(GRAPH, "g.ndg")
    assert not second.module.cached
    assert second.module.wasm == first.module.wasm
    assert compile_text(GRAPH, "g.ndg").module.cached


@pytest.mark.toolchain
def test_a_corrupt_module_info_is_rebuilt(cache):
    first = compile_text(GRAPH, "g.ndg")
    first.module.path.with_suffix(".json").write_text("{not json")
    second = compile_text(GRAPH, "g.ndg")
    assert not second.module.cached and second.plan == first.plan


NDG = str(Path(sys.executable).with_name("ndg"))


def _ndg(*args, cwd, env_cache):
    return subprocess.run([NDG, *args], cwd=cwd, env={**os.environ, "NDG_CACHE_DIR": env_cache},
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def built_modules(tmp_path_factory):
    """A cache folder's built modules, made once: the CLI tests copy them instead of building."""
    folder = tmp_path_factory.mktemp("warm")
    (folder / "g.ndg").write_text(GRAPH)
    done = _ndg("compile", "g.ndg", "-o", "g.ndp", cwd=folder, env_cache=str(folder / "cache"))
    assert done.returncode == 0, done.stderr
    return folder / "cache" / "modules"


def _warm_cache(built_modules, folder):
    shutil.copytree(built_modules, folder / "modules")
    return folder


@pytest.mark.toolchain
def test_a_relative_cache_dir_is_taken_from_the_current_folder(tmp_path, built_modules):
    (tmp_path / "g.ndg").write_text(GRAPH)
    _warm_cache(built_modules, tmp_path / "rel-cache")
    done = _ndg("run", "g.ndg", "-q", cwd=tmp_path, env_cache="rel-cache")
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "rel-cache" / "compiled").glob("*.cwasm"))


@pytest.mark.parametrize("value, under_home", [("~", ""), ("~/x", "x"), ("~/x/../y", "y")])
def test_a_cache_dir_starting_with_a_tilde_is_under_home(value, under_home, tmp_path, monkeypatch):
    # like a shell, git or pip would read it: NDG_CACHE_DIR=~/x set in a file or by a tool is
    # not expanded on the way, and a folder literally called `~` in the current one is a surprise
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NDG_CACHE_DIR", value)
    assert cache_dir() == tmp_path / "home" / under_home
    assert not (tmp_path / "~").exists()


def test_a_cache_dir_that_is_a_file_is_a_user_error(tmp_path):
    (tmp_path / "g.ndg").write_text(GRAPH)
    (tmp_path / "file").write_text("x")
    done = _ndg("run", "g.ndg", "-q", cwd=tmp_path, env_cache=str(tmp_path / "file"))
    assert done.returncode == 2
    assert "is not a folder" in done.stderr and "Traceback" not in done.stderr


def _set_writable(folder, writable: bool):
    for each in [folder, *folder.rglob("*")]:
        if each.is_dir():
            each.chmod(0o755 if writable else 0o555)


def test_an_unwritable_cold_cache_is_a_user_error(tmp_path):
    (tmp_path / "g.ndg").write_text(GRAPH)
    done = _ndg("run", "g.ndg", "-q", cwd=tmp_path, env_cache="/proc/ndg-cache")  # not even root creates it
    assert done.returncode == 2, done.stderr
    assert "cannot create the cache folder /proc/ndg-cache/modules" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.toolchain
def test_a_read_only_warm_cache_still_runs(tmp_path, built_modules):
    if os.geteuid() == 0:
        pytest.skip("running as root: permissions are not enforced")
    (tmp_path / "g.ndg").write_text(GRAPH)
    warm = _warm_cache(built_modules, tmp_path / "warm")
    _set_writable(warm, False)
    try:
        done = _ndg("run", "g.ndg", "-q", cwd=tmp_path, env_cache=str(warm))
    finally:
        _set_writable(warm, True)
    assert done.returncode == 0, done.stderr

"""Every command writes by ndg.outputs' rules: links kept, special files written in place, inputs and
read-only files never replaced, standard output for `-`, no temporary file left behind."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from ndg.cli import main
from ndg.errors import UserError
from ndg.outputs import TEMPORARY_PREFIX, check_output, write_output

BASICS = EXAMPLES / "basics.ndg"
ROOT = Path(__file__).resolve().parent.parent


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(TEMPORARY_PREFIX)]


def test_a_new_file_is_written_whole_with_the_usual_permissions(tmp_path):
    write_output(tmp_path / "new.bin", b"abc")
    assert (tmp_path / "new.bin").read_bytes() == b"abc"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.bin").stat().st_mode) == 0o666 & ~umask
    assert leftovers(tmp_path) == []


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "old.bin"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_output(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.toolchain
def test_a_symlink_is_followed_and_kept(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "result.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    cli = invoke("run", BASICS, "-o", link, "-q")
    assert cli.exit_code == 0, cli.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())[:2] == [0, 1]
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "real") == []


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.bin"
    link.symlink_to(tmp_path / "target.bin")
    write_output(link, b"x")
    assert link.is_symlink() and (tmp_path / "target.bin").read_bytes() == b"x"


@pytest.mark.toolchain
def test_dev_null_stays_a_device():
    before = os.stat("/dev/null")
    cli = invoke("compile", BASICS, "-o", "/dev/null", "-q")
    assert cli.exit_code == 0, cli.output
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


@pytest.mark.toolchain
def test_a_fifo_is_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    cli = invoke("run", BASICS, "-o", fifo, "-q")
    reader.join(timeout=60)
    assert cli.exit_code == 0, cli.output
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received[0])[:2] == [0, 1]


@pytest.mark.toolchain
def test_dash_is_standard_output_in_the_format_asked_for():
    cli = invoke("run", BASICS, "-o", "-", "--format", "json")
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout_bytes)[:2] == [0, 1]  # nothing but the result on stdout
    glb = invoke("run", BASICS, "-o", "-", "--format", "glb")
    assert glb.stdout_bytes[:4] == b"glTF"


def test_dash_without_a_format_asks_for_one(tmp_path):
    cli = invoke("run", BASICS, "-o", "-")
    assert cli.exit_code == 2 and "--format" in cli.output


@pytest.mark.toolchain
def test_compile_and_export_and_import_write_to_standard_output(tmp_path):
    plan = invoke("compile", BASICS, "-o", "-")
    assert plan.exit_code == 0 and plan.stdout_bytes.startswith(b"NDG")
    exported = invoke("export", BASICS, "-o", "-")
    assert exported.exit_code == 0 and json.loads(exported.stdout_bytes)["nodes"]
    graph = tmp_path / "graph.json"
    graph.write_bytes(exported.stdout_bytes)
    imported = invoke("import", graph, "-o", "-")
    assert imported.exit_code == 0 and b"output(" in imported.stdout_bytes


def test_a_read_only_file_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "plan.ndp"
    target.write_bytes(b"keep me")
    target.chmod(0o444)
    cli = invoke("compile", BASICS, "-o", target)
    assert cli.exit_code == 2 and "read-only" in cli.output
    assert target.read_bytes() == b"keep me" and stat.S_IMODE(target.stat().st_mode) == 0o444


def test_a_read_only_folder_is_refused_before_any_work(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    cli = invoke("run", BASICS, "-o", folder / "x.glb", "-q")
    assert cli.exit_code == 2 and "read-only" in cli.output
    assert list(folder.iterdir()) == []


def test_a_folder_is_not_a_file(tmp_path):
    cli = invoke("run", BASICS, "-o", tmp_path, "--format", "glb")
    assert cli.exit_code == 2 and "it is a folder" in cli.output
    assert "cannot write" in invoke("export", BASICS, "-o", tmp_path).output


@pytest.mark.parametrize("command", ["compile", "export"])
def test_the_input_is_never_the_output(tmp_path, command):
    source = tmp_path / "basics.ndg"
    source.write_text(BASICS.read_text())
    link = tmp_path / "other-name.ndg"
    link.symlink_to(source)
    for output in (source, link):
        cli = invoke(command, source, "-o", output)
        assert cli.exit_code == 2 and "it is the input" in cli.output
    assert source.read_text() == BASICS.read_text()


def test_import_refuses_to_overwrite_its_graph(tmp_path):
    graph = tmp_path / "g.json"
    exported = invoke("export", BASICS, "-o", graph)
    assert exported.exit_code == 0, exported.output
    before = graph.read_bytes()
    cli = invoke("import", graph, "-o", graph)
    assert cli.exit_code == 2 and "it is the input" in cli.output and graph.read_bytes() == before


@pytest.mark.toolchain
def test_plan_show_refuses_to_draw_over_its_plan(tmp_path):
    plan = tmp_path / "p.ndp"
    assert invoke("compile", BASICS, "-o", plan, "-q").exit_code == 0
    before = plan.read_bytes()
    hard_link = tmp_path / "same.png"
    os.link(plan, hard_link)
    for png in (plan, hard_link):
        cli = invoke("plan", "show", plan, "--png", png)
        assert cli.exit_code == 2 and "it is the input" in cli.output
    assert plan.read_bytes() == before


@pytest.mark.toolchain
def test_run_refuses_to_write_over_its_source(tmp_path):
    plan = tmp_path / "p.ndp"
    assert invoke("compile", BASICS, "-o", plan, "-q").exit_code == 0
    cli = invoke("run", plan, "-o", plan, "--format", "bin")
    assert cli.exit_code == 2 and "it is the input" in cli.output


@pytest.mark.toolchain
@pytest.mark.parametrize("length", [246, 250, 255])
def test_names_up_to_the_file_system_limit_work(tmp_path, length):
    name = "n" * (length - len(".ndp")) + ".ndp"
    cli = invoke("compile", BASICS, "-o", tmp_path / name, "-q")
    assert cli.exit_code == 0, cli.output
    assert (tmp_path / name).stat().st_size > 0 and leftovers(tmp_path) == []


def test_a_name_over_the_limit_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="longer than this file system allows"):
        check_output(tmp_path / ("n" * 256))


def test_temporary_files_of_killed_writers_are_removed_by_the_next_write(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = tmp_path / f"{TEMPORARY_PREFIX}{dead.stdout.strip()}-0badf00d"
    abandoned.write_bytes(b"half a plan")
    ours = tmp_path / f"{TEMPORARY_PREFIX}{os.getpid()}-12345678"  # a live writer's: kept
    ours.write_bytes(b"being written")
    write_output(tmp_path / "plan.ndp", b"whole")
    assert not abandoned.exists() and ours.exists()


STALLED_WRITER = """
import os, sys, time
import ndg.outputs
def stalled(source, destination):
    print("writing", flush=True)
    time.sleep(60)
ndg.outputs.os.replace = stalled
ndg.outputs.write_output(sys.argv[1], b"data")
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_write_leaves_no_temporary_file(tmp_path, signum):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    process = subprocess.Popen([sys.executable, "-c", STALLED_WRITER, str(target)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "writing\n"
    assert len(leftovers(tmp_path)) == 1  # the temporary file is there while the write is under way
    process.send_signal(signum)
    process.wait(timeout=30)
    assert process.returncode != 0
    assert leftovers(tmp_path) == [] and target.read_bytes() == b"old"


@pytest.mark.toolchain
def test_format_names_standard_output_only(tmp_path):
    cli = invoke("run", BASICS, "-o", tmp_path / "box.glb", "-o", "-", "--format", "json")
    assert cli.exit_code == 0, cli.output
    assert (tmp_path / "box.glb").read_bytes()[:4] == b"glTF" and json.loads(cli.stdout_bytes)[:2] == [0, 1]


def test_dev_stdout_is_written_through_not_replaced():
    # /dev/stdout links to /proc/self/fd/1, here a pipe: it must be opened by its name.
    ndg_command = Path(sys.executable).parent / "ndg"
    before = os.lstat("/dev/stdout")
    done = subprocess.run([ndg_command, "run", BASICS, "-o", "/dev/stdout", "--format", "json", "-q"],
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[:2] == [0, 1]
    after = os.lstat("/dev/stdout")
    assert stat.S_ISLNK(after.st_mode) and after.st_ino == before.st_ino

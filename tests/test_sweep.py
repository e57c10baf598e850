"""`ndg sweep` and `ndg.sweep` on a real dask.distributed cluster: a scheduler and two worker
processes on 127.0.0.1, started here by the `dask` command and stopped whatever the tests do."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import ndg
from ndg.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PARAMETERS = EXAMPLES / "parameters.ndg"
DASK = Path(sys.executable).parent / "dask"
NDG = Path(sys.executable).parent / "ndg"


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a scheduler with two single-threaded worker processes."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("cluster")
    address_file = folder / "scheduler.json"
    common = ["--no-dashboard"]
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--scheduler-file", address_file, *common],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        processes += [subprocess.Popen([DASK, "worker", "--scheduler-file", address_file, "--host", "127.0.0.1",
                                        "--nthreads", "1", "--nworkers", "1", *common],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
                      for _ in range(2)]
        with Client(scheduler_file=str(address_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            address = client.scheduler.address
        yield address
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def client(scheduler):
    from distributed import Client

    with Client(scheduler, timeout="60s") as connected:
        connected.wait_for_workers(2, timeout=120)  # a worker killed by an earlier test is back
        yield connected


def files_of(table) -> list[dict]:
    return [entry for files in table["files"].to_pylist() for entry in json.loads(files)]


def assert_files_as_recorded(table, folder: Path) -> None:
    for entry in files_of(table):
        data = (folder / entry["path"]).read_bytes()
        assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"]


@pytest.mark.toolchain
def test_cluster_sweep_writes_the_bytes_serial_ndg_run_writes(scheduler, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sweep = CliRunner().invoke(main, ["sweep", str(PARAMETERS), "--set", "length=1,2.5,6", "--set", "grow=false",
                                      "--scheduler", scheduler, "-o", "out/box-{index}.glb",
                                      "-o", "out/box-{length}.obj", "--json"])
    assert sweep.exit_code == 0, sweep.output
    assert json.loads(sweep.stdout)["ran"] == 3
    table = pq.read_table(tmp_path / "manifest.parquet")
    assert table["param.length"].to_pylist() == [1.0, 2.5, 6.0]
    assert table["param.grow"].to_pylist() == [False] * 3
    assert table["triangles"].to_pylist() == [12] * 3
    assert table["max_x"].to_pylist() == [2.0, 2.75, 4.5]  # half of length * 0.5 + 1.5
    assert set(table["worker"].to_pylist()) <= set(ndg_workers(scheduler))
    serial = tmp_path / "serial"
    serial.mkdir()
    for index, length in enumerate(["1", "2.5", "6"]):
        subprocess.run([NDG, "run", PARAMETERS, "-q", "--set", f"length={length}", "--set", "grow=false",
                        "-o", serial / f"{index}.glb", "-o", serial / f"{index}.obj"], check=True)
        assert (tmp_path / f"out/box-{index}.glb").read_bytes() == (serial / f"{index}.glb").read_bytes()
        assert (tmp_path / f"out/box-{float(length)}.obj").read_bytes() == (serial / f"{index}.obj").read_bytes()


def ndg_workers(scheduler) -> list[str]:
    from distributed import Client

    with Client(scheduler) as client:
        return list(client.nthreads())


def test_a_worker_killed_mid_sweep_leaves_every_variant_exactly_once_and_every_file_whole(client, tmp_path,
                                                                                           monkeypatch):
    monkeypatch.chdir(tmp_path)
    program = ndg.compile(PARAMETERS)
    pids = client.run(os.getpid)
    victim = next(iter(pids.values()))
    done = []

    def advance(count):
        if sum(done) < 20 <= sum(done) + count:
            os.kill(victim, signal.SIGKILL)
        done.append(count)

    count = 400
    sets = [{"length": 0.5 + i * 7.5 / count} for i in range(count)]
    table = ndg.sweep(program, sets, ["out/box-{index:03d}.glb"], client, advance=advance)
    assert sum(done) == count
    assert table["index"].to_pylist() == list(range(count))
    assert table["error"].to_pylist() == [None] * count
    assert_files_as_recorded(table, tmp_path)
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".glb")) == \
        [f"box-{i:03d}.glb" for i in range(count)]
    assert victim not in client.run(os.getpid).values()  # the kill happened, the sweep went on


def test_interrupted_sweep_resumes_without_rerunning_finished_variants_and_redoes_a_corrupted_file(scheduler,
                                                                                                    tmp_path):
    # Enough variants that the sweep is still running when its first manifest is written (at most
    # once a second): on an idle machine 4,000 could finish in about a second, and the SIGINT then
    # met a process already past its handlers.
    count = 10000
    command = [NDG, "sweep", PARAMETERS, "--set", f"length=1..{1 + (count - 1) * 0.0007:.5f}:0.0007",
               "--scheduler", scheduler, "-o", "out/box-{index:03d}.glb",
               "--json"]
    manifest = tmp_path / "manifest.parquet"
    sweep = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not manifest.exists() and time.monotonic() < deadline and sweep.poll() is None:
        time.sleep(0.05)
    sweep.send_signal(signal.SIGINT)
    _, stderr = sweep.communicate(timeout=120)
    assert sweep.returncode == 130, stderr.decode()
    assert b"run the same command again" in stderr
    first = pq.read_table(manifest)
    finished = first["index"].to_pylist()
    assert 0 < len(finished) < count and first["error"].to_pylist() == [None] * len(finished)
    assert_files_as_recorded(first, tmp_path)

    corrupted = tmp_path / json.loads(first["files"][0].as_py())[0]["path"]
    corrupted.write_bytes(corrupted.read_bytes()[:-10])
    resumed = subprocess.run(command, cwd=tmp_path, capture_output=True, check=True)
    summary = json.loads(resumed.stdout)
    assert summary["skipped"] == len(finished) - 1
    assert summary["ran"] == count - len(finished) + 1
    final = pq.read_table(manifest)
    assert final["index"].to_pylist() == list(range(count))
    assert final["error"].to_pylist() == [None] * count
    assert_files_as_recorded(final, tmp_path)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".ndg-partial-")]


def test_a_bad_parameter_set_fails_its_own_row_with_the_message_ndg_run_gives(scheduler, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = [{"length": 3}, {"length": 99}, {"length": "long"}, {"length": 2, "grow": "maybe"}, {"length": 4}]
    (tmp_path / "sets.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    sweep = CliRunner().invoke(main, ["sweep", str(PARAMETERS), "--params", "sets.jsonl", "--scheduler", scheduler,
                                      "-o", "box-{index}.glb", "--manifest", "manifest.csv"])
    assert sweep.exit_code == 2
    assert "3 of 5 variants failed" in sweep.stderr and "`error` column of manifest.csv" in sweep.stderr
    errors = [row["error"] for row in csv_rows(tmp_path / "manifest.csv")]
    expected = [run_error(["--set", "length=99"]), run_error(["--set", "length=long"]),
                run_error(["--set", "length=2", "--set", "grow=maybe"])]
    assert errors == ["", *expected[:2], expected[2], ""]
    assert sorted(p.name for p in tmp_path.glob("box-*.glb")) == ["box-0.glb", "box-4.glb"]


def csv_rows(path: Path) -> list[dict]:
    import csv

    with open(path, newline="") as source:
        return list(csv.DictReader(source))


def run_error(arguments: list[str]) -> str:
    """The message `ndg run` gives for these --set arguments (its first line, after `error: `)."""
    result = CliRunner().invoke(main, ["run", str(PARAMETERS), "-q", *arguments])
    assert result.exit_code == 2
    return result.stderr.splitlines()[0].removeprefix("error: ")


@pytest.mark.parametrize("arguments, expected", [
    (["--set", "length=1..2:0.5", "--set", "grow=true,false"],
     [(1.0, True), (1.0, False), (1.5, True), (1.5, False), (2.0, True), (2.0, False)]),
    (["--set", "length=0.5..0.8:0.1"], [(0.5, True), (0.6, True), (0.7, True), (0.8, True)]),
    (["--set", "length=3"], [(3.0, True)]),
])
def test_set_gives_the_product_of_ranges_and_lists(tmp_path, monkeypatch, arguments, expected):
    monkeypatch.chdir(tmp_path)
    sweep = CliRunner().invoke(main, ["sweep", str(PARAMETERS), "--workers", "0", "-q", *arguments])
    assert sweep.exit_code == 0, sweep.output
    table = pq.read_table(tmp_path / "manifest.parquet")
    assert list(zip(table["param.length"].to_pylist(), table["param.grow"].to_pylist())) == expected


def test_random_sets_are_uniform_in_the_declared_ranges_and_reproducible(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def drawn(seed: int, manifest: str) -> list[tuple]:
        sweep = CliRunner().invoke(main, ["sweep", str(PARAMETERS), "--workers", "0", "-q", "--random", "40",
                                          "--random-seed", str(seed), "--manifest", manifest])
        assert sweep.exit_code == 0, sweep.output
        table = pq.read_table(tmp_path / manifest)
        return list(zip(table["param.length"].to_pylist(), table["param.grow"].to_pylist()))

    first = drawn(7, "a.parquet")
    assert drawn(7, "b.parquet") == first
    assert drawn(8, "c.parquet") != first
    assert all(0.5 <= length <= 8 for length, _ in first) and {grow for _, grow in first} == {True, False}


@pytest.mark.parametrize("arguments, message", [
    (["--set", "width=1,2"], "the graph has no parameter `width`"),
    (["--set", "length=1..3"], "a float range needs a step"),
    (["--set", "length=3..1:1"], "goes up from its first value"),
    (["--set", "grow=0..1:1"], "`grow` is a boolean parameter, which has no ranges"),
    (["--set", "length=1,x"], "`length` is a float parameter, and `x` is not one"),
    (["--params", "sets.txt"], "unknown kind of file `.txt`"),
    (["--params", "sets.csv", "--set", "length=1"], "do not combine"),
    (["--manifest", "m.xlsx"], "name it .parquet or .csv"),
    (["-o", "box.glb", "--set", "length=1,2"], "every variant would write to the same file box.glb"),
])
def test_sweep_mistakes_are_reported_before_anything_runs(tmp_path, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sets.csv").write_text("length\n1\n")
    (tmp_path / "sets.txt").write_text("length\n1\n")
    sweep = CliRunner().invoke(main, ["sweep", str(PARAMETERS), "--workers", "0", *arguments])
    assert sweep.exit_code == 2 and message in sweep.stderr, sweep.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sets.csv", "sets.txt"]


def test_the_run_seed_is_swept_like_any_parameter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sweep = CliRunner().invoke(main, ["sweep", str(EXAMPLES / "plant.ndg"), "--workers", "0", "-q",
                                      "--set", "seed=1,2", "-o", "plant-{seed}.bin"])
    assert sweep.exit_code == 0, sweep.output
    assert pq.read_table(tmp_path / "manifest.parquet")["param.seed"].to_pylist() == [1, 2]
    program = ndg.compile(EXAMPLES / "plant.ndg")
    for seed in (1, 2):
        assert (tmp_path / f"plant-{seed}.bin").read_bytes() == program.run(seed=seed).words.tobytes()
    assert (tmp_path / "plant-1.bin").read_bytes() != (tmp_path / "plant-2.bin").read_bytes()


def test_params_from_csv_jsonl_and_parquet_give_the_same_variants_and_empty_cells_keep_defaults(tmp_path,
                                                                                                 monkeypatch):
    import pyarrow as pa

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sets.csv").write_text("length,grow\n3,false\n,true\n6.5,\n")
    (tmp_path / "sets.jsonl").write_text('{"length": 3, "grow": false}\n{"grow": true}\n{"length": 6.5, "grow": null}\n')
    pq.write_table(pa.table({"length": [3.0, None, 6.5], "grow": [False, True, None]}), tmp_path / "sets.parquet")
    seen = []
    for kind in ("csv", "jsonl", "parquet"):
        sweep = CliRunner().invoke(main, ["sweep", str(PARAMETERS), "--workers", "0", "-q", "--params", f"sets.{kind}",
                                          "-o", f"{kind}/box-{{index}}.glb", "--manifest", f"{kind}.parquet"])
        assert sweep.exit_code == 0, sweep.output
        table = pq.read_table(tmp_path / f"{kind}.parquet")
        assert list(zip(table["param.length"].to_pylist(), table["param.grow"].to_pylist())) == [
            (3.0, False), (2.0, True), (6.5, True)]
        seen.append([entry["sha256"] for entry in files_of(table)])
    assert seen[0] == seen[1] == seen[2]
    default = CliRunner().invoke(main, ["run", str(PARAMETERS), "-q", "-o", "default.glb"])
    assert default.exit_code == 0, default.output
    assert (tmp_path / "csv/box-1.glb").read_bytes() == (tmp_path / "default.glb").read_bytes()


def test_png_outputs_are_the_pictures_ndg_run_draws(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    sweep = CliRunner().invoke(main, ["sweep", str(PARAMETERS), "--workers", "0", "-q", "--set", "length=1,6",
                                      "-o", "box-{length}.png"])
    assert sweep.exit_code == 0, sweep.output
    for length in ("1.0", "6.0"):
        run = CliRunner().invoke(main, ["run", str(PARAMETERS), "-q", "--set", f"length={length}",
                                        "--png", f"run-{length}.png"])
        assert run.exit_code == 0, run.output
        assert (tmp_path / f"box-{length}.png").read_bytes() == (tmp_path / f"run-{length}.png").read_bytes()
    small, large = (Image.open(tmp_path / f"box-{length}.png").convert("L") for length in ("1.0", "6.0"))
    assert small.size == large.size and small.getextrema()[0] < small.getextrema()[1]
    assert small.tobytes() != large.tobytes()
    table = pq.read_table(tmp_path / "manifest.parquet")
    assert [entry["path"] for entry in files_of(table)] == ["box-1.0.png", "box-6.0.png"]

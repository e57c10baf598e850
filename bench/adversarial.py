"""The adversarial sweep of issue 14, re-runnable: hostile cases generated over six surfaces, each
run through the real command line (in process, or in a child process where a case could take the
process down), and counted as held or failed by how it failed.

    .venv/bin/python bench/adversarial.py [--surface NAME] [--seed N] [--verbose]

A case holds when ndg gives a result or a user error (exit 0 or 2) within its time limit, and,
where the case knows the right answer, the result is that answer. It fails as: `traceback` (exit
1 or an exception), `hang` (past the limit), `wrong` (exit 0 with another result), `unparsable`
(import wrote .ndg that does not parse), `escaped` (a plan took more memory than it promises),
`killed` (a signal ended the process) or `damaged` (a file that must survive did not).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from wasm_builders import custom_section

ROOT = Path(__file__).resolve().parent.parent

EXAMPLES = ROOT / "examples"
NDG = str(Path(sys.executable).with_name("ndg"))
LIMIT_SECONDS = 20


@dataclasses.dataclass
class Outcome:
    exit_code: int | None  # None: it did not end in time
    output: str = ""


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int):
    def expire(*_):
        raise _Timeout
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def ndg(*args, seconds: int = LIMIT_SECONDS) -> Outcome:
    """The CLI in this process (fast); exit 1 also for an exception that escaped it."""
    from ndg.cli import main
    try:
        with _time_limit(seconds):
            done = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    except _Timeout:
        return Outcome(None)
    code = done.exit_code
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        code = 1
    return Outcome(code, done.output)


def ndg_process(*args, env=None, seconds: int = LIMIT_SECONDS, preexec=None, cwd=None) -> Outcome:
    """The CLI in a child process: for cases that could crash or exhaust the process."""
    try:
        done = subprocess.run([NDG, *map(str, args)], capture_output=True, text=True, timeout=seconds,
                              env={**os.environ, **(env or {})}, preexec_fn=preexec, cwd=cwd)
    except subprocess.TimeoutExpired:
        return Outcome(None)
    return Outcome(done.returncode, done.stdout + done.stderr)


def verdict(outcome: Outcome, expected: str | None = None) -> str | None:
    """None when the case held, else how it failed."""
    if outcome.exit_code is None:
        return "hang"
    if outcome.exit_code < 0:
        return "killed"
    if outcome.exit_code not in (0, 2) or "Traceback" in outcome.output:
        return "traceback"
    if expected is not None and outcome.exit_code == 0 and expected not in outcome.output:
        return "wrong"
    return None


Case = tuple[str, Callable[[], str | None]]


# -- surface 1: .ndg source and --set ---------------------------------------------------------

def source_cases(rng: random.Random, work: Path) -> Iterator[Case]:
    texts = {p.stem: p.read_text() for p in sorted(EXAMPLES.glob("*.ndg"))}

    def checked(name: str, text: str, *extra) -> Case:
        def run():
            path = work / "case.ndg"
            path.write_text(text)
            return verdict(ndg("check", path)) or (verdict(ndg("run", path, "-q", *extra)) if extra else None)
        return name, run

    fixed = {
        "nested calls 245": "output(input: box(size: " + "math(a: " * 245 + "1" + ")" * 245 + "))\n",
        "nested calls 5000": "output(input: box(size: " + "math(a: " * 5000 + "1" + ")" * 5000 + "))\n",
        "sum of 489 terms": "a = float(value: 1)\noutput(input: box(size: " + " + ".join(["a"] * 489) + "))\n",
        "sum of 5000 terms": "a = float(value: 1)\noutput(input: box(size: " + " + ".join(["a"] * 5000) + "))\n",
        "4301-digit literal": "output(input: box(size: " + "9" * 4301 + "))\n",
        "1e39 float range": "param x: float = 1 in 0..1e39\noutput(input: box(size: x))\n",
        "90-digit integer range": f"param n: integer = 1 in 0..{'9' * 90}\nv = integer(value: n)\noutput(input: box())\n",
        "instance 2^31-1": "output(input: instance(plant: stem(), geometry: box(), amount: 2147483647))\n",
        "stem 64 + 3 branch 64": "s = stem(amount: 64)\na = branch(plant: s, amount: 64)\nb = branch(plant: a, amount: 64)\n"
                                 "c = branch(plant: b, amount: 64)\noutput(input: c)\n",
        "stem 64 + 4 branch 64": "s = stem(amount: 64)\na = branch(plant: s, amount: 64)\nb = branch(plant: a, amount: 64)\n"
                                 "c = branch(plant: b, amount: 64)\nd = branch(plant: c, amount: 64)\noutput(input: d)\n",
        "byte-order mark": "\ufeff" + texts["basics"],
        "modulo of a node": "a = float(value: 1)\nb = a % 2\noutput(input: box(size: b))\n",
        "floor division of a node": "a = float(value: 1)\nb = a // 2\noutput(input: box(size: b))\n",
        "8000 comment lines": "# c\n" * 8000 + texts["basics"],
        "20000 errors": "x = bxo()\n" * 20000 + "output(input: box())\n",
        "700000 errors on one line": "output(input: box(" + "," * 700_000 + "))\n",
        "empty": "",
        "only output": "output()\n",
        "two outputs": "output(input: box())\noutput(input: box())\n",
        "cycle": "a = math(a: b)\nb = math(a: a)\noutput(input: box(size: a))\n",
        "markup in names": "[bold]x[/b] = float(value: 1)\noutput(input: box(size: 1))\n",
    }
    for name, text in fixed.items():
        yield checked(name, text)
    # Byte-level mutations of every example: deletions, duplications, swaps, odd characters.
    odd = ["(", ")", "[", "]", ":", ",", "=", "..", "#", "\n", "\0", "é", "1e999", "-", "%", "//", "in", "param", "\t"]
    for index in range(145):
        name = rng.choice(sorted(texts))
        text = texts[name]
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text))
            kind = rng.randrange(3)
            if kind == 0:
                text = text[:at] + text[at + rng.randint(1, 8):]
            elif kind == 1:
                text = text[:at] + rng.choice(odd) + text[at:]
            else:
                end = min(len(text), at + rng.randint(1, 40))
                text = text[:at] + text[at:end] * 2 + text[end:]
        yield checked(f"mutated {name} #{index}", text)
    # --set with hostile values on the parameters example.
    for value in ["nan", "inf", "-inf", "1e39", "1e400", "2147483648", "-2147483649", "9" * 5000, "", "x", "[1,2,3]",
                  "true", "0x10", "1_000", " 1", "1e-50", "-0", "3.4e38", "-3.4e38", "2**31", "0.5", "4", "1e308",
                  "10", "-1", "NaN", "Infinity", "1e38", "1.7976931348623157e308", "5e-324", "00001", "+2", "1.", ".5",
                  "١"]:
        yield checked(f"--set value {value[:20]!r}", texts["parameters"], "--set", f"{_first_param(texts['parameters'])}={value}")


def _first_param(text: str) -> str:
    line = next(line for line in text.splitlines() if line.startswith("param "))
    return line.split()[1].rstrip(":")


# -- surface 2: crafted plans ------------------------------------------------------------------

def plan_cases(rng: random.Random, work: Path) -> Iterator[Case]:
    from ndg.compiler.driver import compile_text
    from ndg.runtime.plan import MAGIC, PLAN_VERSION, encode_plan

    compiled = compile_text((EXAMPLES / "basics.ndg").read_text(), "basics.ndg")
    module = compiled.module.wasm
    header = json.loads(encode_plan(compiled.plan, None)[len(MAGIC) + 8 + 32 :])
    expected_size = "95 words"

    def encoded(changed: dict, body: bytes = module) -> bytes:
        data = json.dumps(changed).encode()
        return MAGIC + struct.pack("<II", PLAN_VERSION, len(data)) + hashlib.sha256(data).digest() + data + body

    def spots(tree, path=()):
        children = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
        for key, child in children:
            yield path + (key,)
            yield from spots(child, path + (key,))
    places = list(spots(header))
    odd = [0, 1, -1, 2**31, 2**32, -(2**63), 10**30, 1.5, float("inf"), None, True, "", [], {}, "slot"]

    def run_plan(data: bytes, in_process: bool = True, seconds: int = LIMIT_SECONDS) -> str | None:
        path = work / "case.ndp"
        path.write_bytes(data)
        if in_process:
            return verdict(ndg("run", path))
        limit = 3 << 30  # the 1 GiB cap with room for Python and wasmtime themselves
        outcome = ndg_process("run", path, seconds=seconds,
                              preexec=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
        if outcome.exit_code is not None and outcome.exit_code < 0:
            return "escaped"
        return verdict(outcome)

    for index in range(110):
        changed = json.loads(json.dumps(header))
        path = rng.choice(places)
        parent = changed
        for key in path[:-1]:
            parent = parent[key]
        target = parent[path[-1]]
        if isinstance(target, int) and not isinstance(target, bool) and rng.random() < 0.5:
            parent[path[-1]] = target + rng.choice([-70000, -16, -4, -1, 1, 4, 16, 4096, 70000])
        else:
            parent[path[-1]] = rng.choice(odd)
        yield f"plan field {'/'.join(map(str, path))} #{index}", lambda c=changed: run_plan(encoded(c))
    deep = b"[" * 100_000 + b"]" * 100_000
    yield "100000-deep header", lambda: run_plan(MAGIC + struct.pack("<II", PLAN_VERSION, len(deep))
                                                  + hashlib.sha256(deep).digest() + deep)
    for device in ("/dev/zero", "/dev/null", "fifo"):
        def named(device=device):
            if device == "fifo":
                fifo = work / "module.fifo"
                with contextlib.suppress(FileNotFoundError):
                    fifo.unlink()
                os.mkfifo(fifo)
                device = str(fifo)
            changed = {**header, "module": {**header["module"], "path": device}}
            return run_plan(encoded(changed, b""))
        yield f"module path {device}", named
    for name, wat in _hostile_modules(compiled.plan).items():
        # A module that loops runs until the default budget (10 billion fuel units) is spent: tens
        # of seconds on a shared core. Issue 18 bounds runs by time instead.
        yield f"hostile module: {name}", lambda wat=wat: run_plan(_with_module(header, compiled.plan, wat, encoded), False, 180)
    # The expected summary for an untouched plan: the sweep's own sanity check.
    yield "untouched plan", lambda: verdict(ndg("run", _write(work / "ok.ndp", encoded(header))), expected_size)
    while index < 143:
        index += 1
        truncated = encoded(header)[: rng.randrange(len(encoded(header)))]
        yield f"truncated plan #{index}", lambda t=truncated: run_plan(t)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _hostile_modules(plan) -> dict[str, str]:
    big = 1 << 26
    return {
        "grows a funcref table": f"(table 1 funcref) (func (export \"ndg_run\") (param i32 i32 i32) (result i32) "
                                 f"(drop (table.grow (ref.null func) (i32.const {big}))) i32.const 0)",
        "declares a huge table": f"(table {big} funcref) (func (export \"ndg_run\") (param i32 i32 i32) (result i32) i32.const 0)",
        "four memories": "(memory 16384) (memory 16384) (memory 16384) (memory 16384) "
                         "(func (export \"ndg_run\") (param i32 i32 i32) (result i32) i32.const 0)",
        "grows the memory": "(func (export \"ndg_run\") (param i32 i32 i32) (result i32) (drop (memory.grow (i32.const 60000))) i32.const 0)",
        "loops in its start": "(func $s (loop br 0)) (start $s) (func (export \"ndg_run\") (param i32 i32 i32) (result i32) i32.const 0)",
        "recurses": "(func $d (param i32) (result i32) (call $d (local.get 0))) "
                    "(func (export \"ndg_run\") (param i32 i32 i32) (result i32) (call $d (i32.const 0)))",
        "loops forever": "(func (export \"ndg_run\") (param i32 i32 i32) (result i32) (loop br 0) i32.const 0)",
    }


def _with_module(header: dict, plan, body: str, encoded) -> bytes:
    import wasmtime

    from ndg.runtime.plan import module_digest
    text = (f"(module (import \"env\" \"memory\" (memory 1)) "
            f"(global (export \"__heap_base\") i32 (i32.const {plan.region('static').offset})) {body})")
    try:
        module = wasmtime.wat2wasm(text)
    except wasmtime.WasmtimeError:
        module = wasmtime.wat2wasm(text.replace("(import \"env\" \"memory\" (memory 1)) ", ""))
    module += custom_section("ndg_kinds", json.dumps(list(plan.kinds)).encode())
    changed = {**header, "module": {**header["module"], "sha256": module_digest(module), "size": len(module)}}
    return encoded(changed, module)


# -- surface 3: Nodarium import ----------------------------------------------------------------

def import_cases(rng: random.Random, work: Path) -> Iterator[Case]:
    graphs = [json.loads(p.read_text()) for p in sorted((ROOT / "fuzz" / "corpus" / "import").glob("*.json"))]

    def imported(data: str) -> str | None:
        source, output = work / "case.json", work / "case.ndg"
        source.write_text(data)
        before = source.read_bytes()
        with contextlib.suppress(FileNotFoundError):
            output.unlink()
        failed = verdict(ndg("import", source, "-o", output))
        if failed:
            return failed
        if source.read_bytes() != before:
            return "damaged"
        if output.exists():
            checked = ndg("check", output)
            if "E0" in checked.output and checked.exit_code == 2:  # syntax errors are E0xx
                return "unparsable"
            return verdict(checked)
        return None

    odd_ids = ["da-sh", "9lives", "ünï", "a b", "", "x" * 300, "output", "box/box", "../../etc"]
    for index in range(80):
        graph = json.loads(json.dumps(rng.choice(graphs)))
        kind = rng.randrange(5)
        node = rng.choice(graph["nodes"])
        if kind == 0:
            node["type"] = rng.choice(["max/plantarium/" + rng.choice(odd_ids), "x", "", 5, None])
        elif kind == 1:
            node["id"] = rng.choice([None, "1", -1, 2**70, 1.5, graph["nodes"][0]["id"]])
        elif kind == 2 and graph.get("edges"):
            edge = rng.choice(graph["edges"])
            edge[rng.randrange(4)] = rng.choice([None, 999, "x", -1, [], edge[0]])
        elif kind == 3:
            node["props"] = {rng.choice(["size", "amount", "x", "", "da-sh"]): rng.choice([1e39, -1, "s", None, [1], True, 2**40])}
        else:
            graph["settings"] = rng.choice([{"resolution.circle": 1e99}, {"a-b": 1}, [], "x", {"": 1}])
        yield f"mutated graph #{index}", lambda g=graph: imported(json.dumps(g))
    yield "100000-deep JSON", lambda: imported("[" * 100_000 + "]" * 100_000)
    for size in (2000, 20000):
        nodes = [{"id": 0, "type": "max/plantarium/output"}, {"id": 1, "type": "max/plantarium/box"}]
        edges = [[1, 0, 0, "input"]]
        for n in range(size):
            nodes.append({"id": n + 2, "type": "max/plantarium/math"})
            edges.append([n + 2, 0, n + 1, "a" if n else "size"])
        yield f"{size}-node chain", lambda g={"nodes": nodes, "edges": edges}: imported(json.dumps(g))
    for index in range(22):
        text = json.dumps(rng.choice(graphs))
        at = rng.randrange(len(text))
        yield f"broken JSON #{index}", lambda t=text[:at] + text[at + 3:]: imported(t)


# -- surface 4: scaffolding, definitions, node code ---------------------------------------------

def scaffold_cases(rng: random.Random, work: Path) -> Iterator[Case]:
    base = {"id": "adv/odd/c", "outputs": ["float"], "inputs": {"x": {"type": "float", "value": 1, "min": 0, "max": 5}}}
    odd = [None, 1, -1, "s", [], {}, [1], {"a": 1}, True, 1e300, float("nan"), ["float", "float"], "x" * 5000]

    def with_definition(definition, graph="v = c()\noutput(input: box(size: 1))\n") -> str | None:
        folder = work / f"nodes-{rng.randrange(1 << 30)}"
        (folder / "c" / "src").mkdir(parents=True)
        (folder / "c" / "definition.json").write_text(json.dumps(definition))
        (folder / "c" / "src" / "lib.rs").write_text("pub fn execute(x: f32) -> f32 { x }")
        (work / "g.ndg").write_text(graph)
        try:
            return (verdict(ndg("check", work / "g.ndg", "--nodes", folder))
                    or verdict(ndg("nodes", "show", "c", "--nodes", folder)))
        finally:
            shutil.rmtree(folder)

    for key in ["id", "outputs", "inputs", "size", "layout"]:
        for value in odd:
            yield f"definition {key}={str(value)[:20]}", lambda d={**base, key: value}: with_definition(d)
    for key in ["type", "value", "min", "max", "options", "accepts", "setting"]:
        for value in odd:
            yield (f"input {key}={str(value)[:20]}",
                   lambda d={**base, "inputs": {"x": {**base["inputs"]["x"], key: value}}}: with_definition(d))
    for value in odd:
        yield f"input spec {str(value)[:20]}", lambda d={**base, "inputs": {"x": value}}: with_definition(d)
    names = ["me/x/" + "a" * 5000, "me/x/a" * 3, "ME/X/Y", "me/x/9y", "me/x/ünï", "me/x/da-sh", "me/x/", "/x/y", "me/x/y/z",
             "me/x/output", "me/x/box", "me/x/" + "a" * 64, "me/x/" + "a" * 65, "", "me/x/a b", "me/x/y\n", "me/x/con",
             "me/x/_y", "me/x/y_", "-me/x/y"]
    for name in names:
        for place in ("ok", "/proc/ndg-adv", "file/sub"):
            def scaffolded(name=name, place=place):
                (work / "file").write_text("")
                folder = work / f"new-{rng.randrange(1 << 30)}" if place == "ok" else place if place.startswith("/") \
                    else work / place
                return verdict(ndg("nodes", "new", name, "--dir", folder))
            yield f"nodes new {name[:20]!r} in {place}", scaffolded
    yield from recursion_cases(work)


DEEP_NODE = """fn down(depth: i32) -> i32 {
    let mut frame = [0u8; 4096];
    unsafe { core::ptr::write_volatile(&mut frame[(depth as usize) % 4096], depth as u8) };
    let below = if depth > 0 { down(depth - 1) } else { 0 };
    below + unsafe { core::ptr::read_volatile(&frame[0]) } as i32
}

pub fn execute(depth: i32) -> i32 {
    down(depth)
}
"""


def recursion_cases(work: Path) -> Iterator[Case]:
    """A node recursing 4 KiB frames: 100 KiB of stack runs, 400 KiB (past the 256 KiB stack) must
    trap, in one module and in per-node modules (where it once wrote over other memory, exit 0)."""
    nodes = work / "deep-nodes"
    (nodes / "deep" / "src").mkdir(parents=True)
    (nodes / "deep" / "definition.json").write_text(json.dumps(
        {"id": "adv/odd/deep", "outputs": ["integer"], "inputs": {"depth": {"type": "integer", "value": 0}}}))
    (nodes / "deep" / "src" / "lib.rs").write_text(DEEP_NODE)
    for modules in ("single", "per-node"):
        for kib, traps in ((100, False), (400, True)):
            def recursing(modules=modules, kib=kib, traps=traps):
                graph = work / "deep.ndg"
                graph.write_text(f"d = deep(depth: {kib // 4})\noutput(input: box(size: 1))\n")
                outcome = ndg_process("run", graph, "-q", "--nodes", nodes, "--modules", modules, seconds=600)
                failed = verdict(outcome)
                trapped = outcome.exit_code == 2 and "trapped" in outcome.output
                return failed or (None if trapped == traps and outcome.exit_code in (0, 2) else "wrong")
            yield f"node recursing {kib} KiB, {modules}", recursing


# -- surface 5: faults: cache damage, limits, kills ---------------------------------------------

def fault_cases(rng: random.Random, work: Path) -> Iterator[Case]:
    from ndg.runtime.abi import MAGIC

    source = EXAMPLES / "basics.ndg"
    cache = work / "cache"
    env = {"NDG_CACHE_DIR": str(cache)}
    warm = ndg_process("run", source, "--json", env=env, seconds=900)  # builds the node library into the new cache
    assert warm.exit_code == 0, warm.output
    expected_words = json.loads(warm.output)["result"]

    def run_and_compare() -> str | None:
        outcome = ndg_process("run", source, "--json", env=env, seconds=120)  # a damaged module is rebuilt: ~10 s
        failed = verdict(outcome)
        if failed:
            return failed
        return None if json.loads(outcome.output)["result"] == expected_words else "wrong"

    def damaged(kind: str, folder: str, at_fraction: float):
        def run():
            entries = sorted(p for p in (cache / folder).glob("*") if not p.name.endswith(".sha256"))
            if not entries:
                return run_and_compare()
            entry = rng.choice(entries)
            data = bytearray(entry.read_bytes())
            at = int(at_fraction * (len(data) - 1))
            if kind == "flip":
                data[at] ^= 1 << rng.randrange(8)
            elif kind == "truncate":
                data = data[:at]
            else:
                data[at : at + 64] = os.urandom(64)
            entry.write_bytes(bytes(data))
            return run_and_compare()
        return run

    for index in range(300):
        kind = rng.choice(["flip", "flip", "truncate", "scramble"])
        folder = "modules" if index % 10 == 0 else "compiled"  # a damaged module costs a cargo rebuild
        yield f"{kind} in {folder} #{index}", damaged(kind, folder, rng.random())
    home = work / "home"
    for value in ["relative-cache", str(work / "file-cache"), "/proc/ndg-adv-cache", "", "~", "~/x", "/dev/null"]:
        def odd_cache(value=value):
            (work / "file-cache").write_text("")
            if value.startswith("~"):  # the home folder, as in a shell: a warm cache there, no `~` folder here
                under_home = home / value[2:]
                if not (under_home / "modules").exists():
                    shutil.copytree(cache / "modules", under_home / "modules")
                failed = verdict(ndg_process("run", source, "-q", env={"NDG_CACHE_DIR": value, "HOME": str(home)}, cwd=work))
                return failed or ("wrong" if (work / "~").exists() or not (under_home / "compiled").exists() else None)
            return verdict(ndg_process("run", source, "-q", env={"NDG_CACHE_DIR": value}, cwd=work))
        yield f"NDG_CACHE_DIR={value}", odd_cache
    for gib in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0):
        def limited(gib=gib):
            limit = int(gib * 2**30)
            return verdict(ndg_process("run", source, "-q", env=env,
                                       preexec=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))))
        yield f"ulimit -v {gib} GiB", limited
    for index in range(138):
        def killed(index=index):
            plan = work / "killed.ndp"
            old = b"old plan"
            plan.write_bytes(old)
            process = subprocess.Popen([NDG, "compile", str(source), "-o", str(plan)], env={**os.environ, **env},
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.05 + (index % 23) * 0.03)
            process.kill()
            process.wait()
            data = plan.read_bytes()
            if data != old and not data.startswith(MAGIC):
                return "damaged"
            ndg("compile", source, "-o", work / "again.ndp")  # a later write removes abandoned temp files
            leftovers = [p for p in plan.parent.iterdir() if p.name.startswith(".ndg-partial")]
            return "damaged" if leftovers else None
        yield f"SIGKILL during compile -o #{index}", killed


# -- surface 6: outputs (issue 15's output writer) ----------------------------------------------

def output_cases(rng: random.Random, work: Path) -> Iterator[Case]:
    source = work / "g.ndg"
    source.write_text((EXAMPLES / "basics.ndg").read_text())

    def written(command: list, target: Path | str, survives: Path, read_only: bool = False):
        """`survives` (the input) must be unchanged afterwards, and a read-only target too."""
        def run():
            before = survives.read_bytes()
            failed = verdict(ndg(*command, target))
            if failed:
                return failed
            if survives.read_bytes() != before or (read_only and Path(target).read_text() != "keep"):
                return "damaged"
            return None
        return run

    targets = {
        "/dev/null": "/dev/null", "/dev/full": "/dev/full", "standard output": "-", "a new file": work / "new.out", "a read-only file": work / "ro.out",
        "a folder": work, "a missing folder": work / "missing" / "x.out", "a 255-byte name": work / ("n" * 251 + ".out"),
        "a 300-byte name": work / ("n" * 296 + ".out"), "a symlink": work / "link.out", "the source": source,
    }
    (work / "ro.out").write_text("keep")
    os.chmod(work / "ro.out", 0o444)
    with contextlib.suppress(FileExistsError):
        os.symlink(work / "linked.out", work / "link.out")
    graph_json = ROOT / "fuzz" / "corpus" / "import" / "basics.json"
    plan = work / "basics.ndp"
    ndg("compile", source, "-o", plan)
    # command: (its arguments before the output, its input, the output's extension)
    commands = {"compile": (["compile", source, "-o"], source, ".ndp"),
                "export": (["export", source, "-o"], source, ".json"),
                "run -o": (["run", source, "-q", "-o"], source, ".glb"),
                "run --png": (["run", source, "-q", "--png"], source, ".png"),
                "import": (["import", graph_json, "-o"], graph_json, ".ndg"),
                "plan show --png": (["plan", "show", plan, "--png"], plan, ".png")}
    for command_name, (command, given, suffix) in commands.items():
        for target_name, target in targets.items():
            if target_name == "the source":
                target = given
            elif isinstance(target, Path) and target.suffix == ".out":
                target = target.with_suffix(suffix)
                if target_name == "a read-only file":
                    target.write_text("keep")
                    os.chmod(target, 0o444)
            yield f"{command_name} to {target_name}", written(command, target, given, target_name == "a read-only file")


SURFACES = {
    ".ndg source, --set": source_cases,
    "crafted plans": plan_cases,
    "Nodarium import": import_cases,
    "scaffolding, definitions": scaffold_cases,
    "faults (cache, kills, limits)": fault_cases,
    "outputs": output_cases,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--surface", choices=SURFACES, action="append")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    table = Table(title=f"adversarial sweep (seed {args.seed})")
    for column in ("surface", "cases", "held", "failed"):
        table.add_column(column, justify="left" if column in ("surface", "failed") else "right")
    for name in args.surface or SURFACES:
        rng = random.Random(args.seed)
        failures: collections.Counter = collections.Counter()
        examples: dict[str, str] = {}
        cases = 0
        with tempfile.TemporaryDirectory() as folder:
            for label, case in SURFACES[name](rng, Path(folder)):
                cases += 1
                try:
                    failed = case()
                except Exception as error:  # the sweep's own code or an escaped exception
                    failed = f"traceback ({type(error).__name__})"
                if failed:
                    failures[failed] += 1
                    examples.setdefault(failed, label)
                    if args.verbose:
                        print(f"{name}: {label}: {failed}", flush=True)
        summary = ", ".join(f"{count} {kind} (e.g. {examples[kind]})" for kind, count in failures.items()) or "0"
        table.add_row(name, str(cases), str(cases - sum(failures.values())), summary)
        Console().print(f"{name}: {cases} cases, {sum(failures.values())} failed", style="dim")
    Console().print(table)


if __name__ == "__main__":
    main()

"""Build a node library into one wasm32 module, cached by the content hash of everything that goes in."""

from __future__ import annotations

import fcntl
import hashlib
import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from ndg.cache import cache_dir, cache_folder, read_entry, write_entry
from ndg.compiler.codegen import generate
from ndg.compiler.definitions import NodeDef, builtin_node_dir
from ndg.compiler.planner import ModuleInfo
from ndg.compiler.toolchain import TARGET, find_toolchain, host_target
from ndg.compiler.wasm_inspect import inspect_module
from ndg.errors import UserError
from ndg.runtime.plan import module_digest

# What the module may import: the memory the host owns, and the panic message channel.
ALLOWED_IMPORTS = {("env", "memory", "memory"), ("env", "ndg_panic", "func")}


@dataclass(frozen=True)
class BuiltModule:
    path: Path
    info: ModuleInfo
    cached: bool

    @property
    def wasm(self) -> bytes:
        return self.path.read_bytes()


def _crate_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "target" not in p.relative_to(folder).parts)


def build_key(nodes: tuple[NodeDef, ...], generated: dict[str, str]) -> str:
    """A hash of the generated crate and every source file of the nodes and the utility crate."""
    digest = hashlib.sha256()
    folders = [builtin_node_dir() / "ndg_util", *(node.folder for node in nodes)]
    for name, text in sorted(generated.items()):
        digest.update(f"generated {name}\0".encode() + text.encode() + b"\0")
    for folder in folders:
        for path in _crate_files(folder):
            digest.update(f"{path}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


def check_imports_and_memory(module: bytes, what: str = "the module") -> None:
    """A module may import only the host's memory and panic channel, and must not export a memory."""
    shape = inspect_module(module)
    unexpected = [f"{m}.{n} ({k})" for m, n, k in shape.imports if (m, n, k) not in ALLOWED_IMPORTS]
    if unexpected:
        raise UserError(f"{what} imports {', '.join(unexpected)}, which ndg does not provide",
                        "a node may only use env.memory and env.ndg_panic; remove what needs the rest")
    if ("env", "memory", "memory") not in shape.imports:
        raise UserError(f"{what} does not import env.memory", "build it with `-C link-arg=--import-memory`")
    if any(kind == "memory" for _, kind in shape.exports):
        raise UserError(f"{what} exports its own memory",
                        "build it with `-C link-arg=--import-memory` so it uses the memory ndg gives it")


def check_module(module: bytes) -> ModuleInfo:
    """The contract every module must keep; refused with a message otherwise."""
    check_imports_and_memory(module)
    shape = inspect_module(module)
    if shape.exported_kind("ndg_run") != "func":
        raise UserError("the module does not export the ndg_run dispatcher")
    if shape.heap_base is None:
        raise UserError("the module does not export __heap_base, so its static region is unknown")
    return ModuleInfo(module_digest(module), len(module), (), shape.heap_base, shape.memory_min_pages or 0)


def cargo_build(crate: Path, target_dir: Path, what: str, target: str = TARGET, rustflags: tuple[str, ...] = ()) -> Path:
    """Build `crate` for `target` (wasm32 unless told) in release mode, with `rustflags` for that
    target when given; the folder its artifacts land in. `what` names the crate in the error a
    failed build raises."""
    toolchain = find_toolchain()
    env = toolchain.environment()
    if rustflags:
        env[f"CARGO_TARGET_{target.upper().replace('-', '_')}_RUSTFLAGS"] = " ".join(rustflags)
    done = subprocess.run([str(toolchain.cargo), "build", "--release", "--offline", "--quiet", "--target", target,
                           "--target-dir", str(target_dir)],
                          cwd=crate, env=env, capture_output=True, text=True,
                          # Nothing for cargo to read: with some inherited stdins its rustc probe
                          # failed ("couldn't read from stdin").
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise UserError(f"building {what} failed:\n{done.stderr.strip()}",
                        "the Rust error above names the node file and line")
    return target_dir / target / "release"


def library_info_for_checking(nodes: tuple[NodeDef, ...]) -> ModuleInfo:
    """What the planner needs of the module for these nodes, without building it: the built
    module's own info when it is in the cache, otherwise a module with no static data (the real
    one adds about half a MiB)."""
    kinds = tuple(node.id for node in nodes)
    key = build_key(nodes, generate(nodes).files)
    recorded = read_entry(cache_dir() / "modules" / f"{key}.json")
    if recorded is not None:
        return ModuleInfo(**{**json.loads(recorded), "kinds": kinds})
    return ModuleInfo("", 0, kinds, 0, 1)


def build_library(nodes: tuple[NodeDef, ...]) -> BuiltModule:
    """The module for these nodes (kinds numbered in this order), from the cache when unchanged."""
    generated = generate(nodes).files
    key = build_key(nodes, generated)
    module_path = cache_folder("modules") / f"{key}.wasm"
    info_path = module_path.with_suffix(".json")
    kinds = tuple(node.id for node in nodes)
    recorded = read_entry(info_path)
    if recorded is not None and read_entry(module_path) is not None:
        info = ModuleInfo(**{**json.loads(recorded), "kinds": kinds})
        return BuiltModule(module_path, info, cached=True)
    built = _build_crate(key, generated, TARGET, "ndg_module.wasm")
    info = ModuleInfo(**{**asdict(check_module(built)), "kinds": kinds})
    write_entry(module_path, built)
    write_entry(info_path, json.dumps({k: v for k, v in asdict(info).items() if k not in ("kinds", "statics")}).encode())
    return BuiltModule(module_path, info, cached=False)


def _build_crate(key: str, generated: dict[str, str], target: str, artifact: str, rustflags: tuple[str, ...] = ()) -> bytes:
    """The generated crate `key` built for `target` (with `rustflags`): the bytes of its file `artifact`."""
    crate = cache_folder("crates", key)
    for name, text in generated.items():
        (crate / name).parent.mkdir(parents=True, exist_ok=True)
        (crate / name).write_text(text)
    # The cargo target folder is shared by every build (incremental builds are much faster), so
    # a build and the read of what it produced hold it alone: another process building another
    # node set in between would otherwise hand this one its module.
    target_dir = cache_folder("target")
    with (target_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return (cargo_build(crate, target_dir, "the node library", target, rustflags) / artifact).read_bytes()


def build_native_library(nodes: tuple[NodeDef, ...], tuned: bool = False) -> Path:
    """The same generated crate as `build_library`'s, built for this machine as a shared library
    (for benchmarks and cross-engine checks: bench/bench_engines.py, ndg/native.py), cached alike:
    for the target's baseline CPU (x86-64: SSE2), or `tuned` for every feature of this one
    (`-C target-cpu=native`: AVX2 and more, which wasmtime's compiler uses too)."""
    generated = generate(nodes).files
    key = build_key(nodes, generated)
    host = host_target()
    rustflags = ("-C", "target-cpu=native") if tuned else ()
    # A tuned build runs only on CPUs with its features: its cache folder is named by them.
    folder = f"{host}-{_native_features()}" if tuned else host
    library_path = cache_folder("native", folder) / f"{key}.so"
    if read_entry(library_path) is None:
        write_entry(library_path, _build_crate(key, generated, host, "libndg_module.so", rustflags))
    return library_path


def _native_features() -> str:
    """A short digest of the target features `-C target-cpu=native` turns on here."""
    described = subprocess.run([str(find_toolchain().rustc), "--print", "cfg", "-C", "target-cpu=native"],
                               capture_output=True, text=True, check=True).stdout
    return hashlib.sha256(described.encode()).hexdigest()[:12]

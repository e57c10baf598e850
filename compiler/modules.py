"""Per-node modules: each node type of a graph is a wasm module of its own, linked at the address
the planner gives it, and all of them share the host's one memory.

A node is built once (cached by content hash) as a relocatable wasm32 object whose only export is
`ndg_step(control, step)`. For a plan it is linked with wasm-ld at the planned `--global-base`,
which puts the data at the base and `__heap_base` after it, so the module's static region is
`[base, __heap_base)`. The stack is not there: every module's stack pointer is set to the top of
the plan's static region at address 0, one stack shared by all (a node runs to its end before
the next starts), as the one module of a single-module plan has it (rustc links it stack first).
Nothing lies below a stack, so a node recursing past it reaches below address 0 and traps
instead of writing over other memory. (wasm-ld 14 ignores `--global-base` under `--stack-first`,
hence the stack pointer set afterwards.) What each linked module really occupies is read back
from the binary and must be the region the planner gave it. A small dispatcher module, assembled
from WebAssembly text, imports every module's `ndg_step` and walks the step table for fused runs.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from ndg.cache import cache_folder, read_entry, write_entry
from ndg.compiler.build import BuiltModule, build_key, cargo_build, check_imports_and_memory
from ndg.compiler.codegen import STACK_BYTES, node_view, templates
from ndg.compiler.definitions import NodeDef, builtin_node_dir
from ndg.compiler.planner import ModuleInfo, ModuleStatic
from ndg.compiler.wasm_inspect import inspect_module, wasm_tools
from ndg.errors import UserError
from ndg.outputs import write_output
from ndg.runtime.abi import (
    MAX_NODE_MODULES,
    STEP_EXPORT,
    WORD_BYTES,
    ControlField,
    RegionKind,
    Status,
)
from ndg.runtime.plan import NodeModule, Plan, dispatcher_import, module_digest
from ndg.runtime.wasm_sections import data_segments, mutable_i32_globals, with_stack_pointer

# Where a node is linked to measure its static region before the planner places it.
PROBE_BASE = 1 << 20
MODULE_ALIGN = 16


def find_linker() -> Path:
    """wasm-ld: rust-lld (which Debian links to lld) or lld's own wasm-ld."""
    for name in ("rust-lld", "wasm-ld", "wasm-ld-14"):
        found = shutil.which(name)
        if found:
            return Path(found)
    raise UserError("no wasm linker (rust-lld or wasm-ld) was found, so nodes cannot be built as separate modules",
                    "install one (Debian: `apt-get install lld-14`), or compile without --modules per-node")


@dataclass(frozen=True)
class StaticRegion:
    """The bytes a linked module owns in the shared memory (its data segments, up to its heap
    base), and where its stack pointer starts (None: it has none)."""

    start: int
    end: int
    stack_pointer: int | None = None


def static_region(module: bytes, name: str) -> StaticRegion:
    """Read back from the binary where the module's data, heap base and stack pointer lie."""
    shape = inspect_module(module)
    if shape.heap_base is None:
        raise UserError(f"module `{name}` does not export __heap_base, so where its static data ends is unknown",
                        "link it with wasm-ld, which exports __heap_base when given `--export=__heap_base`")
    segments = data_segments(module)
    stacks = mutable_i32_globals(module)
    if len(stacks) > 1:
        raise UserError(f"module `{name}` has {len(stacks)} mutable globals; ndg knows only one, the stack pointer",
                        "build it so that it keeps no other state in globals")
    data_start = min((address for address, _ in segments), default=shape.data_end or shape.heap_base)
    data_end = max((address + length for address, length in segments), default=data_start)
    return StaticRegion(data_start, max(shape.heap_base, data_end), stacks[0] if stacks else None)


def check_node_module(module: bytes, name: str) -> StaticRegion:
    """The contract of a node module: only env.memory and env.ndg_panic imported, the memory not
    exported, `ndg_step` exported, and a static region that can be read back."""
    check_imports_and_memory(module, f"module `{name}`")
    if inspect_module(module).exported_kind(STEP_EXPORT) != "func":
        raise UserError(f"module `{name}` does not export the function {STEP_EXPORT}(control, step) -> status",
                        "export it: it runs one step of the plan through ndg_util::abi::run")
    return static_region(module, name)


def check_disjoint(regions: dict[str, StaticRegion], taken: tuple[tuple[str, int, int], ...] = ()) -> None:
    """No two modules' static regions overlap each other, or any other region of the plan."""
    spans = sorted([(r.start, r.end, f"module `{name}`") for name, r in regions.items()]
                   + [(start, end, what) for what, start, end in taken])
    reach, before = 0, ("", 0, 0)  # the furthest end so far, and what reaches it
    for start, end, what in spans:
        if start < reach and start < end:
            first, first_start, first_end = before
            raise UserError(f"the static data of {first} ({first_start:#x}..{first_end:#x}) overlaps {what} "
                            f"(from {start:#x})",
                            "relink the module at another --global-base, or build it from source so ndg can place it")
        if end > reach:
            reach, before = end, (what, start, end)


def _crate_files(node: NodeDef) -> dict[str, str]:
    env = templates()
    view = node_view(node, "node")
    util = str(builtin_node_dir() / "ndg_util")
    return {
        "Cargo.toml": env.get_template("step_Cargo.toml.j2").render(node=view, crate_name="ndg_step",
                                                                    util_path=util),
        "lib.rs": env.get_template("step_lib.rs.j2").render(node=view),
        ".cargo/config.toml": env.get_template("step_config.toml.j2").render(),
    }


def build_object(node: NodeDef) -> tuple[Path, bool]:
    """The node as a relocatable wasm32 object (and whether it came from the cache)."""
    files = _crate_files(node)
    key = build_key((node,), files)
    built = cache_folder("objects") / f"{key}.o"
    if read_entry(built) is not None:
        return built, True
    crate = cache_folder("crates", f"step-{key}")
    for name, text in files.items():
        (crate / name).parent.mkdir(parents=True, exist_ok=True)
        (crate / name).write_text(text)
    release = cargo_build(crate, crate / "target", f"node `{node.id}`")
    write_entry(built, (release / "ndg_step.wasm").read_bytes())
    return built, False


def link(built: Path, base: int, stack_top: int) -> bytes:
    """The node's module, its data at `base`, its stack below `stack_top` (the shared stack's top)."""
    with tempfile.TemporaryDirectory() as folder:
        undefined = Path(folder) / "imports.txt"
        undefined.write_text("ndg_panic\n")
        output = Path(folder) / "node.wasm"
        linker = find_linker()
        flavor = ["-flavor", "wasm"] if linker.name == "rust-lld" else []
        done = subprocess.run([str(linker), *flavor, "--no-entry", "--import-memory", f"--global-base={base}",
                               "-z", "stack-size=0", f"--allow-undefined-file={undefined}",
                               f"--export={STEP_EXPORT}", "--export=__heap_base", "--export=__data_end",
                               "--gc-sections", "--strip-debug", str(built), "-o", str(output)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError(f"linking {built.name} failed: {done.stderr.strip()}")
        return with_stack_pointer(output.read_bytes(), stack_top)


def dispatcher_text(n_kinds: int) -> str:
    return templates().get_template("dispatcher.wat.j2").render(
        imports=[dispatcher_import(kind) for kind in range(n_kinds)], step_export=STEP_EXPORT,
        control={field.name.lower(): WORD_BYTES * field for field in ControlField},
        status={status.name.lower(): int(status) for status in Status})


def assemble(text: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "dispatcher.wat"
        source.write_text(text)
        done = subprocess.run([wasm_tools(), "parse", str(source), "-o", str(Path(folder) / "out.wasm")],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError(f"wasm-tools could not assemble the dispatcher: {done.stderr.strip()}")
        return (Path(folder) / "out.wasm").read_bytes()


@dataclass(frozen=True)
class UnplacedModule:
    """One node type's module before the plan places it: a static library ndg links where the plan
    says, or a prebuilt module whose static region is already fixed."""

    node: NodeDef
    obj: Path | None  # the relocatable object ndg links, or None for a prebuilt module
    prebuilt: bytes | None
    region: StaticRegion  # as linked at PROBE_BASE for an object; where it is for a prebuilt module

    @property
    def planned(self) -> ModuleStatic:
        """The static region, 16-byte aligned, as the planner takes it."""
        start = self.region.start - self.region.start % MODULE_ALIGN
        end = -(-self.region.end // MODULE_ALIGN) * MODULE_ALIGN
        return ModuleStatic(self.node.id, end - start, start if self.prebuilt is not None else None)


@dataclass(frozen=True)
class NodeModules:
    """A graph's node types as separate modules, measured but not yet placed."""

    modules: tuple[UnplacedModule, ...]
    dispatcher: bytes
    cached: bool

    def module_info(self) -> ModuleInfo:
        return ModuleInfo(module_digest(self.dispatcher), len(self.dispatcher), tuple(m.node.id for m in self.modules),
                          STACK_BYTES, 0, statics=tuple(m.planned for m in self.modules))


def _prebuilt(node: NodeDef, path: Path) -> UnplacedModule:
    try:
        module = path.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read the module of node `{node.id}` ({path}): {error.strerror}") from None
    return UnplacedModule(node, None, module, check_node_module(module, node.id))


def check_fixed_regions(modules: tuple[UnplacedModule, ...]) -> None:
    """Prebuilt modules keep their own addresses: refuse any that overlap the shared stack or each other."""
    planned = [(m.planned, m) for m in modules]
    fixed = sorted(((p.offset, p.size, m) for p, m in planned if p.offset is not None), key=lambda entry: entry[0])
    top, below = STACK_BYTES, f"the node modules' shared stack (0x0..{STACK_BYTES:#x})"
    for offset, size, module in fixed:
        if offset < top:
            raise UserError(f"the prebuilt module of node `{module.node.id}` ({module.node.prebuilt_module}) has its "
                            f"static data and stack at {module.region.start:#x}..{module.region.end:#x}, "
                            f"overlapping {below}",
                            f"relink it with wasm-ld --global-base={top} or higher (without --stack-first), "
                            "or publish the node's source instead")
        top, below = offset + size, f"the static data of node `{module.node.id}`'s module"


def build_node_modules(nodes: tuple[NodeDef, ...]) -> NodeModules:
    if len(nodes) > MAX_NODE_MODULES:
        raise UserError(f"the graph uses {len(nodes)} node types; separate modules allow at most {MAX_NODE_MODULES}",
                        "compile it as one module (the default)")
    modules, cached = [], True
    for node in nodes:
        if node.prebuilt_module is not None:
            modules.append(_prebuilt(node, node.prebuilt_module))
            continue
        obj, was_cached = build_object(node)
        modules.append(UnplacedModule(node, obj, None, check_node_module(link(obj, PROBE_BASE, STACK_BYTES), node.id)))
        cached = cached and was_cached
    check_fixed_regions(tuple(modules))
    return NodeModules(tuple(modules), assemble(dispatcher_text(len(nodes))), cached)


def link_for_plan(built: NodeModules, plan: Plan) -> tuple[Plan, BuiltModule]:
    """Link every node at the region the plan gives it, its stack the plan's static region (a
    prebuilt module's too), check it lies there, and record the modules."""
    regions = {r.name: r for r in plan.regions if r.kind == "module"}
    stack_top = plan.region(RegionKind.STATIC).end
    modules, records, found = [], [], {}
    for built_module in built.modules:
        node_id, planned = built_module.node.id, regions[built_module.node.id]
        if built_module.prebuilt is not None:
            module = with_stack_pointer(built_module.prebuilt, stack_top)
        else:
            assert built_module.obj is not None  # a module is either prebuilt or an object to link
            module = link(built_module.obj, planned.offset, stack_top)
        found[node_id] = region = check_node_module(module, node_id)
        if not planned.offset <= region.start <= region.end <= planned.end:
            raise UserError(f"module `{node_id}` linked at {planned.offset:#x} occupies {region.start:#x}..{region.end:#x}, "
                            f"outside its planned region {planned.offset:#x}..{planned.end:#x}")
        modules.append(module)
        records.append(NodeModule(node_id, module_digest(module), len(module)))
    others = tuple((f"the plan's {r.kind} region", r.offset, r.end) for r in plan.regions if r.kind != "module")
    check_disjoint(found, others)
    blob = built.dispatcher + b"".join(modules)
    path = cache_folder("linked") / f"{module_digest(blob)}.wasm"
    write_output(path, blob)
    return replace(plan, modules=tuple(records)), BuiltModule(path, built.module_info(), built.cached)

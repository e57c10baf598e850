"""Per-node plans: every node type a module of its own on the shared memory, linked at the place
the planner gives it. Results byte-identical to single-module plans; static regions read back
from the binaries disjoint; modules that break the contract refused with a message."""

import dataclasses
import itertools
import json
import subprocess

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, f32_bits, scalar_chains, write_nodes
from hypothesis import given, settings
from hypothesis import strategies as st
from test_run_failures import NODES as FAILING

from ndg.cli import main
from ndg.compiler.codegen import STACK_BYTES
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import compile_text, read_source
from ndg.compiler.modules import (
    PROBE_BASE,
    StaticRegion,
    build_object,
    check_disjoint,
    check_node_module,
    link,
    static_region,
)
from ndg.compiler.wasm_inspect import wasm_tools
from ndg.errors import UserError
from ndg.runtime.engine import RunError, Runner
from ndg.runtime.plan import decode_plan, encode_plan, module_digest, split_modules
from ndg.runtime.validate import PlanInvalid, validate_plan
from ndg.runtime.wasm_sections import with_stack_pointer

EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.glob("*.ndg"))


@pytest.fixture(scope="module", params=EXAMPLE_NAMES)
def both(request):
    text = read_source(EXAMPLES / request.param)
    return compile_text(text, request.param), compile_text(text, request.param, modules="per-node")


def node_values(runner: Runner) -> list[bytes]:
    return [runner.value(step.output).tobytes() for step in runner.plan.steps]


@pytest.mark.toolchain
def test_per_node_plans_give_the_bytes_of_single_module_plans(both):
    single, per_node = both
    assert per_node.plan.modules and not single.plan.modules
    assert per_node.plan.kinds == tuple(m.node for m in per_node.plan.modules)
    with Runner(single.plan, single.module.wasm) as one:
        one.run()
        expected = node_values(one)
    for stepped in (False, True):
        with Runner(per_node.plan, per_node.module.wasm) as many:
            many.run(stepped=stepped, check=stepped)
            assert node_values(many) == expected


def read_back(plan, blob: bytes) -> dict:
    """Each node module's static region as its binary says (data segments, stack pointer, heap base)."""
    _, modules = split_modules(plan, blob)
    return {record.node: static_region(module, record.node) for record, module in zip(plan.modules, modules)}


def assert_modules_placed(plan, blob: bytes):
    found = read_back(plan, blob)
    regions = {r.name: r for r in plan.regions if r.kind == "module"}
    for node, region in found.items():
        assert regions[node].offset <= region.start < region.end <= regions[node].end, node
    spans = sorted([(r.start, r.end) for r in found.values()]
                   + [(r.offset, r.end) for r in plan.regions if r.kind != "module" and r.size])
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    assert min(region.start for region in found.values()) > 0  # no module's data at the null address
    # One stack, at address 0, below everything: an overflow traps (tests/test_stack_overflow.py).
    assert {region.stack_pointer for region in found.values()} == {plan.region("static").end}


@pytest.mark.toolchain
def test_static_regions_read_back_from_the_modules_are_disjoint(both):
    _, per_node = both
    assert_modules_placed(per_node.plan, per_node.module.wasm)


@pytest.mark.toolchain
@settings(max_examples=8, deadline=None)
@given(scalar_chains(12), st.sampled_from(["keep", "reuse"]))
def test_generated_graphs_place_their_modules_apart_and_match_one_module(text, layout):
    per_node = compile_text(text, "gen.ndg", layout=layout, modules="per-node")
    validate_plan(per_node.plan)
    assert_modules_placed(per_node.plan, per_node.module.wasm)
    single = compile_text(text, "gen.ndg", layout=layout)
    with Runner(single.plan, single.module.wasm) as one, Runner(per_node.plan, per_node.module.wasm) as many:
        assert many.run().tobytes() == one.run().tobytes()


BASICS = read_source(EXAMPLES / "basics.ndg")


@pytest.fixture(scope="module")
def basics():
    return compile_text(BASICS, "basics.ndg", modules="per-node")


@pytest.mark.toolchain
def test_a_per_node_plan_survives_its_file_and_the_cli(basics, tmp_path):
    plan, blob = decode_plan(encode_plan(basics.plan, basics.module.wasm))
    assert plan == basics.plan and blob == basics.module.wasm
    (tmp_path / "basics.ndg").write_text(BASICS)
    for args in (["compile", "basics.ndg", "--modules", "per-node", "-o", "b.ndp"], ["run", "b.ndp", "-o", "many.bin"],
                 ["run", "basics.ndg", "-o", "one.bin"]):
        paths = [str(tmp_path / a) if a.endswith((".ndg", ".ndp", ".bin")) else a for a in args[1:]]
        done = CliRunner().invoke(main, [args[0], *paths, "-q"])
        assert done.exit_code == 0, done.output
    assert (tmp_path / "many.bin").read_bytes() == (tmp_path / "one.bin").read_bytes()


@pytest.mark.toolchain
def test_the_dispatcher_refuses_a_bad_step_range(basics):
    with Runner(basics.plan, basics.module.wasm) as runner:
        runner.empty_call()
        with pytest.raises(UserError, match="does not match the module"):
            runner._invoke(runner._run, runner._control, 0, len(basics.plan.steps) + 1)


def relinked(compiled, kind: int, base: int):
    """The plan with kind `kind`'s module linked at `base` instead of its planned place."""
    dispatcher, modules = split_modules(compiled.plan, compiled.module.wasm)
    obj, _ = build_object(NodeLibrary.load(()).by_id(compiled.plan.kinds[kind]))
    moved = link(obj, base, STACK_BYTES)
    records = list(compiled.plan.modules)
    records[kind] = dataclasses.replace(records[kind], sha256=module_digest(moved), size=len(moved))
    blob = dispatcher + b"".join(moved if index == kind else m for index, m in enumerate(modules))
    return dataclasses.replace(compiled.plan, modules=tuple(records)), blob


@pytest.mark.toolchain
def test_a_module_linked_over_the_plans_tables_is_refused_before_it_runs(basics):
    control = basics.plan.region("control").offset
    plan, blob = relinked(basics, 0, control)
    with pytest.raises(PlanInvalid, match="module of node `max/plantarium/float` does not keep to its static region"):
        Runner(plan, blob)


@pytest.mark.toolchain
def test_a_module_linked_over_another_module_is_refused_before_it_runs(basics):
    second = next(r for r in basics.plan.regions if r.kind == "module" and r.name == basics.plan.kinds[1])
    plan, blob = relinked(basics, 0, second.offset)
    with pytest.raises(PlanInvalid, match="does not keep to its static region"):
        Runner(plan, blob)


@pytest.mark.toolchain
@pytest.mark.parametrize("stack_at", ["its own data's end", "address 0"])
def test_a_module_whose_stack_is_not_the_shared_one_below_everything_is_refused(basics, stack_at):
    """Linked as wasm-ld does without --stack-first (the stack after the data), a node recursing too
    deep writes over the data below its stack instead of trapping."""
    dispatcher, modules = split_modules(basics.plan, basics.module.wasm)
    region = next(r for r in basics.plan.regions if r.kind == "module" and r.name == basics.plan.kinds[0])
    moved = with_stack_pointer(modules[0], region.end if stack_at == "its own data's end" else 0)
    records = list(basics.plan.modules)
    records[0] = dataclasses.replace(records[0], sha256=module_digest(moved), size=len(moved))
    plan = dataclasses.replace(basics.plan, modules=tuple(records))
    with pytest.raises(PlanInvalid, match=r"module of node `max/plantarium/float` does not keep to its static region: "
                                          r"its stack pointer \(\d+\) is not at the bottom of the memory"):
        Runner(plan, dispatcher + moved + b"".join(modules[1:]))


@pytest.mark.toolchain
def test_damaged_per_node_plans_are_refused(basics):
    plan, blob = basics.plan, basics.module.wasm
    with pytest.raises(UserError, match="modules hold"):
        Runner(plan, blob[:-1])
    swapped = dataclasses.replace(plan, modules=plan.modules[::-1])
    with pytest.raises(PlanInvalid, match="one per kind, in kind order"):
        validate_plan(swapped)
    without = dataclasses.replace(plan, modules=())
    with pytest.raises(PlanInvalid, match="module regions without per-node modules"):
        validate_plan(without)
    wrong = list(plan.modules)
    wrong[1] = dataclasses.replace(wrong[1], sha256=wrong[0].sha256)
    with pytest.raises(UserError, match="module of node `max/plantarium/math` does not match the SHA-256"):
        Runner(dataclasses.replace(plan, modules=tuple(wrong)), blob)


def wat(text: str) -> bytes:
    return subprocess.run([wasm_tools(), "parse", "-"], input=text.encode(), capture_output=True, check=True).stdout


def node_module(data_at: int, body: str = "", imports: str = '(import "env" "memory" (memory 1))') -> bytes:
    """A hand-written node module: one data segment at `data_at`, a stack above it, `ndg_step`."""
    return wat(f"""(module {imports}
      (global $sp (mut i32) (i32.const {data_at + 4096}))
      (global (export "__heap_base") i32 (i32.const {data_at + 4096}))
      (data (i32.const {data_at}) "node")
      (func (export "ndg_step") (param i32 i32) (result i32) (i32.const 0))
      {body})""")


def test_a_module_that_keeps_to_the_contract_is_read_back():
    assert check_node_module(node_module(2048), "test/x") == static_region(node_module(2048), "test/x")
    assert static_region(node_module(2048), "test/x").start == 2048
    assert static_region(node_module(2048), "test/x").end == 2048 + 4096


def test_a_module_that_exports_its_memory_is_refused():
    exporting = wat("""(module (memory (export "memory") 1)
      (func (export "ndg_step") (param i32 i32) (result i32) (i32.const 0)))""")
    with pytest.raises(UserError, match=r"does not import env\.memory") as error:
        check_node_module(exporting, "test/own-memory")
    assert "--import-memory" in error.value.hint
    reexporting = node_module(2048, '(export "memory" (memory 0))')
    with pytest.raises(UserError, match="module `test/reexport` exports its own memory") as error:
        check_node_module(reexporting, "test/reexport")
    assert "--import-memory" in error.value.hint


def test_a_module_with_an_unexpected_import_is_refused():
    clock = node_module(2048, imports='(import "env" "memory" (memory 1)) (import "wasi" "clock" (func))')
    with pytest.raises(UserError, match=r"module `test/clock` imports wasi\.clock \(func\), which ndg does not provide"):
        check_node_module(clock, "test/clock")


def test_two_modules_whose_static_data_collide_are_refused():
    regions = {"test/a": check_node_module(node_module(2048), "test/a"),
               "test/b": check_node_module(node_module(4096), "test/b")}
    with pytest.raises(UserError, match=r"static data of module `test/a` \(0x800\.\.0x1800\) overlaps module `test/b`") as error:
        check_disjoint(regions)
    assert "--global-base" in error.value.hint
    check_disjoint({"test/a": regions["test/a"], "test/c": check_node_module(node_module(8192), "test/c")})


@pytest.mark.toolchain
def test_a_module_is_read_back_as_its_data_and_its_stack_pointer():
    """ndg links a node's data at the base it gives and its stack pointer at the shared stack's top;
    rustc's own layout puts the stack below the data: either way the region is the data's."""
    obj, _ = build_object(NodeLibrary.load(()).by_id("max/plantarium/float"))
    region = static_region(link(obj, PROBE_BASE, STACK_BYTES), "float")
    assert region.start == PROBE_BASE and region.end > PROBE_BASE and region.stack_pointer == STACK_BYTES
    stack_first = wat("""(module (import "env" "memory" (memory 1))
      (global $sp (mut i32) (i32.const 65536))
      (global (export "__heap_base") i32 (i32.const 70000))
      (data (i32.const 65536) "data")
      (func (export "ndg_step") (param i32 i32) (result i32) (i32.const 0)))""")
    assert static_region(stack_first, "x") == StaticRegion(65536, 70000, 65536)


# Nodes published as built modules: a `node.wasm` beside the definition instead of Rust source.
FLOAT = NodeLibrary.load(()).by_id("max/plantarium/float")
GRAPH = "half = {node}(value: 0.5)\nsize = math(op_type: 0, a: half, b: 1)\noutput(input: box(size: size))\n"


def publish(root, name: str, module: bytes):
    """A node folder like max/plantarium/float, id test/prebuilt/NAME, published as `module`."""
    definition = json.loads((FLOAT.folder / "definition.json").read_text())
    (root / name).mkdir(parents=True)
    (root / name / "definition.json").write_text(json.dumps({**definition, "id": f"test/prebuilt/{name}"}))
    (root / name / "node.wasm").write_bytes(module)
    return root


def float_linked_at(base: int) -> bytes:
    return link(build_object(FLOAT)[0], base, STACK_BYTES)


@pytest.mark.toolchain
def test_a_prebuilt_module_is_placed_where_it_was_linked_and_gives_the_same_bytes(tmp_path):
    base = 8 << 20
    nodes = publish(tmp_path, "pfloat", float_linked_at(base))
    compiled = compile_text(GRAPH.format(node="pfloat"), "p.ndg", (nodes,), modules="per-node")
    region = next(r for r in compiled.plan.regions if r.kind == "module" and r.name == "test/prebuilt/pfloat")
    assert region.offset == base
    assert_modules_placed(compiled.plan, compiled.module.wasm)
    single = compile_text(GRAPH.format(node="float"), "p.ndg")
    with Runner(single.plan, single.module.wasm) as one, Runner(compiled.plan, compiled.module.wasm) as many:
        assert many.run().tobytes() == one.run().tobytes()
        assert many.run(stepped=True, full=True).tobytes() == one.run().tobytes()


@pytest.mark.toolchain
def test_a_prebuilt_module_cannot_join_a_single_module_plan(tmp_path):
    nodes = publish(tmp_path, "pfloat", float_linked_at(8 << 20))
    with pytest.raises(UserError, match=r"p\.ndg:1: node `half` is a `test/prebuilt/pfloat`, published as a built module") as error:
        compile_text(GRAPH.format(node="pfloat"), "p.ndg", (nodes,))
    assert error.value.hint == "compile with --modules per-node"


@pytest.mark.toolchain
def test_prebuilt_modules_whose_static_data_collide_are_refused(tmp_path):
    nodes = publish(publish(tmp_path, "pa", float_linked_at(8 << 20)), "pb", float_linked_at((8 << 20) + 4096))
    graph = "a = pa(value: 1)\nb = pb(value: 2)\noutput(input: box(size: math(op_type: 0, a: a, b: b)))\n"
    with pytest.raises(UserError, match=r"prebuilt module of node `test/prebuilt/pb` .* overlapping the static data "
                                        r"of node `test/prebuilt/pa`'s module") as error:
        compile_text(graph, "p.ndg", (nodes,), modules="per-node")
    assert "--global-base=" in error.value.hint


@pytest.mark.toolchain
@pytest.mark.parametrize("base", [0, STACK_BYTES - 4096])
def test_a_prebuilt_module_with_data_in_the_shared_stack_is_refused(tmp_path, base):
    nodes = publish(tmp_path, "pfloat", float_linked_at(base))
    with pytest.raises(UserError, match=r"overlapping the node modules' shared stack \(0x0\.\.0x40000\)") as error:
        compile_text(GRAPH.format(node="pfloat"), "p.ndg", (nodes,), modules="per-node")
    assert f"--global-base={STACK_BYTES}" in error.value.hint


@pytest.mark.parametrize("module, message", [
    (lambda: node_module(2048, '(export "memory" (memory 0))'), "module `test/prebuilt/pfloat` exports its own memory"),
    (lambda: node_module(2048, imports='(import "env" "memory" (memory 1)) (import "env" "now" (func))'),
     r"module `test/prebuilt/pfloat` imports env\.now \(func\), which ndg does not provide"),
    (lambda: wat('(module (import "env" "memory" (memory 1)) (global (export "__heap_base") i32 (i32.const 64)))'),
     "does not export the function ndg_step"),
])
def test_prebuilt_modules_that_break_the_contract_are_refused(tmp_path, module, message):
    nodes = publish(tmp_path, "pfloat", module())
    with pytest.raises(UserError, match=message):
        compile_text(GRAPH.format(node="pfloat"), "p.ndg", (nodes,), modules="per-node")


@pytest.fixture(scope="module")
def failing_nodes(tmp_path_factory):
    return write_nodes(tmp_path_factory.mktemp("nodes"), {name: FAILING[name] for name in ("panicky", "greedy")})


@pytest.mark.toolchain
@pytest.mark.parametrize("stepped", [False, True])
def test_failures_in_node_modules_name_the_node_and_leave_the_runner_usable(failing_nodes, stepped):
    text = "ok = panicky(value: 0.5)\n\nbad = panicky(value: {})\nfull = greedy(count: {})\noutput(input: box())\n"
    compiled = compile_text(text.format(3, 1), "plant.ndg", (failing_nodes,), modules="per-node")
    with Runner(compiled.plan, compiled.module.wasm) as runner:
        for _ in range(2):
            with pytest.raises(RunError, match=r"node `bad` \(plant\.ndg:3\) panicked: .*value 3 is too large"):
                runner.run(stepped=stepped)
    compiled = compile_text(text.format(0.75, 9), "plant.ndg", (failing_nodes,), modules="per-node")
    with Runner(compiled.plan, compiled.module.wasm) as runner:
        with pytest.raises(RunError, match=r"node `full` \(plant\.ndg:4\) needs more than its 6-word output slot"):
            runner.run(stepped=stepped)
        assert runner.node_value("bad").tolist() == [f32_bits(1.5)]

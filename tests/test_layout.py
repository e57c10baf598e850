"""The slot layout: lifetimes, `keep` and `reuse`, guards, checked address arithmetic, and what
actually happens when generated graphs run on the layouts the planner makes."""

import dataclasses
import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layout_checks import assert_guards_intact, assert_layout_is_sound, lifetime, written_words

from ndg.compiler.build import build_library
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import check, compile_text
from ndg.compiler.layout import (
    WASM32_BYTES,
    RegionAllocator,
    Slot,
    by_lifetime,
    extent,
    greedy_by_size,
    overlapping_pairs,
    peak_live_bytes,
    place_slots,
    reuse_offsets,
)
from ndg.compiler.planner import plan_graph
from ndg.compiler.sizes import graph_shapes
from ndg.errors import UserError
from ndg.runtime.abi import GUARD_BYTES
from ndg.runtime.engine import Runner
from ndg.runtime.validate import PlanInvalid, validate_plan


def test_greedy_by_size_puts_the_largest_first_and_fills_gaps():
    slots = [Slot("a", 100, 0, 2), Slot("b", 60, 1, 3), Slot("c", 40, 3, 4), Slot("d", 30, 0, 0)]
    assert greedy_by_size(slots) == [0, 100, 0, 100]
    assert peak_live_bytes(slots) == 160


def test_greedy_by_size_takes_the_smallest_gap_that_fits():
    slots = [Slot("n2", 190, 3, 3), Slot("n1", 100, 1, 1), Slot("a", 60, 1, 2), Slot("b", 50, 2, 3), Slot("small", 24, 2, 2)]
    # At step 2 `a` holds 100..160 and `b` 190..240: gaps of 100 bytes below `a` and 30 between them.
    assert greedy_by_size(slots) == [0, 0, 100, 190, 160]


def overlaps(a: Slot, b: Slot) -> bool:
    return a.start <= b.end and b.start <= a.end


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 64), st.integers(0, 20), st.integers(0, 6)), min_size=1, max_size=40))
def test_every_placement_never_shares_a_byte_between_live_slots(specs):
    slots = [Slot(f"n{i}", size, start, start + length) for i, (size, start, length) in enumerate(specs)]
    peak = max(sum(s.size for s in slots if s.start <= step <= s.end) for step in range(27))
    assert peak_live_bytes(slots) == peak
    live_pairs = [(a, b) for a, b in itertools.combinations(slots, 2) if overlaps(a, b) and a.size and b.size]
    assert overlapping_pairs(slots) == len(live_pairs)
    for offsets in (greedy_by_size(slots), reuse_offsets(slots), by_lifetime(slots)):
        for (i, a), (j, b) in itertools.combinations(enumerate(slots), 2):
            if overlaps(a, b) and a.size and b.size:
                assert offsets[i] + a.size <= offsets[j] or offsets[j] + b.size <= offsets[i], (a, b)
        assert extent(slots, offsets) >= peak
    assert extent(slots, reuse_offsets(slots)) <= extent(slots, greedy_by_size(slots))


def test_by_lifetime_reuses_a_freed_block_of_the_same_size_and_stacks_the_rest():
    slots = [Slot("a", 8, 0, 1), Slot("b", 4, 1, 2), Slot("c", 8, 2, 3), Slot("d", 8, 3, 3)]
    # `c` starts after `a` ended and takes its block; `d` starts while `c` lives and goes on top.
    assert by_lifetime(slots) == [0, 8, 0, 12]


def test_a_graph_with_ten_thousand_outputs_live_at_once_gets_a_tight_reuse_layout():
    # Ten thousand floats, each read in turn by a chain of sums: 5e7 pairs of slots live together,
    # which greedy by size would visit one by one (minutes); placing by lifetime is linear.
    count = 10_000
    lines = [f"f{i} = float(value: {i})" for i in range(count)] + ["s1 = math(op_type: 0, a: f0, b: f1)"]
    lines += [f"s{i} = math(op_type: 0, a: s{i - 1}, b: f{i})" for i in range(2, count)]
    plan = compile_text("\n".join(lines) + f"\noutput(input: box(size: s{count - 1}))\n", "wide.ndg", layout="reuse").plan
    validate_plan(plan)
    shared = next(r for r in plan.regions if r.kind == "slot")
    assert plan.peak_live_bytes <= shared.size <= 1.02 * plan.peak_live_bytes


def test_the_search_finds_a_layout_at_the_peak_where_greedy_by_size_is_eleven_percent_above():
    # The slots of a generated plant graph (tests/plant_graphs.py), name, bytes, first and last step.
    slots = [Slot(*spec) for spec in [
        ("s1", 328, 1, 6), ("g2", 328, 2, 7), ("i5.geometry", 364, 5, 6), ("i5", 1084, 6, 8), ("n6", 328, 7, 12),
        ("r7", 1084, 8, 13), ("b10", 1348, 11, 11), ("r11", 328, 12, 37), ("g12", 1084, 13, 13),
        ("s17", 256, 19, 21), ("r19", 256, 21, 35), ("s22", 192, 24, 24), ("s28", 256, 31, 34),
        ("i30.geometry", 364, 33, 34), ("i30", 756, 34, 34), ("g31", 256, 35, 35), ("n33", 328, 37, 37),
        ("s36", 160, 40, 42), ("i37.geometry", 364, 41, 42), ("i37", 532, 42, 42), ("s40", 160, 46, 48),
        ("i41.geometry", 364, 47, 48), ("i41", 916, 48, 50), ("n43", 916, 50, 51), ("output", 1692, 51, 52)]]
    peak = peak_live_bytes(slots)
    assert extent(slots, greedy_by_size(slots)) > 1.1 * peak
    assert extent(slots, reuse_offsets(slots)) == peak


def test_keep_gives_each_slot_its_own_region_and_a_guard_after_it():
    allocator = RegionAllocator(100)
    addresses = place_slots(allocator, [Slot("a", 4, 0, 1), Slot("b", 20, 1, 2)], "keep")
    assert addresses == [112, 144]
    assert [(r.kind, r.offset, r.size) for r in allocator.regions] == [
        ("slot", 112, 4), ("guard", 128, GUARD_BYTES), ("slot", 144, 20), ("guard", 176, GUARD_BYTES)]


def test_addresses_past_four_gib_are_errors_with_the_numbers():
    with pytest.raises(UserError, match=r"the slot region `b` \(2,147,483,648 bytes from offset 3,221,225,488\) "
                                        r"would end at byte 5,368,709,136, past the 4,294,967,296 bytes"):
        place_slots(RegionAllocator(0), [Slot("a", 3 << 30, 0, 1), Slot("b", 2 << 30, 1, 2)], "keep")
    with pytest.raises(UserError, match=r"`shared slots` \(5,368,709,120 bytes"):
        place_slots(RegionAllocator(0), [Slot("a", 3 << 30, 0, 1), Slot("b", 2 << 30, 1, 2)], "reuse")
    # Not overlapping in time, the same two fit when they share memory.
    place_slots(RegionAllocator(0), [Slot("a", 3 << 30, 0, 0), Slot("b", 2 << 30, 1, 2)], "reuse")
    with pytest.raises(UserError, match=r"the output of node `huge` \(4,294,967,300 bytes\)"):
        place_slots(RegionAllocator(0), [Slot("huge", WASM32_BYTES + 4, 0, 0)], "reuse")


@pytest.mark.toolchain
def test_planner_refuses_a_graph_too_big_for_wasm32(tmp_path):
    folder = tmp_path / "test" / "big" / "block"
    folder.mkdir(parents=True)
    (folder / "definition.json").write_text(json.dumps({
        "id": "test/big/block", "outputs": ["geometry"], "framing": "item",
        "inputs": {"gib": {"type": "integer", "value": 1}}, "size": "geometry(gib * 44739242, 0)"}))
    library = NodeLibrary.load((tmp_path,))
    graph = check("output(input: block(gib: 3))", "big.ndg", library)
    built = build_library(NodeLibrary.load().nodes).info
    info = dataclasses.replace(built, kinds=(*built.kinds, "test/big/block"))
    for policy in ("keep", "reuse"):
        with pytest.raises(UserError, match=r"past the 4,294,967,296 bytes \(4 GiB\) wasm32 can address"):
            plan_graph(graph, graph_shapes(graph), info, policy=policy)
    # Within wasm32's 4 GiB, but past the 1 GiB the runtime gives a plan: refused when compiling too.
    small = check("output(input: block(gib: 1))", "small.ndg", library)
    with pytest.raises(UserError, match=r"more than the 1,073,741,824 bytes \(1 GiB\) the runtime gives a plan"):
        plan_graph(small, graph_shapes(small), info, policy="reuse")


# Generated graphs: random DAGs of the scalar nodes, their floats feeding each other, vec3s and
# boxes; one box is the output, the others are never read.
node_choice = st.tuples(st.sampled_from(["float", "integer", "boolean", "vec3", "math", "box"]),
                        st.floats(-100, 100, width=32), st.integers(0, 3), st.integers(0, 10**6), st.integers(0, 10**6))


def graph_text(choices, final) -> str:
    lines, floats = [], []

    def float_arg(pick: int, value: float) -> str:
        return f"n{floats[pick % len(floats)]}" if floats and pick % 3 else repr(float(value))

    for index, (kind, value, op, pick_a, pick_b) in enumerate(choices):
        call = {
            "float": f"float(value: {float(value)!r})",
            "integer": f"integer(value: {op})",
            "boolean": f"boolean(value: {'true' if op % 2 else 'false'})",
            "vec3": f"vec3(0: {float_arg(pick_a, value)}, 1: {float_arg(pick_b, 1.0)}, 2: {float(value)!r})",
            "math": f"math(op_type: {op}, a: {float_arg(pick_a, value)}, b: {float_arg(pick_b, 2.0)})",
            "box": f"box(size: {float_arg(pick_a, value)})",
        }[kind]
        lines.append(f"n{index} = {call}")
        if kind in ("float", "math"):
            floats.append(index)
    lines.append(f"output(input: box(size: {float_arg(final, 1.5)}))")
    return "\n".join(lines)


@pytest.mark.toolchain
@settings(max_examples=25, deadline=None)
@given(st.lists(node_choice, min_size=1, max_size=24), st.integers(0, 10**6))
def test_generated_graphs_run_within_their_planned_layouts(choices, final):
    text = graph_text(choices, final)
    results = {}
    for policy in ("keep", "reuse"):
        compiled = compile_text(text, "gen.ndg", layout=policy)
        plan = compiled.plan
        validate_plan(plan)
        assert_layout_is_sound(plan)
        runner = Runner(plan, compiled.module.wasm)
        results[policy] = runner.run().tobytes()
        assert_guards_intact(runner)
        assert runner.run(stepped=True).tobytes() == results[policy]
        for step in plan.steps:
            # Every value here is known at compile time, so the plan is exact, not just an upper bound.
            assert written_words(runner, step.output) == plan.values[step.output].capacity, step.node
        assert_guards_intact(runner)
        results[f"{policy} pages"] = plan.memory_pages
    assert results["keep"] == results["reuse"]
    assert results["reuse pages"] <= results["keep pages"]


@pytest.mark.toolchain
def test_reuse_shares_memory_and_reaches_the_peak_on_a_chain():
    text = "\n".join(["n0 = float(value: 1.0)"] + [f"n{i} = math(op_type: 0, a: n{i - 1}, b: 1)" for i in range(1, 40)]
                     + ["output(input: box(size: n39))"])
    keep, reuse = (compile_text(text, "chain.ndg", layout=p).plan for p in ("keep", "reuse"))
    slot_bytes = {p.layout: sum(r.size for r in p.regions if r.kind == "slot") for p in (keep, reuse)}
    assert keep.peak_live_bytes == reuse.peak_live_bytes == 4 * (91 + 95)
    assert slot_bytes == {"keep": 40 * 4 + 4 * 91 + 4 * 95, "reuse": 4 * (91 + 95)}
    assert [r.kind for r in keep.regions].count("guard") == 42
    assert [r.kind for r in reuse.regions].count("guard") == 1


@pytest.fixture(scope="module")
def reuse_plan():
    text = "a = float(value: 1.0)\nb = float(value: 2.0)\nc = math(op_type: 2, a: a, b: b)\noutput(input: box(size: c))"
    return compile_text(text, "small.ndg", layout="reuse").plan


@pytest.mark.toolchain
def test_validation_refuses_live_slots_that_share_bytes(reuse_plan):
    plan = reuse_plan
    a, b = plan.steps[0].output, plan.steps[1].output
    values = list(plan.values)
    values[b] = dataclasses.replace(values[b], offset=values[a].offset)
    with pytest.raises(PlanInvalid, match="share memory while both are live"):
        validate_plan(dataclasses.replace(plan, values=tuple(values)))
    with pytest.raises(PlanInvalid, match="share memory while both are live"):
        validate_plan(dataclasses.replace(plan, layout="keep"))


@pytest.mark.toolchain
def test_validation_refuses_wrong_lifetimes_peaks_and_guards(reuse_plan):
    plan = reuse_plan
    values = list(plan.values)
    first = plan.steps[0].output
    values[first] = dataclasses.replace(values[first], live_until=values[first].live_until + 1)
    with pytest.raises(PlanInvalid, match="is recorded as live until step 3, but it is last read at step 2"):
        validate_plan(dataclasses.replace(plan, values=tuple(values)))
    with pytest.raises(PlanInvalid, match="peak"):
        validate_plan(dataclasses.replace(plan, peak_live_bytes=plan.peak_live_bytes - 4))
    without_guards = tuple(r for r in plan.regions if r.kind != "guard")
    with pytest.raises(PlanInvalid, match="not followed by a guard"):
        validate_plan(dataclasses.replace(plan, regions=without_guards))
    with pytest.raises(PlanInvalid, match="layout"):
        validate_plan(dataclasses.replace(plan, layout="pack"))


def live_overlap(plan) -> bool:
    """Brute force: do two slots live at the same time share a byte?"""
    slots = [i for i, v in enumerate(plan.values) if v.words is None and v.capacity]
    for i, j in itertools.combinations(slots, 2):
        (a_start, a_end), (b_start, b_end) = lifetime(plan, i), lifetime(plan, j)
        a, b = plan.values[i], plan.values[j]
        if a_start <= b_end and b_start <= a_end and a.offset < b.offset + 4 * b.capacity and b.offset < a.offset + 4 * a.capacity:
            return True
    return False


@pytest.mark.toolchain
@settings(max_examples=40, deadline=None)
@given(st.lists(node_choice, min_size=2, max_size=16), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_validation_refuses_a_moved_slot_exactly_when_live_slots_collide(choices, final, which, where):
    plan = compile_text(graph_text(choices, final), "gen.ndg", layout="reuse").plan
    shared = plan.region("slot")
    slots = [i for i, v in enumerate(plan.values) if v.words is None]
    index = slots[which % len(slots)]
    value = plan.values[index]
    room = (shared.size - 4 * value.capacity) // 4
    moved = dataclasses.replace(value, offset=shared.offset + 4 * (where % (room + 1)))
    broken = dataclasses.replace(plan, values=tuple(moved if i == index else v for i, v in enumerate(plan.values)))
    if live_overlap(broken):
        with pytest.raises(PlanInvalid):
            validate_plan(broken)
    else:
        validate_plan(broken)

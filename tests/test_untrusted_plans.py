"""Plans from anywhere: a decoded plan changed in any field, re-encoded with a correct checksum,
is either refused with a clean error or runs correctly (fused, stepped and checked runs agree)."""

import dataclasses
import hashlib
import json
import struct
import tempfile
from pathlib import Path

import pytest
from conftest import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.compiler.driver import compile_text, read_source
from ndg.errors import UserError
from ndg.runtime.abi import MAGIC, PLAN_VERSION
from ndg.runtime.engine import Runner
from ndg.runtime.plan import decode_plan, encode_plan, load_plan

pytestmark = pytest.mark.toolchain


@pytest.fixture(scope="module")
def original():
    compiled = compile_text(read_source(EXAMPLES / "basics.ndg"), "basics.ndg")
    plan, module = compiled.plan, compiled.module.wasm
    header = json.loads(encode_plan(plan, None)[len(MAGIC) + 8 + 32 :])
    return header, module, Runner(plan, module).run().tolist()


def encode_header(header, module: bytes) -> bytes:
    """A plan file with a correct checksum around whatever header we give it."""
    data = json.dumps(header).encode()
    return MAGIC + struct.pack("<II", PLAN_VERSION, len(data)) + hashlib.sha256(data).digest() + data + module


def places(tree, path=()):
    """Every path to a node of the JSON tree (the root excluded)."""
    children = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, child in children:
        yield path + (key,)
        yield from places(child, path + (key,))


def at(tree, path):
    for key in path:
        tree = tree[key]
    return tree


ODD_VALUES = st.sampled_from([0, 1, -1, -16, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63, -2**63, 10**30, 1.5, -0.0,
                              float("inf"), None, True, "", "slot", [], [0], {}, {"kind": "slot"}])


@st.composite
def mutations(draw, header):
    spots = list(places(header))
    path = spots[draw(st.integers(0, len(spots) - 1))]
    kind = draw(st.sampled_from(["replace", "replace", "nudge", "swap", "truncate", "drop"]))
    return kind, path, draw(ODD_VALUES), draw(st.integers(-70000, 70000)), draw(st.integers(0, 10**6))


def mutate(header, mutation):
    kind, path, odd, delta, pick = mutation
    header = json.loads(json.dumps(header))
    parent, key = at(header, path[:-1]), path[-1]
    target = parent[key]
    if kind == "replace":
        parent[key] = odd
    elif kind == "nudge" and isinstance(target, int) and not isinstance(target, bool):
        parent[key] = target + delta
    elif kind == "swap" and isinstance(parent, list) and len(parent) > 1:
        other = pick % len(parent)
        parent[key], parent[other] = parent[other], parent[key]
    elif kind == "swap" and isinstance(parent, dict) and len(parent) > 1:
        other = sorted(parent)[pick % len(parent)]
        parent[key], parent[other] = parent[other], parent[key]
    elif kind == "truncate" and isinstance(target, list):
        parent[key] = target[: pick % (len(target) + 1)]
    elif kind == "drop":
        del parent[key]
    return header


def run_or_refuse(data: bytes):
    """The three kinds of run, or None for a clean refusal."""
    try:
        runner = Runner(*decode_plan(data), budget=50_000_000)
        fused = runner.run().tolist()
        return fused, runner.run(stepped=True, full=True).tolist(), runner.run(check=True, full=True).tolist()
    except UserError as error:
        assert error.message and "Traceback" not in error.message
        return None


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_plans_are_refused_cleanly_or_run_correctly(original, data):
    header, module, _ = original
    changed = mutate(header, data.draw(mutations(header)))
    outcome = run_or_refuse(encode_header(changed, module))
    if outcome is not None:
        fused, stepped, checked = outcome
        assert fused == stepped == checked


@settings(max_examples=60, deadline=None)
@given(cut=st.one_of(st.integers(min_value=1), st.sampled_from(["module", "module+1"])))
def test_truncated_plan_files_are_refused(original, cut):
    header, module, _ = original
    data = encode_header(header, module)
    kept = {"module": len(data) - len(module), "module+1": len(data) - len(module) + 1}.get(cut)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cut.ndp"
        path.write_bytes(data[: kept if kept is not None else len(data) - cut % len(data)])
        with pytest.raises(UserError):
            Runner(*load_plan(path))


def test_an_unchanged_header_runs_to_the_original_result(original):
    header, module, result = original
    assert run_or_refuse(encode_header(header, module)) == (result, result, result)


def _first_slot(header) -> int:
    return next(index for index, value in enumerate(header["values"]) if value["words"] is None)


@pytest.mark.parametrize("change, message", [
    (lambda h: h["values"][0].update(offset=-16), "constant 0 lies outside the constants region"),
    (lambda h: h["values"][_first_slot(h)].update(offset=2**40), "slot {slot} lies outside every slot region"),
    (lambda h: h["values"][_first_slot(h)].update(capacity=2**31), "value {slot} is a float of 2147483648 words, not 1"),
    (lambda h: h.update(memory_pages=2**20), "memory of 1048576 pages is not between 1 and 16384"),
    (lambda h: h["steps"][1].update(output=h["steps"][2]["output"]), "slot {second} is not the output of the step it names"),
    (lambda h: h["steps"][0].update(kind=99), "step 0 has unknown node kind 99"),
    (lambda h: h.update(kinds=h["kinds"][::-1]), "its node kinds do not match the module's"),
    (lambda h: h["regions"][1].update(size=2**33), "outside the 589824-byte memory"),
    (lambda h: h.update(kinds=7), "damaged or not a plan"),
    (lambda h: h["steps"].pop(), "there must be|holds"),
    (lambda h: h.update(compat=""), "compat is not true or false"),
])
def test_specific_damage_is_named(original, change, message):
    header, module, _ = original
    changed = json.loads(json.dumps(header))
    change(changed)
    message = message.format(slot=_first_slot(header), second=header["steps"][1]["output"])
    with pytest.raises(UserError, match=message):
        Runner(*decode_plan(encode_header(changed, module)))


def test_a_module_with_an_unknown_import_is_refused(original):
    header, module, _ = original
    # Rename the imported `ndg_panic` to `ndg_evil` (same length, so no section sizes change).
    evil = module.replace(b"\x09ndg_panic", b"\x09ndg_evil_", 1)
    assert evil != module
    changed = dict(header, module=dict(header["module"], sha256=hashlib.sha256(evil).hexdigest()))
    with pytest.raises(UserError, match=r"imports env\.ndg_evil_, which ndg does not provide"):
        Runner(*decode_plan(encode_header(changed, evil)))


def test_a_module_without_the_dispatcher_is_refused(original):
    header, module, _ = original
    renamed = module.replace(b"\x07ndg_run", b"\x07ndg_ran", 1)
    assert renamed != module
    changed = dict(header, module=dict(header["module"], sha256=hashlib.sha256(renamed).hexdigest()))
    with pytest.raises(UserError, match=r"the module's ndg_run dispatcher is missing"):
        Runner(*decode_plan(encode_header(changed, renamed)))


def test_the_plan_dataclass_round_trips_the_header(original):
    header, module, _ = original
    plan, _ = decode_plan(encode_header(header, module))
    assert json.loads(json.dumps(dataclasses.asdict(plan))) == header


def test_step_records_hold_the_values_addresses(original):
    header, module, _ = original
    plan, _ = decode_plan(encode_header(header, module))
    table = plan.region("values").offset
    records = plan.step_records()
    for index, step in enumerate(plan.steps):
        output = plan.values[step.output]
        inputs = [word for index in step.inputs for word in (plan.values[index].offset, table + 12 * index + 8)]
        assert records.record(index) == [step.kind, output.offset, output.capacity, table + 12 * step.output + 8,
                                         len(step.inputs), *inputs]


# Each damages the first step's record (its words start the records region).
@pytest.mark.parametrize("damage, message", [
    (lambda records, plan: records.words.__setitem__(1, plan.region("control").offset), "record puts its output outside its slot"),
    (lambda records, plan: records.words.__setitem__(2, records.words[2] + 1), "record puts its output outside its slot"),
    (lambda records, plan: records.words.__setitem__(3, records.words[3] + 4), "points a length outside the value table"),
    (lambda records, plan: records.words.__setitem__(5, plan.region("records").offset), "reads an input outside the plan's values"),
    (lambda records, plan: records.starts.__setitem__(slice(1, None), records.starts[1:] + 1), "record has the wrong length"),
])
def test_a_record_with_a_wrong_address_is_refused(original, monkeypatch, damage, message):
    """The validator checks the records themselves, not only the values they are made from."""
    header, module, _ = original
    plan, _ = decode_plan(encode_header(header, module))
    made = type(plan).step_records

    def damaged(self):
        records = made(self)
        damage(records, self)
        return records

    monkeypatch.setattr(type(plan), "step_records", damaged)
    with pytest.raises(UserError, match=message):
        Runner(plan, module)

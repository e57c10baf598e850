"""spec/abi.toml is the one source of the plan format and the ABI: every generated copy matches it,
a copy edited by hand is caught, and the Python, JavaScript and documentation agree with it."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ndg.runtime import abi
from ndg.runtime.plan import Plan

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("spec_generate", ROOT / "spec" / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)
SPEC = generate.load_spec()


def test_every_generated_file_matches_the_spec():
    assert generate.drifted() == []


@pytest.mark.parametrize("path", sorted(generate.OUTPUTS))
def test_a_generated_file_edited_by_hand_is_caught(tmp_path, path):
    for output in generate.OUTPUTS:
        (tmp_path / output).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / output, tmp_path / output)
    assert generate.drifted(tmp_path) == []
    edited = tmp_path / path
    text = edited.read_text()
    assert "1024" in text  # the message buffer's size, in every copy
    edited.write_text(text.replace("1024", "2048", 1))
    assert generate.drifted(tmp_path) == [path]
    edited.unlink()
    assert generate.drifted(tmp_path) == [path]


def test_generated_files_say_so_and_from_what():
    for path in generate.OUTPUTS:
        head = "\n".join((ROOT / path).read_text().splitlines()[:4])
        assert "GENERATED from spec/abi.toml by spec/generate.py" in head, path


def test_the_plan_header_has_the_fields_the_spec_lists_in_its_order():
    assert tuple(field.name for field in dataclasses.fields(Plan)) == abi.HEADER_FIELDS


def test_python_constants_follow_the_spec():
    assert abi.CONTROL_BYTES == 4 * len(SPEC["abi"]["control"]) + SPEC["abi"]["message_bytes"] == 1064
    assert [field.name.lower() for field in abi.ControlField] == [f["name"] for f in SPEC["abi"]["control"]]
    assert {status.name.lower(): int(status) for status in abi.Status} == {s["name"]: s["code"] for s in SPEC["abi"]["status"]}
    assert abi.GUARD_WORD == 0x4E444721 and abi.MAGIC == b"NDGPLAN\n"
    assert abi.ValueType.FLOAT == "float" and json.dumps(abi.ValueType.VEC3) == '"vec3"'


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_javascript_module_exports_the_spec():
    script = f"import * as abi from {json.dumps((ROOT / 'web/src/abi.js').as_uri())}; " \
             "console.log(JSON.stringify({...abi, frozen: Object.isFrozen(abi.STATUS)}))"
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    exported = json.loads(done.stdout)
    assert exported["CONTROL"] == {f["name"]: i for i, f in enumerate(SPEC["abi"]["control"])}
    assert exported["STATUS"] == {s["name"]: s["code"] for s in SPEC["abi"]["status"]}
    assert exported["GUARD_WORD"] == abi.GUARD_WORD and exported["CONTROL_BYTES"] == abi.CONTROL_BYTES
    assert exported["RECORD"]["n_inputs"] == abi.RecordField.N_INPUTS and exported["frozen"] is True
    assert exported["VALUE_TYPES"] == [str(t) for t in abi.ValueType]


def test_the_format_document_names_every_field_and_status():
    document = (ROOT / "docs" / "plan-format.md").read_text()
    names = [f["name"] for key in ("control", "value_entry", "record", "record_input", "status")
             for f in SPEC["abi"][key]] + [f["name"] for f in SPEC["plan"]["header"]]
    assert [name for name in names if f"`{name}`" not in document] == []

"""Write the ABI's constants for every runtime from spec/abi.toml, its one source.

`python spec/generate.py` (or `make spec`) writes the files in OUTPUTS; `--check` writes nothing
and exits 1 listing the files that differ from what the spec gives (tests/test_spec.py does the
same through `generated()`).
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "abi.toml"
ORIGIN = "spec/abi.toml by spec/generate.py"


def load_spec(path: Path = SPEC) -> dict:
    with path.open("rb") as file:
        return tomllib.load(file)


def _upper(name: str) -> str:
    return name.upper()


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _value_types(spec: dict) -> list[str]:
    types = spec["types"]
    return [*types["scalar_words"], *types["bulk"], types["result"], types["expression"]]


def _derived(spec: dict) -> dict[str, int]:
    """Sizes that follow from the field lists."""
    word = spec["memory"]["word_bytes"]
    abi = spec["abi"]
    return {
        "CONTROL_FIELDS": len(abi["control"]),
        "CONTROL_BYTES": word * len(abi["control"]) + abi["message_bytes"],
        "VALUE_ENTRY_WORDS": len(abi["value_entry"]),
        "VALUE_ENTRY_BYTES": word * len(abi["value_entry"]),
        "RECORD_HEADER_WORDS": len(abi["record"]),
        "RECORD_INPUT_WORDS": len(abi["record_input"]),
    }


def _scalars(spec: dict) -> dict[str, int | str]:
    memory, guard, plan, abi = spec["memory"], spec["guard"], spec["plan"], spec["abi"]
    return {
        "WORD_BYTES": memory["word_bytes"], "ALIGN": memory["align"], "PAGE_BYTES": memory["page_bytes"],
        "MAX_PAGES": memory["max_pages"], "GUARD_WORD": guard["word"], "GUARD_BYTES": guard["bytes"],
        "PLAN_VERSION": plan["version"], "DIGEST_BYTES": plan["digest_bytes"], "STEP_EXPORT": plan["step_export"],
        "MAX_NODE_MODULES": plan["max_node_modules"], "ABI_VERSION": abi["version"],
        "MESSAGE_BYTES": abi["message_bytes"], "RUN_SHIFT": abi["run_number"]["shift"], **_derived(spec),
    }


def _literal(value: int | str, hex_names: tuple[str, ...] = (), name: str = "") -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return f"0x{value:08X}" if name in hex_names else str(value)


# -- Python ------------------------------------------------------------------------------------


def python_module(spec: dict) -> str:
    abi = spec["abi"]
    lines = [
        '"""The plan format and the shared-memory ABI (docs/plan-format.md).',
        "",
        f"GENERATED from {ORIGIN}: do not edit; change the spec and run `make spec`.",
        '"""',
        "",
        "from enum import IntEnum, StrEnum",
        "",
        f"MAGIC = {spec['plan']['magic'].encode()!r}",
    ]
    lines += [f"{name} = {_literal(value, ('GUARD_WORD',), name)}" for name, value in _scalars(spec).items()]
    lines += [f"FLAG_{_upper(name)} = {bit}" for name, bit in abi["flags"].items()]
    lines.append("HEADER_FIELDS = (" + ", ".join(f'"{f["name"]}"' for f in spec["plan"]["header"]) + ",)")

    def int_enum(name: str, doc: str, fields: list[dict], value: Callable[[int, dict], int]) -> None:
        lines.extend(["", "", f"class {name}(IntEnum):", f'    """{doc}"""', ""])
        for index, field in enumerate(fields):
            lines.append(f"    # {field['doc']}")
            lines.append(f"    {_upper(field['name'])} = {value(index, field)}")

    def position(index: int, _: dict) -> int:
        return index

    int_enum("ControlField", "Word index of each control block field; the message buffer follows them.",
             abi["control"], position)
    int_enum("ValueEntryField", "Word index of each field of a value table entry.", abi["value_entry"], position)
    int_enum("RecordField", "Word index of each field of a step record's header.", abi["record"], position)
    int_enum("RecordInputField", "Word index of each field of a step record's per-input pair.",
             abi["record_input"], position)
    int_enum("Status", "What a module's run returns, also left in the control block's `status`.",
             abi["status"], lambda _, field: field["code"])

    def str_enum(name: str, doc: str, values: list[str]) -> None:
        lines.extend(["", "", f"class {name}(StrEnum):", f'    """{doc}"""', ""])
        lines.extend(f'    {_upper(value)} = "{value}"' for value in values)

    types = spec["types"]
    str_enum("ValueType", "The type of a value in the plan.", _value_types(spec))
    str_enum("RegionKind", "The kind of a region of the memory, in the order the memory holds them.",
             spec["regions"]["kinds"])
    str_enum("SlotPolicy", "How the node outputs' slots are laid out.", spec["regions"]["slot_policies"])
    lines += ["", "",
              "# Scalar types and how many words each takes; bulk types are lists of items in the word format.",
              "SCALAR_WORDS = {" + ", ".join(f"ValueType.{_upper(t)}: {n}" for t, n in types["scalar_words"].items()) + "}",
              "BULK_TYPES = (" + ", ".join(f"ValueType.{_upper(t)}" for t in types["bulk"]) + ",)",
              ""]
    return "\n".join(lines)


# -- Rust --------------------------------------------------------------------------------------


def rust_module(spec: dict) -> str:
    abi = spec["abi"]
    scalars = _scalars(spec)
    usize = {"MESSAGE_BYTES", "RECORD_HEADER_WORDS", "RECORD_INPUT_WORDS", "CONTROL_BYTES", "VALUE_ENTRY_BYTES"}
    lines = [
        "// The shared-memory ABI's constants and the control block's layout (docs/plan-format.md).",
        f"// GENERATED from {ORIGIN}: do not edit; change the spec and run `make spec`.",
        "// Included by abi.rs.",
        "",
    ]
    for name in ("ABI_VERSION", "GUARD_WORD", "MESSAGE_BYTES", "CONTROL_BYTES", "VALUE_ENTRY_BYTES",
                 "RECORD_HEADER_WORDS", "RECORD_INPUT_WORDS", "RUN_SHIFT"):
        kind = "usize" if name in usize else "u32"
        lines.append(f"pub const {name}: {kind} = {_literal(scalars[name], ('GUARD_WORD',), name)};")
    lines.append("")
    for index, field in enumerate(abi["record"]):
        lines.append(f"/// {field['doc']}")
        lines.append(f"pub const RECORD_{_upper(field['name'])}: usize = {index};")
    for index, field in enumerate(abi["record_input"]):
        lines.append(f"/// Per input: {field['doc'][0].lower()}{field['doc'][1:]}")
        lines.append(f"pub const RECORD_INPUT_{_upper(field['name'])}: usize = {index};")
    lines.append("")
    for name, bit in abi["flags"].items():
        lines.append(f"pub const FLAG_{_upper(name)}: u32 = {bit};")
    lines.append("")
    for status in abi["status"]:
        lines.append(f"/// {status['doc']}")
        lines.append(f"pub const STATUS_{_upper(status['name'])}: u32 = {status['code']};")
    lines += ["", "#[repr(C)]", "pub struct Control {"]
    for field in abi["control"]:
        lines += [f"    /// {field['doc']}", f"    pub {field['name']}: u32,"]
    lines += ["    pub message: [u8; MESSAGE_BYTES],", "}", "",
              "#[repr(C)]", "#[derive(Clone, Copy)]", "pub struct Value {"]
    for field in abi["value_entry"]:
        lines += [f"    /// {field['doc']}", f"    pub {field['name']}: u32,"]
    lines += ["}", ""]
    return "\n".join(lines)


# -- JavaScript --------------------------------------------------------------------------------


def _js_object(name: str, entries: dict[str, int | str], doc: str) -> list[str]:
    body = ", ".join(f"{key}: {_literal(value)}" for key, value in entries.items())
    return [f"/** {doc} */", f"export const {name} = Object.freeze({{ {body} }});", ""]


def javascript_module(spec: dict) -> str:
    abi = spec["abi"]
    lines = [
        "// The plan format and the shared-memory ABI (docs/plan-format.md).",
        f"// GENERATED from {ORIGIN}: do not edit; change the spec and run `make spec`.",
        "",
        f"export const MAGIC = {_literal(spec['plan']['magic'])};",
    ]
    lines += [f"export const {name} = {_literal(value, ('GUARD_WORD',), name)};"
              for name, value in _scalars(spec).items()]
    lines.append("")

    def indices(fields: list[dict]) -> dict[str, int | str]:
        return {field["name"]: index for index, field in enumerate(fields)}

    lines += _js_object("CONTROL", indices(abi["control"]), "Word index of each control block field.")
    lines += _js_object("VALUE_ENTRY", indices(abi["value_entry"]), "Word index of each field of a value table entry.")
    lines += _js_object("RECORD", indices(abi["record"]), "Word index of each field of a step record's header.")
    lines += _js_object("RECORD_INPUT", indices(abi["record_input"]), "Word index of each per-input field of a step record.")
    lines += _js_object("FLAGS", dict(abi["flags"]), "Bits of the control block's `flags`.")
    lines += _js_object("STATUS", {s["name"]: s["code"] for s in abi["status"]}, "What a module's run returns.")
    lines += _js_object("SCALAR_WORDS", dict(spec["types"]["scalar_words"]), "Scalar value types and their sizes in words.")
    lines += [f"export const BULK_TYPES = Object.freeze([{', '.join(_literal(t) for t in spec['types']['bulk'])}]);",
              f"export const VALUE_TYPES = Object.freeze([{', '.join(_literal(t) for t in _value_types(spec))}]);",
              f"export const REGION_KINDS = Object.freeze([{', '.join(_literal(k) for k in spec['regions']['kinds'])}]);",
              f"export const SLOT_POLICIES = Object.freeze([{', '.join(_literal(p) for p in spec['regions']['slot_policies'])}]);",
              "export const HEADER_FIELDS = Object.freeze([" + ", ".join(_literal(f["name"]) for f in spec["plan"]["header"]) + "]);",
              ""]
    return "\n".join(lines)


OUTPUTS: dict[str, Callable[[dict], str]] = {
    "runtime/abi.py": python_module,
    "nodes/ndg_util/src/abi_spec.rs": rust_module,
    "web/src/abi.js": javascript_module,
}


def generated(spec: dict | None = None) -> dict[str, str]:
    """Each output's path (relative to the repository) and the text the spec gives it."""
    spec = load_spec() if spec is None else spec
    return {path: render(spec) for path, render in OUTPUTS.items()}


def drifted(root: Path = ROOT, spec: dict | None = None) -> list[str]:
    """The outputs under `root` that differ from what the spec gives."""
    return [path for path, text in generated(spec).items()
            if not (root / path).is_file() or (root / path).read_text() != text]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        stale = drifted()
        for path in stale:
            print(f"{path} differs from {SPEC.relative_to(ROOT)}: run `make spec`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated().items():
        target = ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

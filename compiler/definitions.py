"""Node definitions: Nodarium-compatible JSON files, one per node folder, found on search paths."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from ndg.errors import UserError
from ndg.runtime.abi import BULK_TYPES, SCALAR_WORDS, ValueType
from ndg.runtime.scalars import F32_MAX, I32_MAX, I32_MIN

INPUT_TYPES = (*SCALAR_WORDS, *BULK_TYPES)
# What a node with no declared outputs (Nodarium's output node) produces: the graph's result.
RESULT_TYPE = ValueType.RESULT
DEFINITION_FILE = "definition.json"
PREBUILT_FILE = "node.wasm"
NODE_PATH_VARIABLE = "NDG_NODE_PATH"


class OutputFraming(StrEnum):
    """How a bulk node frames its output: a list `[0, 1, item…, 1, 1]`, or one bare item."""

    LIST = "list"
    ITEM = "item"


@dataclass(frozen=True)
class InputDef:
    name: str
    type: ValueType
    value: Any = None
    min: float | None = None
    max: float | None = None
    options: tuple[str, ...] = ()
    accepts: tuple[str, ...] = ()
    setting: str | None = None
    # The node's code evaluates this float/vec3 input itself, each time it needs it (docs/nodes.md).
    per_use: bool = False
    # ndg's extensions: an input with no sensible default must be given (E202 when left out), and
    # what the input means, for `ndg nodes show` and the language server.
    required: bool = False
    description: str | None = None

    def accepts_type(self, type_: str) -> bool:
        return type_ == self.type or type_ in self.accepts


@dataclass(frozen=True)
class NodeDef:
    id: str
    inputs: tuple[InputDef, ...]
    output: ValueType
    folder: Path
    size: str | None = None
    framing: OutputFraming = OutputFraming.LIST
    description: str | None = None  # from the definition's `meta`, as Nodarium's definitions keep it
    # The size rule in compatibility mode, where the node reproduces a Nodarium bug that changes
    # what it writes (branch tags its paths from its `depth` input); None: `size` holds in both.
    compat_size: str | None = None

    def size_rule(self, compat: bool) -> NodeDef:
        """This definition with the size rule of the mode in force."""
        return replace(self, size=self.compat_size) if compat and self.compat_size else self

    @property
    def short_name(self) -> str:
        return self.id.rsplit("/", 1)[-1]

    @property
    def crate_name(self) -> str:
        return "ndg_node_" + self.short_name

    @property
    def prebuilt_module(self) -> Path | None:
        """A node published as a built wasm module beside its definition, instead of Rust source."""
        path = self.folder / PREBUILT_FILE
        return path if path.is_file() and not (self.folder / "src" / "lib.rs").exists() else None

    def input(self, name: str) -> InputDef | None:
        return self._inputs_by_name.get(name)

    @cached_property
    def _inputs_by_name(self) -> dict[str, InputDef]:
        return {i.name: i for i in self.inputs}


def _definition_error(path: Path, problem: str) -> UserError:
    return UserError(f"node definition {path} is invalid: {problem}",
                     "see docs/nodes.md for the fields a definition has")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# What each optional field of an input must be when it is there, and how to say so.
_INPUT_FIELDS = {
    "min": (_is_number, "a finite number"),
    "max": (_is_number, "a finite number"),
    "options": (_is_strings, "a list of strings"),
    "accepts": (_is_strings, "a list of strings"),
    "setting": (lambda v: isinstance(v, str), "a string"),
}


def _default_fits(type_: str, value) -> bool:
    """Whether an input's default `value` can be stored as its type (Nodarium writes whole numbers
    of integer inputs as floats too, and booleans as 0 or 1)."""
    if type_ not in SCALAR_WORDS or value is None:
        return True
    if type_ == "boolean":
        return isinstance(value, bool) or value in (0, 1)
    if type_ == "vec3":
        return isinstance(value, list) and len(value) == 3 and all(_default_fits("float", v) for v in value)
    if not _is_number(value) or abs(value) > F32_MAX:
        return False
    return type_ == "float" or (float(value).is_integer() and I32_MIN <= value <= I32_MAX)


def _text_field(path: Path, where: str, spec: dict) -> str | None:
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        raise _definition_error(path, f"the `description` of {where} must be a string")
    return description


def load_definition(path: Path) -> NodeDef:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _definition_error(path, str(error)) from None
    except RecursionError:
        raise _definition_error(path, "it nests JSON deeper than Python's reader allows") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or data["id"].count("/") != 2:
        raise _definition_error(path, "`id` must be a string `user/namespace/node`")
    if not isinstance(data.get("inputs") or {}, dict):
        raise _definition_error(path, "`inputs` must be an object of inputs by name")
    inputs = []
    for name, spec in (data.get("inputs") or {}).items():
        if not isinstance(spec, dict) or spec.get("type") not in INPUT_TYPES:
            raise _definition_error(path, f"input `{name}` needs a `type`, one of {', '.join(INPUT_TYPES)}")
        for field, (valid, expected) in _INPUT_FIELDS.items():
            if spec.get(field) is not None and not valid(spec[field]):
                raise _definition_error(path, f"the `{field}` of input `{name}` must be {expected}, not {spec[field]!r:.60}")
        if not _default_fits(spec["type"], spec.get("value")):
            raise _definition_error(path, f"the `value` of input `{name}` is not a {spec['type']}: {spec['value']!r:.60}")
        inputs.append(InputDef(
            name=name, type=ValueType(spec["type"]), value=spec.get("value"), min=spec.get("min"), max=spec.get("max"),
            options=tuple(spec.get("options") or ()), accepts=tuple(spec.get("accepts") or ()),
            setting=spec.get("setting"), per_use=spec.get("per_use") is True, required=spec.get("required") is True,
            description=_text_field(path, f"input `{name}`", spec),
        ))
    outputs = data.get("outputs") or []
    if not isinstance(outputs, list) or len(outputs) > 1 or (outputs and outputs[0] not in INPUT_TYPES):
        raise _definition_error(path, "`outputs` must list at most one type")
    output = ValueType(outputs[0]) if outputs else RESULT_TYPE
    size = data.get("size")
    if output not in SCALAR_WORDS and not isinstance(size, str):
        raise _definition_error(path, f"a node that outputs {output} must declare its `size` rule")
    if size is not None and not isinstance(size, str):
        raise _definition_error(path, "`size` must be a string (a size rule)")
    compat_size = data.get("compat_size")
    if compat_size is not None and not (isinstance(compat_size, str) and size is not None):
        raise _definition_error(path, "`compat_size` must be a string (a size rule), beside a `size` rule")
    if "layout" in data:
        raise _definition_error(path, "`layout` is now called `framing`; rename the field")
    framing = data.get("framing", OutputFraming.LIST)
    if framing not in frozenset(OutputFraming):
        raise _definition_error(path, "`framing` must be `list` or `item`")
    meta = data.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise _definition_error(path, "`meta` must be an object")
    return NodeDef(data["id"], tuple(inputs), output, path.parent, size, OutputFraming(framing),
                   _text_field(path, "`meta`", meta or {}), compat_size)


def builtin_node_dir() -> Path:
    return Path(str(resources.files("ndg.nodes")))


def search_paths(extra: tuple[Path, ...] = ()) -> tuple[Path, ...]:
    """The package's own nodes, then `NDG_NODE_PATH` entries, then folders given explicitly.

    Made absolute: the generated crate refers to node sources from its own folder elsewhere.
    """
    from_env = tuple(Path(p) for p in os.environ.get(NODE_PATH_VARIABLE, "").split(os.pathsep) if p)
    return tuple(path.absolute() for path in (builtin_node_dir(), *from_env, *extra))


@dataclass(frozen=True)
class NodeLibrary:
    nodes: tuple[NodeDef, ...]

    @classmethod
    def load(cls, extra_paths: tuple[Path, ...] = ()) -> NodeLibrary:
        found: dict[str, NodeDef] = {}
        for root in search_paths(extra_paths):
            if not root.is_dir():
                raise UserError(f"node search path {root} is not a folder",
                                f"check --nodes and ${NODE_PATH_VARIABLE}")
            for path in sorted(root.rglob(DEFINITION_FILE)):
                definition = load_definition(path)
                if definition.id in found and found[definition.id].folder != definition.folder:
                    raise UserError(f"node `{definition.id}` is defined twice: in {found[definition.id].folder} "
                                    f"and in {definition.folder}", "remove or rename one of them")
                found[definition.id] = definition
        return cls(tuple(sorted(found.values(), key=lambda d: d.id)))

    def by_id(self, node_id: str) -> NodeDef | None:
        return next((d for d in self.nodes if d.id == node_id), None)

    def matching(self, name: str) -> list[NodeDef]:
        """Definitions a name written in a graph can mean: a full id, or a node's short name."""
        return self._by_name.get(name, [])

    @cached_property
    def _by_name(self) -> dict[str, list[NodeDef]]:
        by_name: dict[str, list[NodeDef]] = {}
        for definition in self.nodes:
            by_name.setdefault(definition.short_name, []).append(definition)
            by_name[definition.id] = [definition]
        return by_name

    def names(self) -> list[str]:
        return [d.short_name for d in self.nodes] + [d.id for d in self.nodes]

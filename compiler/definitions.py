"""Node definitions: Nodarium-compatible JSON files, one per node folder, found on search paths."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from ndg.errors import UserError
from ndg.runtime.scalars import SCALAR_WORDS

BULK_TYPES = ("path", "geometry", "instances")
INPUT_TYPES = (*SCALAR_WORDS, *BULK_TYPES)
# What a node with no declared outputs (Nodarium's output node) produces: the graph's result.
RESULT_TYPE = "result"
DEFINITION_FILE = "definition.json"
PREBUILT_FILE = "node.wasm"
NODE_PATH_VARIABLE = "NDG_NODE_PATH"


@dataclass(frozen=True)
class InputDef:
    name: str
    type: str
    value: Any = None
    min: float | None = None
    max: float | None = None
    options: tuple[str, ...] = ()
    accepts: tuple[str, ...] = ()
    setting: str | None = None

    def accepts_type(self, type_: str) -> bool:
        return type_ == self.type or type_ in self.accepts


@dataclass(frozen=True)
class NodeDef:
    id: str
    inputs: tuple[InputDef, ...]
    output: str
    folder: Path
    size: str | None = None
    layout: str = "list"

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


def load_definition(path: Path) -> NodeDef:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _definition_error(path, str(error)) from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or data["id"].count("/") != 2:
        raise _definition_error(path, "`id` must be a string `user/namespace/node`")
    inputs = []
    for name, spec in (data.get("inputs") or {}).items():
        if not isinstance(spec, dict) or spec.get("type") not in INPUT_TYPES:
            raise _definition_error(path, f"input `{name}` needs a `type`, one of {', '.join(INPUT_TYPES)}")
        inputs.append(InputDef(
            name=name, type=spec["type"], value=spec.get("value"), min=spec.get("min"), max=spec.get("max"),
            options=tuple(spec.get("options") or ()), accepts=tuple(spec.get("accepts") or ()),
            setting=spec.get("setting"),
        ))
    outputs = data.get("outputs") or []
    if len(outputs) > 1 or (outputs and outputs[0] not in INPUT_TYPES):
        raise _definition_error(path, "`outputs` must list at most one type")
    output = outputs[0] if outputs else RESULT_TYPE
    size = data.get("size")
    if output not in SCALAR_WORDS and not isinstance(size, str):
        raise _definition_error(path, f"a node that outputs {output} must declare its `size` rule")
    layout = data.get("layout", "list")
    if layout not in ("list", "item"):
        raise _definition_error(path, "`layout` must be `list` or `item`")
    return NodeDef(data["id"], tuple(inputs), output, path.parent, size, layout)


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

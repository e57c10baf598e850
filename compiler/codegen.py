"""Generate the wrapper crate that puts a node library behind the shared-memory ABI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import jinja2

from ndg.compiler.definitions import InputDef, NodeDef, builtin_node_dir
from ndg.compiler.nodarium import STANDARD
from ndg.compiler.signatures import check_signature, lib_rs

# How the wrapper reads an input of each type, and writes a scalar output of each type.
READERS = {"float": "f32", "integer": "i32", "select": "i32", "seed": "i32", "boolean": "bool", "vec3": "vec3",
           "path": "items", "geometry": "items", "instances": "items"}
# How a scalar output `value` becomes the words of its slot.
WRITERS = {"float": "[value.to_bits() as i32]", "integer": "[value]", "select": "[value]", "seed": "[value]",
           "boolean": "[value as i32]", "vec3": "value.map(|x| x.to_bits() as i32)"}
# Other nodes' float and vec3 inputs may carry per-use programs (ndg_util::expr): evaluated when
# the step starts, or by the node's own code where its definition says `per_use`.
EVALUATING_READERS = {("float", False): "f32_now", ("float", True): "lazy_f32",
                      ("vec3", False): "vec3_now", ("vec3", True): "lazy_vec3"}
STACK_BYTES = 256 * 1024


def reader(node: NodeDef, input_def: InputDef) -> str:
    if node.id in STANDARD.expression_nodes:  # parts of expressions: their inputs stay plain
        return READERS[input_def.type]
    return EVALUATING_READERS.get((input_def.type, input_def.per_use), READERS[input_def.type])


@dataclass(frozen=True)
class GeneratedCrate:
    files: dict[str, str]


@cache
def templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("ndg.compiler", "templates"),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def node_view(node: NodeDef, module: str) -> dict:
    """What the templates need of a node whose source the wrapper includes as `module`: its
    `execute` is checked against the definition first, since the wrapper passes inputs by position."""
    check_signature(node)
    return {
        "id": node.id,
        "module": module,
        "source": str(lib_rs(node)),
        "reads": [reader(node, i) for i in node.inputs],
        "write": WRITERS.get(node.output),
    }


def generate(nodes: tuple[NodeDef, ...]) -> GeneratedCrate:
    """The crate's files, by path inside it; node kinds are numbered in the order given."""
    views = [node_view(node, f"node_{index}_{node.short_name.replace('-', '_')}") for index, node in enumerate(nodes)]
    kinds_json = json.dumps([node.id for node in nodes]).encode()
    env = templates()
    return GeneratedCrate({
        "Cargo.toml": env.get_template("Cargo.toml.j2").render(
            nodes=views, util_path=str(builtin_node_dir() / "ndg_util")),
        ".cargo/config.toml": env.get_template("config.toml.j2").render(stack_bytes=STACK_BYTES),
        "lib.rs": env.get_template("lib.rs.j2").render(nodes=views, kinds_json=kinds_json),
    })

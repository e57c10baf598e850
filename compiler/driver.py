"""The compiler's stages in order: parse, analyse, build the node library, plan."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from ndg.compiler.build import BuiltModule, build_library, library_info_for_checking
from ndg.compiler.collector import cycle_collection_paused
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.expressions import per_use_expressions
from ndg.compiler.ir import Graph, Node
from ndg.compiler.layout import slot_policy
from ndg.compiler.modules import build_node_modules, link_for_plan
from ndg.compiler.nodarium import STANDARD, Dialect
from ndg.compiler.passes import analyse
from ndg.compiler.planner import plan_graph
from ndg.compiler.sizes import BulkValue, graph_shapes
from ndg.compiler.syntax import MAX_SOURCE_CHARS, parse
from ndg.errors import UserError
from ndg.runtime.file_kinds import file_kind
from ndg.runtime.plan import Plan


@dataclass(frozen=True)
class Compiled:
    graph: Graph
    plan: Plan
    module: BuiltModule


def _not_a_graph(path: Path, head: bytes) -> UserError | None:
    kind = file_kind(path, head)
    if kind is None or path.suffix == ".ndg" or kind.startswith("a graph"):
        return None
    hint = f"if it is a Nodarium graph, turn it into .ndg: `ndg import {path}`" if kind == "a JSON file" else "give a .ndg file"
    return UserError(f"{path} is {kind}, not a graph (.ndg)", hint)


def read_source(path: Path) -> str:
    """The text of a .ndg file, refused with a message that says why when it is not one."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SOURCE_CHARS * 4 + 1)  # UTF-8 takes at most 4 bytes a character
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a .ndg file", f"name the graphs in it: `{path}/*.ndg`") from None
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    refused = _not_a_graph(path, data[:16])
    if refused is not None:
        raise refused
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UserError(f"{path} is not UTF-8 text: byte {error.start} cannot be read",
                        "save the file as UTF-8") from None
    if len(text) > MAX_SOURCE_CHARS:
        raise UserError(f"{path} is longer than {MAX_SOURCE_CHARS:,} characters, the most ndg reads from a .ndg file",
                        "a graph this big is generated: generate it in parts, or with fewer nodes")
    return text


def check_with_shapes(text: str, name: str, library: NodeLibrary,
                      dialect: Dialect = STANDARD) -> tuple[Graph, dict[str, BulkValue]]:
    """Every check, nothing built: the ordered graph and the shape of each bulk value (so size rules
    are checked too), or SourceErrors with all independent errors."""
    with cycle_collection_paused():
        program = parse(text, name)
        graph, diagnostics = analyse(program, library, dialect)
        if diagnostics:
            raise SourceErrors(program.source, diagnostics)
        shapes = graph_shapes(graph)
        per_use_expressions(graph)  # for its diagnostics: compile_text applies it
        return graph, shapes


def check(text: str, name: str, library: NodeLibrary, dialect: Dialect = STANDARD) -> Graph:
    return check_with_shapes(text, name, library, dialect)[0]


def check_for_compile(text: str, name: str, library: NodeLibrary, layout: str = "keep",
                      dialect: Dialect = STANDARD) -> Graph:
    """Every check compile makes, the planner's memory checks included, nothing built."""
    policy = slot_policy(layout)
    graph, shapes = check_with_shapes(text, name, library, dialect)
    buildable = tuple(node for node in library.nodes if node.prebuilt_module is None)
    with cycle_collection_paused():
        plan_graph(per_use_expressions(graph), shapes, library_info_for_checking(buildable), policy=policy)
    return graph


# `stage(name, description)` wraps each step of compiling, so a caller can time it and show progress.
Stage = Callable[[str, str], AbstractContextManager]


def _unobserved(name: str, description: str) -> AbstractContextManager:
    return nullcontext()




def compile_text(text: str, name: str, node_paths: tuple[Path, ...] = (), stage: Stage = _unobserved,
                 layout: str = "keep", modules: str = "single", dialect: Dialect = STANDARD) -> Compiled:
    """`layout` is the slot policy: `keep` (every output readable after the run) or `reuse`;
    `modules` is `single` (every node in one module) or `per-node` (a module per node type used);
    `dialect` the Nodarium rules to follow (ndg.compiler.nodarium)."""
    policy = slot_policy(layout)
    with stage("check", f"checking {name}"):
        library = NodeLibrary.load(node_paths)
        graph, shapes = check_with_shapes(text, name, library, dialect)
        graph = per_use_expressions(graph)
    if modules == "per-node":
        used = tuple({node.definition.id: node.definition for node in graph.nodes.values()}.values())
        with stage("build", f"building {len(used)} node modules"):
            built = build_node_modules(used)
        with stage("plan", "planning the memory layout"), cycle_collection_paused():
            plan = plan_graph(graph, shapes, built.module_info(), policy=policy)
        with stage("link", f"linking {len(used)} node modules at their places"):
            plan, module = link_for_plan(built, plan)
        return Compiled(graph, plan, module)
    first_of_type: dict[int, Node] = {}  # one look at the disk per node type, not per node
    for node in graph.nodes.values():
        first_of_type.setdefault(id(node.definition), node)
    prebuilt = next((node for node in first_of_type.values() if node.definition.prebuilt_module), None)
    if prebuilt is not None:
        raise UserError(f"{name}:{prebuilt.span.line}: node `{prebuilt.name}` is a `{prebuilt.definition.id}`, published "
                        f"as a built module ({prebuilt.definition.prebuilt_module}), which cannot join the one module",
                        "compile with --modules per-node")
    buildable = tuple(node for node in library.nodes if node.prebuilt_module is None)
    with stage("build", f"building the node library ({len(buildable)} nodes)"):
        module = build_library(buildable)
    with stage("plan", "planning the memory layout"), cycle_collection_paused():
        plan = plan_graph(graph, shapes, module.info, policy=policy)
    return Compiled(graph, plan, module)

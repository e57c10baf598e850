from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ndg import terminal
from ndg.commands import echo_json, node_paths_option


@click.group("nodes", invoke_without_command=True)
@node_paths_option
@click.option("--json", "as_json", is_flag=True, help="Print the library as JSON on stdout.")
@click.pass_context
def command(ctx, node_paths, as_json):
    """List the node library; `ndg nodes show NAME` shows one node, `ndg nodes new ID` makes one,
    `ndg nodes test DIR` runs a node's tests with ndg's toolchain."""
    if ctx.invoked_subcommand is not None:
        return
    library = _library(node_paths)
    if as_json:
        echo_json({"nodes": [_node_data(node) for node in library.nodes]})
        return
    table = Table(show_edge=False, box=None, padding=(0, 2))
    for column in ("node", "inputs", "output"):
        table.add_column(column, overflow="fold")
    for node in library.nodes:
        table.add_row(node.id, escape("\n".join(_describe_input(i) for i in node.inputs) or "-"), node.output)
    terminal.console().print(table)


@command.command("show")
@click.argument("name")
@node_paths_option
@click.option("--json", "as_json", is_flag=True, help="Print the node as JSON on stdout.")
def show(name, node_paths, as_json):
    """Show node NAME (short name or full id) in detail."""
    from ndg.compiler.diagnostics import did_you_mean
    from ndg.errors import UserError

    library = _library(node_paths)
    matches = library.matching(name)
    if not matches:
        raise UserError(f"there is no node `{name}`", did_you_mean(name, library.names()) or "`ndg nodes` lists them all")
    if len(matches) > 1:
        raise UserError(f"`{name}` could mean {', '.join(f'`{m.id}`' for m in matches)}", "give the full id")
    node = matches[0]
    if as_json:
        echo_json(_node_data(node))
        return
    console = terminal.console()
    console.print(f"[bold]{node.id}[/]  →  {node.output}", highlight=False)
    if node.description:
        console.print(escape(node.description), highlight=False)
    console.print(f"folder: {escape(str(node.folder))}", highlight=False)
    if node.size:
        console.print(f"output size: {node.size} words ({node.framing})", highlight=False)
    table = Table(show_edge=False, box=None, padding=(0, 2))
    for column in ("input", "type", "default", "range", "also accepts", "setting", "meaning"):
        table.add_column(column, overflow="fold")
    for i in node.inputs:
        table.add_row(*(escape(cell) for cell in (i.name, i.type, _default(i), _range(i), ", ".join(i.accepts),
                                                   i.setting or "", i.description or "")))
    console.print(table if table.row_count else "no inputs")


@command.command("new")
@click.argument("node_id", metavar="USER/NAMESPACE/NAME")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to create the node folder NAME in.")
def new(node_id, parent):
    """Create a node folder that builds and runs as it is.

    Writes DIR/NAME/definition.json, src/lib.rs and Cargo.toml; docs/nodes.md explains them.
    """
    from ndg.compiler.definitions import NodeLibrary
    from ndg.compiler.scaffold import scaffold

    folder = scaffold(node_id, parent)
    name = folder.name
    for shadowed in NodeLibrary.load().matching(name):
        click.echo(f"warning: `{node_id}` has the short name of the built-in `{shadowed.id}`: with --nodes {parent}, "
                   f"`{name}(…)` in a graph could mean either (error E107); write the full id, or "
                   f"`use {node_id.rsplit('/', 1)[0]}` in graphs that mean this one", err=True)
    click.echo(f"created {folder}/ with definition.json, src/lib.rs and Cargo.toml\n"
               f"  try it:   echo 'output(input: {name}(length: 2))' > {name}.ndg && "
               f"ndg run {name}.ndg --nodes {parent}\n"
               f"  test it:  (cd {folder} && cargo test --offline)\n"
               f"  the node contract: docs/nodes.md")


@command.command("test")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def test(folder):
    """Build a node folder's Rust code and run its tests with the toolchain ndg builds with.

    `cargo test` alone runs whatever rustc is first on PATH, which may accept code ndg's build
    refuses; this runs the rustc and cargo that `ndg compile` uses.
    """
    import subprocess

    from ndg.compiler.definitions import DEFINITION_FILE, load_definition
    from ndg.compiler.toolchain import find_toolchain
    from ndg.errors import UserError

    definition = load_definition(folder / DEFINITION_FILE)
    toolchain = find_toolchain()
    click.echo(f"testing {definition.id} with {toolchain.rustc}", err=True)
    done = subprocess.run([str(toolchain.cargo), "test", "--offline"], cwd=folder, env=toolchain.environment())
    if done.returncode != 0:
        raise UserError(f"the tests of `{definition.id}` did not pass with {toolchain.rustc} (cargo exit code {done.returncode})",
                        "the messages above say which test or which line; ndg builds this node with the same rustc")


def _library(node_paths):
    from ndg.compiler.definitions import NodeLibrary

    return NodeLibrary.load(tuple(Path(p) for p in node_paths))


def _default(input_def) -> str:
    """The value the input gets when a graph leaves it out, as a graph would write it."""
    from ndg.compiler.nodarium import STANDARD
    from ndg.compiler.passes import default_value

    if input_def.required:
        return "(needs a value)"
    if input_def.type not in STANDARD.fallback_defaults:
        return ""
    value = default_value(input_def)
    if input_def.type == "select" and 0 <= value < len(input_def.options):
        return f"{value} ({input_def.options[value]})"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(f"{v:g}" for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range(input_def) -> str:
    if input_def.options:
        return ", ".join(input_def.options)
    if input_def.min is None and input_def.max is None:
        return ""
    return f"{'' if input_def.min is None else input_def.min}..{'' if input_def.max is None else input_def.max}"


def _describe_input(input_def) -> str:
    text = f"{input_def.name}: {input_def.type}"
    if input_def.accepts:
        text += f" (or {', '.join(input_def.accepts)})"
    default = _default(input_def)
    if default:
        text += f" = {default}"
    if _range(input_def):
        text += f"  [{_range(input_def)}]"
    return text


def _node_data(node) -> dict:
    return {"id": node.id, "output": node.output, "size": node.size, "framing": node.framing, "description": node.description,
            "inputs": [{"name": i.name, "type": i.type, "default": i.value, "min": i.min, "max": i.max,
                        "options": list(i.options), "accepts": list(i.accepts), "setting": i.setting,
                        "required": i.required, "description": i.description}
                       for i in node.inputs]}

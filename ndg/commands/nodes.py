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
    """List the node library; `ndg nodes show NAME` shows one node, `ndg nodes new ID` makes one."""
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
    console.print(f"folder: {node.folder}", highlight=False)
    if node.size:
        console.print(f"output size: {node.size} words ({node.framing})", highlight=False)
    table = Table(show_edge=False, box=None, padding=(0, 2))
    for column in ("input", "type", "default", "range", "also accepts", "setting"):
        table.add_column(column, overflow="fold")
    for i in node.inputs:
        table.add_row(*(escape(cell) for cell in (i.name, i.type, _default(i), _range(i), ", ".join(i.accepts), i.setting or "")))
    console.print(table if table.row_count else "no inputs")


@command.command("new")
@click.argument("node_id", metavar="USER/NAMESPACE/NAME")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to create the node folder NAME in.")
def new(node_id, parent):
    """Create a node folder that builds and runs as it is.

    Writes DIR/NAME/definition.json, src/lib.rs and Cargo.toml; docs/nodes.md explains them.
    """
    from ndg.compiler.scaffold import scaffold

    folder = scaffold(node_id, parent)
    name = folder.name
    click.echo(f"created {folder}/ with definition.json, src/lib.rs and Cargo.toml\n"
               f"  try it:   echo 'output(input: {name}(length: 2))' > {name}.ndg && "
               f"ndg run {name}.ndg --nodes {parent}\n"
               f"  test it:  (cd {folder} && cargo test --offline)\n"
               f"  the node contract: docs/nodes.md")


def _library(node_paths):
    from ndg.compiler.definitions import NodeLibrary

    return NodeLibrary.load(tuple(Path(p) for p in node_paths))


def _default(input_def) -> str:
    if input_def.value is None:
        return "(needs a value)" if input_def.type not in ("path", "geometry", "instances") else ""
    if input_def.options and isinstance(input_def.value, int) and 0 <= input_def.value < len(input_def.options):
        return f"{input_def.value} ({input_def.options[input_def.value]})"
    return str(input_def.value).lower() if isinstance(input_def.value, bool) else str(input_def.value)


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
    return {"id": node.id, "output": node.output, "size": node.size, "framing": node.framing,
            "inputs": [{"name": i.name, "type": i.type, "default": i.value, "min": i.min, "max": i.max,
                        "options": list(i.options), "accepts": list(i.accepts), "setting": i.setting}
                       for i in node.inputs]}

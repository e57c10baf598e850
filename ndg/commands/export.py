import json
from pathlib import Path

import click

from ndg.commands import node_paths_option


@click.command("export")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="The graph file to write (default: SOURCE with .json).")
@node_paths_option
def command(source, output, node_paths):
    """Convert a .ndg file into a Nodarium graph (JSON)."""
    from ndg.compiler.definitions import NodeLibrary
    from ndg.compiler.driver import check, read_source
    from ndg.compiler.interchange import export_graph
    from ndg.runtime.plan import write_atomically

    graph = check(read_source(source), str(source), NodeLibrary.load(tuple(node_paths)))
    data, warnings = export_graph(graph)
    for warning in warnings:
        click.echo(f"warning: {source}: {warning}", err=True)
    output = output or source.with_suffix(".json")
    write_atomically(output, (json.dumps(data, indent=2) + "\n").encode())
    click.echo(f"{output}: {len(data['nodes'])} nodes, {len(data['edges'])} edges")

import json
from pathlib import Path

import click

from ndg.commands import node_paths_option


@click.command("export")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="The graph file to write (default: SOURCE with .json; - for standard output).")
@node_paths_option
def command(source, output, node_paths):
    """Convert a .ndg file into a Nodarium graph (JSON)."""
    from ndg.compiler.definitions import NodeLibrary
    from ndg.compiler.driver import check, read_source
    from ndg.compiler.nodarium.interchange import export_graph
    from ndg.outputs import check_output, write_output

    target = check_output(output or source.with_suffix(".json"), inputs=[source])
    graph = check(read_source(source), str(source), NodeLibrary.load(tuple(node_paths)))
    data, warnings = export_graph(graph)
    for warning in warnings:
        click.echo(f"warning: {source}: {warning}", err=True)
    write_output(target, (json.dumps(data, indent=2) + "\n").encode())
    click.echo(f"{target.given}: {len(data['nodes'])} nodes, {len(data['edges'])} edges", err=target.is_stdout)

import json
import sys
from pathlib import Path

import click

from ndg.commands import node_paths_option
from ndg.errors import UserError


@click.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="The .ndg file to write (default: SOURCE with .ndg; - for standard output).")
@click.option("--compat", is_flag=True, help="Run the graph in compatibility mode: bit-identical to Nodarium, its bugs included.")
@node_paths_option
def command(source, output, node_paths, compat):
    """Convert a Nodarium graph (JSON) into a .ndg file."""
    from ndg.compiler.definitions import NodeLibrary
    from ndg.compiler.nodarium.interchange import import_graph
    from ndg.outputs import check_output, write_output

    target = check_output(output or source.with_suffix(".ndg"), inputs=[source])
    try:
        data = json.loads(source.read_bytes())
    except FileNotFoundError:
        raise UserError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{source} is a folder, not a Nodarium graph", "name the graph's .json file") from None
    except OSError as error:
        raise UserError(f"cannot read {source}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{source} is not JSON: {error}", "export the graph from Nodarium again") from None
    except RecursionError:
        raise UserError(f"{source} nests JSON deeper than Python's reader allows (about "
                        f"{sys.getrecursionlimit():,} levels); no Nodarium graph does",
                        "export the graph from Nodarium again") from None
    imported = import_graph(data, NodeLibrary.load(tuple(node_paths)), str(source), compat)
    for warning in imported.warnings:
        click.echo(f"warning: {source}: {warning}", err=True)
    write_output(target, imported.text.encode())
    click.echo(f"{target.given}: {imported.text.count(chr(10))} lines" +
               (f", {len(imported.warnings)} warning(s)" if imported.warnings else ""), err=target.is_stdout)

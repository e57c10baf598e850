from pathlib import Path

import click

from ndg.commands import layout_option, node_paths_option
from ndg.errors import UserError


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@layout_option
@node_paths_option
def command(files, layout, node_paths):
    """Run every check on .ndg FILES without building anything."""
    from ndg.compiler.definitions import NodeLibrary
    from ndg.compiler.diagnostics import SourceErrors
    from ndg.compiler.driver import check_for_compile, read_source

    library = NodeLibrary.load(tuple(node_paths))
    failed = []
    for file in files:
        try:
            check_for_compile(read_source(file), str(file), library, layout)
        except SourceErrors as errors:
            failed.append(len(errors.diagnostics))
            click.echo(errors.render() + "\n", err=True)
        except UserError as error:
            failed.append(1)
            click.echo(f"{file}: {error.render()}\n", err=True)
    if failed:
        raise UserError(f"{sum(failed)} error(s) in {len(failed)} of {len(files)} file(s)")
    click.echo(f"{len(files)} file(s) OK")

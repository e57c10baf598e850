from pathlib import Path

import click

from ndg.commands import source_files
from ndg.errors import UserError


@click.command("fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Change nothing; list the files that are not formatted (exit 2 if any).")
def command(files, check_only):
    """Rewrite .ndg FILES (or every .ndg file in a folder) in the canonical style, keeping comments."""
    import sys

    from ndg.compiler.diagnostics import SourceErrors
    from ndg.compiler.driver import cycle_collection_paused, read_source
    from ndg.compiler.formatter import format_program
    from ndg.compiler.syntax import parse
    from ndg.outputs import write_output
    from ndg.terminal import wants_colour

    colour = wants_colour(sys.stderr)
    files = source_files(files)
    unformatted, failed = [], 0
    for file in files:
        text = read_source(file)
        try:
            with cycle_collection_paused():
                formatted = format_program(parse(text, str(file)))
        except SourceErrors as errors:
            failed += 1
            click.echo(errors.render(colour) + "\n", err=True, color=colour)
            continue
        if formatted == text:
            continue
        unformatted.append(file)
        if check_only:
            click.echo(f"{file}: not formatted")
        else:
            write_output(file, formatted.encode())
            click.echo(f"{file}: formatted")
    if failed:
        raise UserError(f"{failed} of {len(files)} file(s) do not parse, so they were left as they are")
    if check_only and unformatted:
        raise UserError(f"{len(unformatted)} of {len(files)} file(s) are not formatted", "run `ndg fmt` on them")

"""The `ndg` command."""

from __future__ import annotations

import sys
import traceback

import click

from ndg.errors import UserError
from ndg.terminal import wants_colour


class _Command(click.Group):
    """Turns user errors into a message and exit code 2, anything else into exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as error:
            colour = wants_colour(sys.stderr)
            click.echo(error.render(colour), err=True, color=colour)
            sys.exit(UserError.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except Exception:
            click.echo("internal error in ndg (this is a bug; please report it with the input that caused it):", err=True)
            traceback.print_exc()
            sys.exit(1)


@click.group(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ndg")
def main():
    """ndg compiles procedural node graphs (.ndg) into plans with a fixed memory layout, and runs
    them headless on WebAssembly.

    \b
    Typical use:
      ndg run examples/basics.ndg            compile and run, print a summary
      ndg compile plant.ndg -o plant.ndp     compile once
      ndg run plant.ndp -o plant.glb --png plant.png
                                             run a compiled plan, write a mesh and a picture
      ndg nodes                              list the node library
    """


def _register_commands():
    from ndg.commands import (
        check,
        compile,
        export,
        fmt,
        import_graph,
        lsp,
        nodes,
        plan,
        run,
        serve,
        sweep,
    )

    for module in (check, compile, run, sweep, plan, serve, fmt, import_graph, export, nodes, lsp):
        main.add_command(module.command)


_register_commands()

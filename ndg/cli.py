"""The `ndg` command."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ndg.errors import UserError

NODE_PATH_HELP = "Another folder of node definitions (repeatable; also $NDG_NODE_PATH)."


class _Command(click.Group):
    """Turns user errors into a message and exit code 2, anything else into exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as error:
            click.echo(error.render(), err=True)
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
      ndg run plant.ndp -o result.bin        run a compiled plan, keep the raw words
    """


def _node_paths(paths) -> tuple[Path, ...]:
    return tuple(Path(p) for p in paths)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--nodes", "node_paths", multiple=True, type=click.Path(path_type=Path), help=NODE_PATH_HELP)
def check(files, node_paths):
    """Run every check on .ndg FILES without building anything."""
    from ndg.compiler.definitions import NodeLibrary
    from ndg.compiler.diagnostics import SourceErrors
    from ndg.compiler.driver import check as check_text
    from ndg.compiler.driver import read_source

    library = NodeLibrary.load(_node_paths(node_paths))
    failed = []
    for file in files:
        try:
            check_text(read_source(file), str(file), library)
        except SourceErrors as errors:
            failed.append(errors)
            click.echo(errors.render() + "\n", err=True)
    if failed:
        raise UserError(f"{sum(len(e.diagnostics) for e in failed)} error(s) in {len(failed)} of {len(files)} file(s)")
    click.echo(f"{len(files)} file(s) OK")


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Plan file to write (default: SOURCE with .ndp).")
@click.option("--nodes", "node_paths", multiple=True, type=click.Path(path_type=Path), help=NODE_PATH_HELP)
def compile(source, output, node_paths):
    """Compile SOURCE (.ndg) into a self-contained plan file (.ndp)."""
    from ndg.compiler.driver import compile_text, read_source
    from ndg.runtime.plan import save_plan

    compiled = compile_text(read_source(source), str(source), _node_paths(node_paths))
    output = output or source.with_suffix(".ndp")
    save_plan(output, compiled.plan, compiled.module.wasm)
    plan = compiled.plan
    click.echo(f"{output}: {len(plan.steps)} steps, {plan.memory_pages} pages ({plan.memory_bytes // 1024} KiB) of memory, "
               f"module {'from cache' if compiled.module.cached else 'built'}")


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the result's raw words (little-endian i32) here.")
@click.option("--stepped", is_flag=True, help="Call the module once per node instead of once per run (for profiling).")
@click.option("--nodes", "node_paths", multiple=True, type=click.Path(path_type=Path), help=NODE_PATH_HELP)
def run(source, output, stepped, node_paths):
    """Run SOURCE: a compiled plan (.ndp), or a graph (.ndg) compiled on the way."""
    from ndg.runtime.engine import Runner
    from ndg.runtime.plan import load_plan, write_atomically

    if source.suffix == ".ndg":
        from ndg.compiler.driver import compile_text, read_source

        compiled = compile_text(read_source(source), str(source), _node_paths(node_paths))
        plan, module = compiled.plan, compiled.module.wasm
    else:
        plan, module = load_plan(source)
    runner = Runner(plan, module)
    result = runner.run(stepped=stepped)
    if output:
        write_atomically(output, result.astype("<i4").tobytes())
    _print_summary(runner, result, output)


def _print_summary(runner, result, output):
    from ndg.runtime.decode import describe_result, describe_scalar

    console = Console()
    plan = runner.plan
    console.print(f"[bold]{plan.source}[/]: {len(plan.steps)} nodes, {plan.memory_pages} pages "
                  f"({plan.memory_bytes // 1024} KiB) of memory")
    table = Table(show_edge=False, box=None, padding=(0, 2))
    for column in ("node", "type", "value"):
        table.add_column(column)
    for step in plan.steps:
        value = plan.values[step.output]
        if step.output != plan.output and "." not in step.node:
            table.add_row(step.node, value.type, describe_scalar(value.type, runner.value(step.output)))
    if table.row_count:
        console.print(table)
    console.print(f"result: {describe_result(result)}")
    if output:
        console.print(f"wrote {len(result)} words to {output}")

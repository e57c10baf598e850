from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ndg.commands import layout_option, node_paths_option


@click.command("run")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the result's raw words (little-endian i32) here.")
@click.option("--stepped", is_flag=True, help="Call the module once per node instead of once per run (for profiling).")
@layout_option
@node_paths_option
def command(source, output, stepped, layout, node_paths):
    """Run SOURCE: a compiled plan (.ndp), or a graph (.ndg) compiled on the way (--layout applies
    only then: a plan keeps the layout it was compiled with)."""
    from ndg.runtime.engine import Runner
    from ndg.runtime.plan import load_plan, write_atomically

    if source.suffix == ".ndg":
        from ndg.compiler.driver import compile_text, read_source

        compiled = compile_text(read_source(source), str(source), tuple(node_paths), layout=layout)
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
        # Under `reuse`, a value whose last reader has run may have been overwritten.
        held = plan.layout == "keep" or value.live_until == len(plan.steps)
        if step.output != plan.output and "." not in step.node and held:
            table.add_row(step.node, value.type, describe_scalar(value.type, runner.value(step.output)))
    if table.row_count:
        console.print(table)
    console.print(f"result: {describe_result(result)}")
    if output:
        console.print(f"wrote {len(result)} words to {output}")

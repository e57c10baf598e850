import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ndg.commands import node_paths_option

PROFILE_ROWS = 30


@click.command("run")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the result's raw words (little-endian i32) here.")
@click.option("--stepped", is_flag=True, help="Call the module once per node instead of once per run (for profiling).")
@click.option("--profile", is_flag=True, help="Also time every node (one call each) and print the slowest in a table.")
@click.option("--check", is_flag=True, help="Run node by node, validating every output's words and the guard words after each.")
@click.option("--budget", type=click.FloatRange(min=1, max=1e15), default=None, metavar="FUEL",
              help="Fuel for one run, about one unit per wasm instruction (default 10 billion).")
@node_paths_option
def command(source, output, stepped, profile, check, budget, node_paths):
    """Run SOURCE: a compiled plan (.ndp), or a graph (.ndg) compiled on the way."""
    from ndg.runtime.engine import DEFAULT_BUDGET, Runner
    from ndg.runtime.plan import load_plan, write_atomically

    if source.suffix == ".ndg":
        from ndg.compiler.driver import compile_text, read_source

        compiled = compile_text(read_source(source), str(source), tuple(node_paths))
        plan, module = compiled.plan, compiled.module.wasm
    else:
        plan, module = load_plan(source)
    with Runner(plan, module, budget=int(budget) if budget else DEFAULT_BUDGET) as runner:
        result = runner.run(stepped=stepped, check=check)
        if output:
            write_atomically(output, result.tobytes())
        _print_summary(runner, result, output)
        if check:
            Console().print(f"checked: every output and guard word after each of {len(plan.steps)} steps")
        if profile:
            _print_profile(runner)


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


def _print_profile(runner):
    """Per-node times from a stepped run; each includes one host→wasm call, measured on its own."""
    plan = runner.plan
    times = runner.profile()
    fused = _best_of(lambda: runner.run(full=True), 5)
    call = _best_of(runner.empty_call, 20)
    total = sum(times)
    table = Table(title=f"time per node (one host call each; an empty call costs {call / 1000:.1f} µs)",
                  show_edge=False, padding=(0, 2))
    for column, justify in (("node", "left"), ("line", "right"), ("kind", "left"), ("µs", "right"), ("share", "right")):
        table.add_column(column, justify=justify)
    slowest = sorted(range(len(times)), key=lambda index: -times[index])[:PROFILE_ROWS]
    for index in slowest:
        step = plan.steps[index]
        table.add_row(step.node, str(step.line), plan.kinds[step.kind].rsplit("/", 1)[-1],
                      f"{times[index] / 1000:.1f}", f"{100 * times[index] / max(total, 1):.1f}%")
    console = Console()
    console.print(table)
    if len(times) > PROFILE_ROWS:
        console.print(f"… and {len(times) - PROFILE_ROWS} faster nodes")
    console.print(f"total: stepped {total / 1e6:.3f} ms ({len(times)} calls), fused {fused / 1e6:.3f} ms (one call)")


def _best_of(action, repeats: int) -> int:
    best = None
    for _ in range(repeats):
        started = time.perf_counter_ns()
        action()
        took = time.perf_counter_ns() - started
        best = took if best is None else min(best, took)
    return best

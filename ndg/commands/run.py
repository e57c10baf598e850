from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ndg.commands import node_paths_option


@click.command("run")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the result's raw words (little-endian i32) here.")
@click.option("--stepped", is_flag=True, help="Call the module once per node instead of once per run (for profiling).")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE",
              help="Give graph parameter NAME a value for this run (repeatable), e.g. --set length=2.5 or --set up=0,1,0.")
@node_paths_option
def command(source, output, stepped, assignments, node_paths):
    """Run SOURCE: a compiled plan (.ndp), or a graph (.ndg) compiled on the way."""
    from ndg.runtime.engine import Runner
    from ndg.runtime.plan import load_plan, write_atomically

    if source.suffix == ".ndg":
        from ndg.compiler.driver import compile_text, read_source

        compiled = compile_text(read_source(source), str(source), tuple(node_paths))
        plan, module = compiled.plan, compiled.module.wasm
    else:
        plan, module = load_plan(source)
    runner = Runner(plan, module)
    for assignment in assignments:
        name, value = _parse_assignment(assignment, plan)
        runner.set_param(name, value)
    result = runner.run(stepped=stepped)
    if output:
        write_atomically(output, result.astype("<i4").tobytes())
    _print_summary(runner, result, output)


def _parse_assignment(text: str, plan):
    """`name=value`, the value read as the parameter's type."""
    from ndg.errors import UserError

    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        raise UserError(f"--set {text}: expected NAME=VALUE", "for example --set length=2.5")
    param = next((p for p in plan.params if p.name == name), None)
    if param is None:
        known = ", ".join(f"`{p.name}`" for p in plan.params) or "none"
        raise UserError(f"--set {text}: the graph has no parameter `{name}`", f"its parameters are: {known}")
    try:
        if param.type == "float":
            return name, float(value)
        if param.type == "vec3":
            parts = tuple(float(v) for v in value.split(","))
            if len(parts) != 3:
                raise ValueError
            return name, parts
        if param.type == "boolean":
            return name, {"true": True, "false": False}[value]
        return name, int(value)
    except (ValueError, KeyError):
        examples = {"float": "2.5", "vec3": "0,1,0", "boolean": "true or false"}
        raise UserError(f"--set {text}: `{name}` is a {param.type} parameter, and `{value}` is not one",
                        f"write it like --set {name}={examples.get(param.type, '3')}") from None


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

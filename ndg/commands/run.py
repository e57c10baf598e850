from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ndg.commands import echo_json, node_paths_option, plan_summary, quiet_and_json_options

OUTPUT_HELP = ("Write the result here, in the format the extension names (repeatable): meshes .glb .gltf .obj "
               ".stl .ply; raw words .bin (little-endian i32) or .json (an array of ints, as Nodarium's viewer gets).")


@click.command("run")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(path_type=Path), help=OUTPUT_HELP)
@click.option("--png", type=click.Path(path_type=Path), help="Render a shaded preview picture of the result here.")
@click.option("--size", default="800x600", show_default=True, metavar="WxH", help="Size of the --png picture in pixels.")
@click.option("--view", default="35,20", show_default=True, metavar="AZIMUTH,ELEVATION",
              help="Direction the --png camera looks from, in degrees around and above the plant.")
@click.option("--stepped", is_flag=True, help="Call the module once per node instead of once per run (for profiling).")
@node_paths_option
@quiet_and_json_options
def command(source, outputs, png, size, view, stepped, node_paths, quiet, as_json):
    """Run SOURCE: a compiled plan (.ndp), or a graph (.ndg) compiled on the way."""
    from ndg.api import Result
    from ndg.export import check_destination
    from ndg.progress import Stages
    from ndg.render import View, parse_size, parse_view
    from ndg.runtime.engine import Runner
    from ndg.runtime.plan import load_plan

    # Every option is checked before anything slow runs.
    for output in outputs:
        check_destination(output)
    if png:
        check_destination(png, (".png",))
    picture = View(*parse_size(size), *parse_view(view))

    stages = Stages(quiet)
    if source.suffix == ".ndg":
        from ndg.compiler.driver import compile_text, read_source

        compiled = compile_text(read_source(source), str(source), tuple(node_paths), stage=stages.stage)
        plan, module = compiled.plan, compiled.module.wasm
    else:
        with stages.stage("read", f"reading {source}"):
            plan, module = load_plan(source)
    with stages.stage("load", "compiling the module with Cranelift"):
        runner = Runner(plan, module)
    with stages.stage("run", f"running {len(plan.steps)} nodes"):
        result = Result(runner.run(stepped=stepped), plan.source)
    written = []
    for output in outputs:
        with stages.stage("write", f"writing {output}"):
            written.append({"path": str(output), "notes": result.save(output)})
    if png:
        with stages.stage("render", f"rendering {png}"):
            image = result.render(picture.width, picture.height, picture.azimuth, picture.elevation)
            _save_png(image, png)
            written.append({"path": str(png), "notes": []})

    if as_json:
        echo_json({**plan_summary(plan), "result": _result_summary(result), "written": written,
                   "timings": stages.timings})
    elif not quiet:
        _print_summary(runner, result, written)


def _save_png(image, path: Path) -> None:
    import io

    from ndg.runtime.plan import write_atomically

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    write_atomically(path, buffer.getvalue())


def _result_summary(result) -> dict:
    from ndg.errors import UserError

    try:
        return result.summary()
    except UserError as error:
        return {"words": len(result.words), "error": error.message}


def _print_summary(runner, result, written):
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
    console.print(f"result: {describe_result(result.words)}")
    for entry in written:
        console.print(f"wrote {entry['path']}", highlight=False)
        for note in entry["notes"]:
            console.print(f"  note: {note}", highlight=False)

from pathlib import Path

import click
from rich.table import Table

from ndg import terminal
from ndg.commands import (
    echo_json,
    layout_option,
    modules_option,
    node_paths_option,
    plan_summary,
    quiet_and_json_options,
)
from ndg.errors import UserError
from ndg.parameters import parse_assignment

OUTPUT_HELP = ("Write the result here, in the format the extension names (repeatable): scenes .glb .gltf "
               ".usda .usdc .usdz; meshes .obj .stl .ply; raw words .bin (little-endian i32) or .json (an array of "
               "ints, as Nodarium's viewer gets). `-` is standard output, in the format --format names.")

PROFILE_ROWS = 30


@click.command("run")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(path_type=Path), help=OUTPUT_HELP)
@click.option("--format", "output_format", metavar="EXT",
              help="The format of outputs whose name has no known extension (`-o -`, /dev/stdout), as an extension: glb, obj, json, ….")
@click.option("--gltf-instancing", type=click.Choice(["extension", "nodes"]), default="extension", show_default=True,
              help="How glTF holds instances: EXT_mesh_gpu_instancing, or one node each for tools without it.")
@click.option("--png", type=click.Path(path_type=Path),
              help="Render a shaded preview picture of the result here (- for standard output), with OpenGL "
                   "(EGL); where it cannot start, a plainer CPU renderer draws instead. NDG_RENDERER=gl or cpu "
                   "chooses one.")
@click.option("--turntable", type=click.IntRange(1, 360), metavar="N",
              help="Draw N views around the plant: side by side in one .png, or an animated .webp/.gif.")
@click.option("--size", default="800x600", show_default=True, metavar="WxH", help="Size of the --png picture in pixels.")
@click.option("--view", default="35,20", show_default=True, metavar="AZIMUTH,ELEVATION",
              help="Direction the --png camera looks from, in degrees around and above the plant.")
@click.option("--stepped", is_flag=True, help="Call the module once per node instead of once per run (for profiling).")
@click.option("--profile", is_flag=True, help="Also time every node (one call each) and print the slowest in a table.")
@click.option("--check", is_flag=True, help="Run node by node, validating every output's words and the guard words after each.")
@click.option("--budget", type=click.FloatRange(min=1, max=1e15), default=None, metavar="FUEL",
              help="Bound each run by fuel instead of time: about one unit per wasm instruction, the same on "
                   "every machine (costs about 13% of the run).")
@click.option("--timeout", type=click.FloatRange(min=0.001, max=1e6), default=None, metavar="SECONDS",
              help="Stop a run still going after this many seconds (default 30; ignored with --budget).")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE",
              help="Give graph parameter NAME a value for this run (repeatable), e.g. --set length=2.5 or --set up=0,1,0.")
@click.option("--seed", type=click.IntRange(-(2**31), 2**31 - 1), default=None, metavar="N",
              help="The run's seed, which every `seed` input without one of its own receives (same as --set seed=N).")
@layout_option
@modules_option
@node_paths_option
@quiet_and_json_options
def command(source, outputs, output_format, gltf_instancing, png, turntable, size, view, stepped, profile, check,
            budget, timeout, assignments, seed, layout, modules, node_paths, quiet, as_json):
    """Run SOURCE: a compiled plan (.ndp), or a graph (.ndg) compiled on the way (--layout and
    --modules apply only then: a plan keeps what it was compiled with)."""
    from ndg.export import FORMATS, check_destination
    from ndg.item_names import node_names
    from ndg.program import Result
    from ndg.progress import Stages
    from ndg.render import PICTURE_FORMATS, TURNTABLE_FORMATS, View, parse_size, parse_view
    from ndg.runtime.engine import DEFAULT_TIMEOUT, Runner
    from ndg.runtime.plan import load_plan

    # Every option is checked before anything slow runs.
    # --format names the format where the name does not (-, /dev/stdout, a FIFO); a known extension wins.
    destinations = [(output, *check_destination(output, None if output.suffix.lower() in FORMATS else output_format,
                                                inputs=[source])) for output in outputs]
    if png:
        picture_target = check_destination(png, "png" if str(png) == "-" else None,
                                           TURNTABLE_FORMATS if turntable else PICTURE_FORMATS, inputs=[source])
    to_stdout = [t for _, t, _ in destinations if t.is_stdout] + ([picture_target[0]] if png and picture_target[0].is_stdout else [])
    if len(to_stdout) > 1:
        raise UserError("only one output can go to standard output (-)", "write the others to files")
    if to_stdout and as_json:
        raise UserError("--json and an output to - would both write to standard output", "write the output to a file")
    picture = View(*parse_size(size), *parse_view(view))

    stages = Stages(quiet)
    if source.suffix == ".ndg":
        from ndg.compiler.driver import compile_text, read_source

        compiled = compile_text(read_source(source), str(source), tuple(node_paths), stage=stages.stage,
                                layout=layout, modules=modules)
        plan, module = compiled.plan, compiled.module.wasm
    else:
        with stages.stage("read", f"reading {source}"):
            plan, module = load_plan(source)
    with stages.stage("load", "compiling the module with Cranelift"):
        runner = Runner(plan, module, budget=int(budget) if budget else None, timeout=timeout or DEFAULT_TIMEOUT)
    for assignment in assignments:
        runner.set_param(*parse_assignment(assignment, plan))
    if seed is not None:
        runner.set_param(*parse_assignment(f"seed={seed}", plan))
    with runner:
        with stages.stage("run", f"running {len(plan.steps)} nodes"):
            words = runner.run(stepped=stepped, check=check)
            result = Result(words, plan.source, node_names(runner), compat=plan.compat)
        written = []
        for output, target, suffix in destinations:
            with stages.stage("write", f"writing {output}"):
                written.append({"path": str(output), "notes": result.save(target, suffix, gltf_instancing)})
        if png:
            with stages.stage("render", f"rendering {png}"):
                _save_picture(result, picture, turntable, *picture_target)
                written.append({"path": str(png), "notes": []})

        if to_stdout:  # the summary must not mix with the file
            quiet = True
        if as_json:
            echo_json({**plan_summary(plan), "result": _result_summary(result), "written": written,
                       "timings": stages.timings})
        elif not quiet:
            _print_summary(runner, result, written)
            if check:
                terminal.console().print(f"checked: every output and guard word after each of {len(plan.steps)} steps")
        if profile:
            _print_profile(runner)


def _save_picture(result, view, turntable, target, suffix) -> None:
    from ndg.outputs import write_output
    from ndg.render import picture_bytes

    if turntable:
        images = result.turntable(turntable, view.width, view.height, view.azimuth, view.elevation)
    else:
        images = [result.render(view.width, view.height, view.azimuth, view.elevation)]
    write_output(target, picture_bytes(images, target.given, suffix))


def _result_summary(result) -> dict:
    from ndg.errors import UserError

    try:
        return result.summary()
    except UserError as error:
        return {"words": len(result.words), "error": error.message}


def _print_summary(runner, result, written):
    from rich.markup import escape
    from rich.text import Text

    from ndg.runtime.decode import describe_result, describe_value

    console = terminal.console()
    plan = runner.plan
    # Names and values as they are, never markup: `[nan, inf, 1]` or a plan's `x[/b]` are text.
    console.print(f"[bold]{escape(plan.source)}[/]: {len(plan.steps)} nodes, {plan.memory_pages} pages "
                  f"({plan.memory_bytes // 1024} KiB) of memory")
    table = Table(show_edge=False, box=None, padding=(0, 2))
    for column in ("node", "type", "value"):
        table.add_column(column)
    for step in plan.steps:
        value = plan.values[step.output]
        # Under `reuse`, a value whose last reader has run may have been overwritten.
        held = plan.layout == "keep" or value.live_until == len(plan.steps)
        if step.output != plan.output and "." not in step.node and held:
            table.add_row(Text(step.node), Text(value.type), Text(describe_value(value.type, runner.value(step.output))))
    if table.row_count:
        console.print(table)
    console.print(Text(f"result: {describe_result(result.readable_words)}"))
    for entry in written:
        console.print(Text(f"wrote {entry['path']}"))
        for note in entry["notes"]:
            console.print(Text(f"  note: {note}"))


def _print_profile(runner):
    """Per-node times from stepped runs, less the cost of the host call each step takes."""
    plan = runner.plan
    times = runner.profile()
    fused = runner.fused_time()
    call = runner.call_cost()
    total = sum(times)
    table = Table(title=f"time per node (best of 5, less the {call} ns an empty host call costs)",
                  show_edge=False, padding=(0, 2))
    for column, justify in (("node", "left"), ("line", "right"), ("kind", "left"), ("µs", "right"), ("share", "right")):
        table.add_column(column, justify=justify)
    slowest = sorted(range(len(times)), key=lambda index: -times[index])[:PROFILE_ROWS]
    for index in slowest:
        step = plan.steps[index]
        table.add_row(step.node, str(step.line), plan.kinds[step.kind].rsplit("/", 1)[-1],
                      f"{times[index] / 1000:.3f}", f"{100 * times[index] / max(total, 1):.1f}%")
    console = terminal.console()
    console.print(table)
    if len(times) > PROFILE_ROWS:
        console.print(f"… and {len(times) - PROFILE_ROWS} faster nodes")
    console.print(f"total: nodes {total / 1e6:.3f} ms ({len(times)} steps), fused {fused / 1e6:.3f} ms (one call, measured alike)")

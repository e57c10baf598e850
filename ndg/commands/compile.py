from pathlib import Path

import click

from ndg.commands import (
    echo_json,
    layout_option,
    modules_option,
    node_paths_option,
    plan_summary,
    quiet_and_json_options,
)


@click.command("compile")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Plan file to write (default: SOURCE with .ndp; - for standard output).")
@layout_option
@modules_option
@node_paths_option
@quiet_and_json_options
def command(source, output, layout, modules, node_paths, quiet, as_json):
    """Compile SOURCE (.ndg) into a self-contained plan file (.ndp)."""
    from ndg.commands.plan import slot_bytes
    from ndg.compiler.driver import compile_text, read_source
    from ndg.outputs import check_output
    from ndg.progress import Stages
    from ndg.runtime.plan import save_plan

    output = output or source.with_suffix(".ndp")
    target = check_output(output, inputs=[source])
    if target.is_stdout:  # the summary must not mix with the plan
        quiet, as_json = True, False
    stages = Stages(quiet)
    compiled = compile_text(read_source(source), str(source), tuple(node_paths), stage=stages.stage, layout=layout,
                            modules=modules)
    with stages.stage("write", f"writing {output}"):
        save_plan(target, compiled.plan, compiled.module.wasm)
    plan = compiled.plan
    if as_json:
        echo_json({**plan_summary(plan), "plan": str(output), "layout": plan.layout, "slot_bytes": slot_bytes(plan),
                   "peak_live_bytes": plan.peak_live_bytes,
                   "module": {"sha256": plan.module.sha256, "cached": compiled.module.cached},
                   "timings": stages.timings})
    elif not quiet:
        click.echo(f"{output}: {len(plan.steps)} steps, {plan.memory_pages} pages ({plan.memory_bytes // 1024} KiB) of memory, "
                   f"slots laid out by `{plan.layout}` ({slot_bytes(plan):,} bytes; peak of live bytes "
                   f"{plan.peak_live_bytes:,}), module {'from cache' if compiled.module.cached else 'built'}")

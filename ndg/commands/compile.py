from pathlib import Path

import click

from ndg.commands import layout_option, node_paths_option


@click.command("compile")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Plan file to write (default: SOURCE with .ndp).")
@layout_option
@node_paths_option
def command(source, output, layout, node_paths):
    """Compile SOURCE (.ndg) into a self-contained plan file (.ndp)."""
    from ndg.compiler.driver import compile_text, read_source
    from ndg.commands.plan import slot_bytes
    from ndg.runtime.plan import save_plan

    compiled = compile_text(read_source(source), str(source), tuple(node_paths), layout=layout)
    output = output or source.with_suffix(".ndp")
    save_plan(output, compiled.plan, compiled.module.wasm)
    plan = compiled.plan
    click.echo(f"{output}: {len(plan.steps)} steps, {plan.memory_pages} pages ({plan.memory_bytes // 1024} KiB) of memory, "
               f"slots laid out by `{plan.layout}` ({slot_bytes(plan):,} bytes; peak of live bytes {plan.peak_live_bytes:,}), "
               f"module {'from cache' if compiled.module.cached else 'built'}")

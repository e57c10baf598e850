"""`ndg plan show`: a compiled plan's memory map and step table, as tables, JSON or a picture."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("plan")
def command():
    """Look inside compiled plans (.ndp)."""


@command.command("show")
@click.argument("plan_file", type=click.Path(path_type=Path))
@click.option("--png", type=click.Path(path_type=Path), help="Also draw the slot layout here: address up, step across.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary instead of tables.")
def show(plan_file, png, as_json):
    """Print PLAN_FILE's memory map and step table."""
    from ndg.outputs import check_output, write_output
    from ndg.runtime.plan import load_plan
    from ndg.runtime.validate import validate_plan

    target = check_output(png, inputs=[plan_file]) if png else None
    plan, _ = load_plan(plan_file)
    validate_plan(plan)
    if target and target.is_stdout:
        pass  # the picture is what goes to standard output
    elif as_json:
        click.echo(json.dumps(summary(plan), indent=2))
    else:
        _print_tables(plan)
    if target:
        write_output(target, draw_layout(plan))


def slot_bytes(plan) -> int:
    """The bytes the slot regions hold: the layout's size."""
    return sum(r.size for r in plan.regions if r.kind == "slot")


def slot_area_bytes(plan) -> int:
    """The span of memory the slots take, with the alignment padding and guards between them."""
    area = [r for r in plan.regions if r.kind in ("slot", "guard")]
    return max(r.end for r in area) - min(r.offset for r in area)


def summary(plan) -> dict:
    slots, area = slot_bytes(plan), slot_area_bytes(plan)
    return {
        "source": plan.source,
        "layout": plan.layout,
        "memory_bytes": plan.memory_bytes,
        "memory_pages": plan.memory_pages,
        "slot_bytes": slots,
        "peak_live_bytes": plan.peak_live_bytes,
        "slot_area_bytes": area,
        "slots_over_peak": round(slots / plan.peak_live_bytes, 4) if plan.peak_live_bytes else None,
        "area_over_peak": round(area / plan.peak_live_bytes, 4) if plan.peak_live_bytes else None,
        "guards": sum(r.kind == "guard" for r in plan.regions),
        "regions": [{"kind": r.kind, "name": r.name, "offset": r.offset, "size": r.size}
                    for r in sorted(plan.regions, key=lambda r: r.offset)],
        "steps": [{"node": s.node, "line": s.line, "kind": plan.kinds[s.kind], "offset": plan.values[s.output].offset,
                   "capacity_words": plan.values[s.output].capacity, "written_at": i,
                   "live_until": plan.values[s.output].live_until} for i, s in enumerate(plan.steps)],
    }


def _print_tables(plan):
    from rich.markup import escape
    from rich.table import Table

    from ndg import terminal

    console = terminal.console()
    data = summary(plan)
    ratio = f" ({data['slots_over_peak']:.3f}× the peak)" if data["slots_over_peak"] else ""
    # Names from the plan as they are, never markup (a crafted plan's `x[/b]` is text).
    console.print(f"[bold]{escape(plan.source)}[/]: {len(plan.steps)} steps, {plan.memory_pages} pages "
                  f"({plan.memory_bytes:,} bytes) of memory; slots laid out by `{plan.layout}`: "
                  f"{data['slot_bytes']:,} bytes{ratio}, {data['slot_area_bytes']:,} with padding and "
                  f"{data['guards']} guards; peak of live bytes {plan.peak_live_bytes:,}")
    regions = Table(title="memory map", show_edge=False, padding=(0, 2))
    for column in ("offset", "end", "bytes", "kind", "name"):
        regions.add_column(column, justify="right" if column in ("offset", "end", "bytes") else "left",
                           no_wrap=column != "name")
    for region in data["regions"]:
        if region["kind"] != "guard":
            regions.add_row(f"{region['offset']:#x}", f"{region['offset'] + region['size']:#x}", f"{region['size']:,}",
                            escape(region["kind"]), escape(region["name"]))
    console.print(regions)
    steps = Table(title="steps", show_edge=False, padding=(0, 2))
    for column in ("step", "node", "line", "kind", "offset", "words", "lifetime"):
        steps.add_column(column, justify="left" if column in ("node", "kind") else "right",
                         no_wrap=column != "node", overflow="fold")
    for step in data["steps"]:
        end = "end" if step["live_until"] == len(plan.steps) else str(step["live_until"])
        steps.add_row(str(step["written_at"]), escape(step["node"]), str(step["line"]), escape(step["kind"].rsplit("/", 1)[-1]),
                      f"{step['offset']:#x}", f"{step['capacity_words']:,}", f"{step['written_at']}–{end}")
    console.print(steps)


def draw_layout(plan, width: int = 960, height: int = 640) -> bytes:
    """A PNG of the slot regions: step across, address up, one rectangle per node output over its
    lifetime, guards as red lines."""
    import io

    from PIL import Image, ImageDraw

    margin = 48
    shown = [r for r in plan.regions if r.kind in ("slot", "guard")]
    low, high = min(r.offset for r in shown), max(r.end for r in shown)
    columns = len(plan.steps) + 1
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)

    def x(step: int) -> float:
        return margin + (width - 2 * margin) * step / columns

    def y(address: int) -> float:
        return height - margin - (height - 2 * margin) * (address - low) / max(high - low, 1)

    palette = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#eeca3b", "#72b7b2", "#9d755d", "#ff9da6"]
    for index, step in enumerate(plan.steps):
        value = plan.values[step.output]
        if value.capacity:
            draw.rectangle([x(index), y(value.offset + 4 * value.capacity), x(value.live_until + 1), y(value.offset)],
                           fill=palette[index % len(palette)], outline="black")
    for region in shown:
        if region.kind == "guard":
            draw.line([x(0), y(region.offset), x(columns), y(region.offset)], fill="red")
    draw.rectangle([x(0), y(high), x(columns), y(low)], outline="black")
    draw.text((margin, height - margin + 8), f"step 0 … {len(plan.steps)} (`{plan.layout}` layout)", fill="black")
    draw.text((4, 4), f"address {low:#x} … {high:#x}", fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()

"""One module per `ndg` subcommand; each defines `command`, registered in ndg/cli.py."""

import json
from pathlib import Path

import click

NODE_PATH_HELP = "Another folder of node definitions (repeatable; also $NDG_NODE_PATH)."


def node_paths_option(function):
    return click.option("--nodes", "node_paths", multiple=True, type=click.Path(path_type=Path),
                        help=NODE_PATH_HELP)(function)


def quiet_and_json_options(function):
    function = click.option("--json", "as_json", is_flag=True,
                            help="Print a machine-readable summary (JSON) on stdout instead of the table.")(function)
    return click.option("-q", "--quiet", is_flag=True, help="No progress and no summary; errors still show.")(function)


def plan_summary(plan) -> dict:
    """The plan fields every --json summary starts with (named as `ndg plan show --json` names them)."""
    return {"source": plan.source, "nodes": len(plan.steps), "memory_bytes": plan.memory_bytes,
            "memory_pages": plan.memory_pages}


def echo_json(data: dict) -> None:
    click.echo(json.dumps(data, indent=2))


LAYOUT_HELP = ("How node outputs are laid out: `keep` gives each its own memory for the whole run, so every "
               "node's value stays readable afterwards; `reuse` lets outputs whose lifetimes do not overlap "
               "share memory (least memory).")


def layout_option(function):
    return click.option("--layout", type=click.Choice(["keep", "reuse"]), default="keep", show_default=True,
                        help=LAYOUT_HELP)(function)


MODULES_HELP = ("How the nodes are built: `single` links every node into one module; `per-node` builds a module "
                "per node type the graph uses, each placed in its own part of the shared memory, as node "
                "packages are published one by one.")


def modules_option(function):
    return click.option("--modules", type=click.Choice(["single", "per-node"]), default="single", show_default=True,
                        help=MODULES_HELP)(function)


def source_files(paths) -> list[Path]:
    """The .ndg files named, a folder standing for the .ndg files in it (sorted by name)."""
    from ndg.errors import UserError

    files = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(path.glob("*.ndg"))
        if not found:
            raise UserError(f"{path} is a folder with no .ndg files in it", "name the .ndg files to use")
        files.extend(found)
    return files

"""One module per `ndg` subcommand; each defines `command`, registered in ndg/cli.py."""

from pathlib import Path

import click

NODE_PATH_HELP = "Another folder of node definitions (repeatable; also $NDG_NODE_PATH)."


def node_paths_option(function):
    return click.option("--nodes", "node_paths", multiple=True, type=click.Path(path_type=Path),
                        help=NODE_PATH_HELP)(function)


LAYOUT_HELP = ("How node outputs are laid out: `keep` gives each its own memory for the whole run, so every "
               "node's value stays readable afterwards; `reuse` lets outputs whose lifetimes do not overlap "
               "share memory (least memory).")


def layout_option(function):
    return click.option("--layout", type=click.Choice(["keep", "reuse"]), default="keep", show_default=True,
                        help=LAYOUT_HELP)(function)

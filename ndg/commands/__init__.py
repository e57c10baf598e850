"""One module per `ndg` subcommand; each defines `command`, registered in ndg/cli.py."""

from pathlib import Path

import click

NODE_PATH_HELP = "Another folder of node definitions (repeatable; also $NDG_NODE_PATH)."


def node_paths_option(function):
    return click.option("--nodes", "node_paths", multiple=True, type=click.Path(path_type=Path),
                        help=NODE_PATH_HELP)(function)

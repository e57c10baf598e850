import click

from ndg.commands import node_paths_option


@click.command("lsp")
@node_paths_option
def command(node_paths):
    """Serve the Language Server Protocol on stdin/stdout, for editors (see the README)."""
    try:
        from ndg.lsp import serve_stdio
    except ImportError as error:
        from ndg.errors import UserError

        raise UserError(f"the language server needs pygls ({error.name} is not installed)",
                        "install it with `pip install 'ndg[lsp]'`") from None
    serve_stdio(tuple(node_paths))

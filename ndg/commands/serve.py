import asyncio
import contextlib
import webbrowser
from pathlib import Path

import click


@click.command("serve")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but this machine's own lets other machines drive the compiler.")
@click.option("--port", type=click.IntRange(0, 65535), default=8123, show_default=True,
              help="Port to listen on; 0 picks a free one (the URL is printed).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default web browser.")
def command(source, host, port, open_browser):
    """Serve a page that shows SOURCE (.ndg) in 3D, runs it in the browser with a control per
    parameter, and follows every save of the file (Ctrl-C stops)."""
    from ndg.errors import UserError
    from ndg.serve import serve

    if source.suffix != ".ndg" or not source.is_file():
        raise UserError(f"{source} is not a graph file", "give the .ndg file to watch")

    def announce(url: str, build) -> None:
        click.echo(f"ndg serve: {source} at {url}", err=False)
        if build.diagnostics:
            click.echo(build.diagnostics, err=True)
        if open_browser:
            webbrowser.open(url)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(source, host, port, announce))

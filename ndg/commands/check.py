from pathlib import Path

import click

from ndg.commands import echo_json, layout_option, node_paths_option, source_files
from ndg.errors import UserError


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@layout_option
@node_paths_option
@click.option("--json", "as_json", is_flag=True,
              help="Print every file's diagnostics as JSON on stdout (code, message, file, line, col, end, hint).")
def command(files, layout, node_paths, as_json):
    """Run every check on .ndg FILES (or every .ndg file in a folder) without building anything."""
    import sys

    from ndg.compiler.definitions import NodeLibrary
    from ndg.compiler.diagnostics import MAX_SHOWN_DIAGNOSTICS, SourceErrors
    from ndg.compiler.driver import check_for_compile, read_source
    from ndg.terminal import wants_colour

    library = NodeLibrary.load(tuple(node_paths))
    colour = wants_colour(sys.stderr)
    files = source_files(files)
    reports, errors_found = [], 0
    for file in files:
        report = {"file": str(file), "ok": True, "diagnostics": [], "not_shown": 0}
        reports.append(report)
        try:
            check_for_compile(read_source(file), str(file), library, layout)
        except SourceErrors as errors:
            errors_found += len(errors.diagnostics)
            shown = errors.diagnostics[:MAX_SHOWN_DIAGNOSTICS]
            report.update(ok=False, diagnostics=[d.as_json(errors.source) for d in shown],
                          not_shown=len(errors.diagnostics) - len(shown))
            if not as_json:
                click.echo(errors.render(colour) + "\n", err=True, color=colour)
        except UserError as error:  # a file that cannot be read: reported, and the others still checked
            errors_found += 1
            report.update(ok=False, error=error.message, hint=error.hint)
            if not as_json:
                click.echo(error.render(colour) + "\n", err=True, color=colour)
    failed = sum(not report["ok"] for report in reports)
    if as_json:
        echo_json({"ok": not failed, "errors": errors_found, "files": reports})
        if failed:
            sys.exit(UserError.exit_code)
        return
    if failed:
        raise UserError(f"{errors_found:,} error(s) in {failed} of {len(files)} file(s)")
    click.echo(f"{len(files)} file(s) OK")

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ndg import terminal
from ndg.commands import echo_json, node_paths_option, quiet_and_json_options
from ndg.errors import UserError

SHOWN_FAILURES = 5
INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C


@click.command("sweep")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUES",
              help="Values of graph parameter NAME (repeatable; every combination is a variant): a range "
                   "a..b:step, a list v1,v2 (vectors separated by ;), or one value.")
@click.option("--random", "random_count", type=click.IntRange(min=1), metavar="N",
              help="N variants with every parameter that has a declared range (and every boolean) not given "
                   "by --set drawn uniformly.")
@click.option("--random-seed", type=int, default=0, show_default=True, metavar="S",
              help="The seed that draws the --random variants: the same seed gives the same variants.")
@click.option("--params", "params_file", type=click.Path(path_type=Path),
              help="Parameter sets from a file, one per row: .csv (with a header), .jsonl or .parquet.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="PATTERN",
              help="Write each variant here (repeatable): {index} and parameter names are filled in, e.g. "
                   "out/plant-{index:04d}.glb; the extension picks the format, as in `ndg run -o` (.png too).")
@click.option("--manifest", type=click.Path(path_type=Path), default=Path("manifest.parquet"), show_default=True,
              help="One row per variant (parameters, files with sizes and SHA-256, counts, bounds, times, "
                   "worker, error): .parquet or .csv. A rerun skips the variants it shows complete.")
@click.option("--workers", type=click.IntRange(min=0), default=None, metavar="N",
              help="Worker processes of the local Dask cluster (default: one per core; 0 runs in this process).")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on this existing dask.distributed cluster instead (its workers need ndg installed).")
@node_paths_option
@quiet_and_json_options
def command(source, assignments, random_count, random_seed, params_file, outputs, manifest, workers, scheduler,
            node_paths, quiet, as_json):
    """Run SOURCE (a plan, or a graph compiled on the way) once per parameter set, on a Dask cluster,
    writing each variant's files and a manifest. Failed variants are recorded and the rest go on;
    rerunning the same command after a crash or Ctrl-C finishes what is missing."""
    from ndg.program import Program
    from ndg.progress import Stages
    from ndg.runtime.plan import load_plan
    from ndg.sweeps import Progress, sweep

    if scheduler and workers is not None:
        raise UserError("--workers sizes a local cluster, and --scheduler names an existing one",
                        "give one of them")
    stages = Stages(quiet or as_json)
    if source.suffix == ".ndg":
        from ndg.compiler.driver import compile_text, read_source

        compiled = compile_text(read_source(source), str(source), tuple(node_paths), stage=stages.stage)
        program = Program(compiled.plan, compiled.module.wasm)
    else:
        with stages.stage("read", f"reading {source}"):
            program = Program(*load_plan(source))
    parameter_sets = _parameter_sets(program.plan, assignments, random_count, random_seed, params_file)

    progress = Progress()
    try:
        with _client(scheduler, workers, stages) as client, \
                stages.bar(f"sweeping {source}", len(parameter_sets)) as advance:
            sweep(program, parameter_sets, outputs, client, manifest, progress, advance)
    except KeyboardInterrupt:
        click.echo(f"interrupted: {progress.skipped + progress.ran} of {progress.total} variants are in {manifest}; "
                   "run the same command again to finish the rest", err=True)
        sys.exit(INTERRUPTED)
    _report(progress, manifest, quiet, as_json)


def _parameter_sets(plan, assignments, random_count, random_seed, params_file) -> list[dict]:
    from ndg import sweep_sets

    if params_file and (assignments or random_count):
        raise UserError("--params gives whole parameter sets, so --set and --random do not combine with it",
                        "put every value in the file, or use --set and --random without it")
    if params_file:
        return sweep_sets.read_file(params_file)
    points = sweep_sets.grid(assignments, plan)
    if random_count:
        return sweep_sets.sample(plan, random_count, random_seed, points if assignments else [])
    return points


@contextmanager
def _client(scheduler, workers, stages):
    """A Dask client: to the cluster named, to a local one sized to the machine, or None (this process)."""
    if workers == 0:
        yield None
        return
    from distributed import Client

    from ndg.sweep_dask import local_cluster

    if scheduler:
        with stages.stage("connect", f"connecting to {scheduler}"):
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as error:
                raise UserError(f"cannot reach the Dask scheduler at {scheduler}: {error}",
                                "start one with `dask scheduler` and workers with `dask worker ADDRESS`") from None
        with client:
            yield client
        return
    count = workers or os.cpu_count() or 1
    with stages.stage("cluster", f"starting {count} local worker processes"):
        cluster = local_cluster(count)
        client = Client(cluster)
    with cluster, client:
        yield client


def _report(progress, manifest, quiet, as_json) -> None:
    if as_json:
        echo_json({"variants": progress.total, "skipped": progress.skipped, "ran": progress.ran,
                   "failed": progress.failed, "manifest": str(manifest),
                   "failures": [{"index": i, "error": e} for i, e in progress.failures]})
    elif not quiet:
        terminal.console().print(f"{progress.total} variants: {progress.ran} run, {progress.skipped} already done "
                                 f"(skipped), {progress.failed} failed; manifest: {manifest}", highlight=False)
    if progress.failed:
        for index, error in sorted(progress.failures)[:SHOWN_FAILURES]:
            click.echo(f"variant {index} failed: {error}", err=True)
        more = progress.failed - SHOWN_FAILURES
        raise UserError(f"{progress.failed} of {progress.total} variants failed" + (f" ({more} more not shown)" if more > 0 else ""),
                        f"every variant's error is in the `error` column of {manifest}")

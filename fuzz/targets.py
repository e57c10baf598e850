"""The fuzz targets: each takes raw bytes, feeds them to one entry point for untrusted input, and
lets through only what the code promises for bad input: a UserError (exit code 2 in the CLI).
Anything else escaping is a bug, and the fuzzer (fuzz/run.py) or the corpus replay
(tests/test_fuzz_corpus.py) reports it with the input.

Targets: `source` (.ndg text through every check compile makes), `import` (Nodarium graph JSON
to .ndg, whose text must then parse), `plan` (a plan file decoded and validated) and
`definition` (a node's definition.json).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
from pathlib import Path

from ndg.errors import UserError


@functools.cache
def _library():
    from ndg.compiler.definitions import NodeLibrary

    return NodeLibrary.load()


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def source(data: bytes) -> None:
    from ndg.compiler.driver import check_for_compile

    text = _text(data)
    if text is None:
        return
    with contextlib.suppress(UserError):
        check_for_compile(text, "fuzz.ndg", _library())


def import_(data: bytes) -> None:
    from ndg.compiler.nodarium.interchange import import_graph
    from ndg.compiler.syntax import parse

    try:
        graph = json.loads(data)
    except (ValueError, RecursionError):  # the command reports these itself
        return
    try:
        imported = import_graph(graph, _library(), "fuzz.json")
    except UserError:
        return
    parse(imported.text, "imported.ndg")  # what import writes must parse: SourceErrors here is a bug


def plan(data: bytes) -> None:
    from ndg.runtime.plan import decode_plan
    from ndg.runtime.validate import validate_plan

    with contextlib.suppress(UserError):
        validate_plan(decode_plan(data)[0])


@functools.cache
def _definition_file() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="ndg-fuzz-"))
    return folder / "definition.json"


def definition(data: bytes) -> None:
    from ndg.compiler.definitions import load_definition

    path = _definition_file()
    path.write_bytes(data)
    with contextlib.suppress(UserError):
        load_definition(path)


TARGETS = {"source": source, "import": import_, "plan": plan, "definition": definition}
CORPUS = Path(__file__).resolve().parent / "corpus"


def corpus_files(target: str) -> list[Path]:
    return sorted(p for p in (CORPUS / target).iterdir() if p.is_file() and not p.name.startswith("."))


def replay(target: str) -> None:
    """Every corpus input of `target` through it (the test suite does this)."""
    for path in corpus_files(target):
        TARGETS[target](path.read_bytes())


if __name__ == "__main__":
    for name in TARGETS:
        replay(name)
        print(f"{name}: {len(corpus_files(name))} inputs replayed", flush=True)
    os._exit(0)

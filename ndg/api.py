"""The library API: compile a graph, run it with parameters, and use what it made.

    import ndg
    program = ndg.compile("examples/basics.ndg")   # or ndg.compile_string(text), ndg.load("x.ndp")
    result = program.run()                         # program.run(seed=3) for a graph with parameters
    result.save("plant.glb")
    result.to_trimesh().show()

In a Jupyter notebook a Result shows itself as its preview picture.
"""

from __future__ import annotations

import os
from pathlib import Path

from ndg.program import Program, Result

__all__ = ["Program", "Result", "compile", "compile_string", "load"]


def compile(path: str | os.PathLike, nodes: tuple[str | os.PathLike, ...] = ()) -> Program:
    """Compile a .ndg file. `nodes` adds folders of node definitions."""
    from ndg.compiler.driver import read_source

    return compile_string(read_source(Path(path)), str(path), nodes)


def compile_string(text: str, name: str = "<string>", nodes: tuple[str | os.PathLike, ...] = ()) -> Program:
    """Compile .ndg text; `name` is what messages call it."""
    from ndg.compiler.driver import compile_text

    compiled = compile_text(text, name, tuple(Path(n) for n in nodes))
    return Program(compiled.plan, compiled.module.wasm)


def load(path: str | os.PathLike) -> Program:
    """Load a compiled plan (.ndp)."""
    from ndg.runtime.plan import load_plan

    return Program(*load_plan(Path(path)))

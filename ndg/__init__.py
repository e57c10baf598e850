"""ndg: compile procedural node graphs (.ndg) into plans and run them headless on WebAssembly.

The library API (see ndg.api): `ndg.compile(path)`, `ndg.compile_string(text)`, `ndg.load(plan)`
give a Program; `program.run(**parameters)` gives a Result; `ndg.run_batch` runs many parameter sets.
"""

from ndg.api import compile, compile_string, load
from ndg.batch import run_batch
from ndg.errors import UserError
from ndg.program import Program, Result

__all__ = ["Program", "Result", "UserError", "compile", "compile_string", "load", "run_batch"]

"""ndg: compile procedural node graphs (.ndg) into plans and run them headless on WebAssembly.

The library API (see ndg.api): `ndg.compile(path)`, `ndg.compile_string(text)`, `ndg.load(plan)`
give a Program; `program.run(**parameters)` gives a Result; `ndg.sweep` runs many parameter sets
(in this process, or on a Dask cluster) and returns their manifest.
"""

from ndg.api import compile, compile_string, load
from ndg.errors import UserError
from ndg.program import Program, Result
from ndg.sweeps import sweep

__all__ = ["Program", "Result", "UserError", "compile", "compile_string", "load", "sweep"]

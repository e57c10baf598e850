"""Random plant graphs over the whole node library, as .ndg text, for property tests and benches.

A graph is a DAG: each path node reads an earlier path (or a new stem), scalars come from
constants, `float`/`integer`/`random`/`vec3` nodes, arithmetic (`math` nodes) and, when asked,
parameters whose ranges lie inside the inputs' ranges. The output wraps the last path in tubes.
Counts and resolutions are kept low so that a graph runs in milliseconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class _Writer:
    rng: random.Random
    with_params: bool
    lines: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    floats: list[str] = field(default_factory=list)

    def bind(self, prefix: str, call: str) -> str:
        name = f"{prefix}{len(self.lines)}"
        self.lines.append(f"{name} = {call}")
        return name

    def param(self, kind: str, low, high) -> str:
        pick = self.rng.randint if kind == "integer" else self.rng.uniform
        lo, hi = sorted((pick(low, high), pick(low, high)))
        if kind == "float":
            lo, hi = round(lo, 2), round(hi, 2)
            default = round(self.rng.uniform(lo, hi), 2)
            lo, hi = min(lo, default), max(hi, default)
        else:
            default = self.rng.randint(lo, hi)
        name = f"p{len(self.params)}"
        self.params.append(f"param {name}: {kind} = {default!r} in {lo!r}..{hi!r}")
        return name

    def integer(self, low: int, high: int) -> str:
        """An integer argument in [low, high]: a constant, a parameter, or an integer node of either."""
        roll = self.rng.random()
        value = self.param("integer", low, high) if self.with_params and roll < 0.5 else str(self.rng.randint(low, high))
        return self.bind("k", f"integer(value: {value})") if self.rng.random() < 0.3 else value

    def ranged_float(self, low: float, high: float) -> str:
        """A float argument for an input whose range the compiler checks: a constant or a parameter."""
        if self.with_params and self.rng.random() < 0.4:
            return self.param("float", low, high)
        return repr(round(self.rng.uniform(low, high), 2))

    def free_float(self) -> str:
        """A float argument for an input with no range: any float value the graph computes."""
        roll = self.rng.random()
        if roll < 0.3 and self.floats:
            return self.rng.choice(self.floats)
        if roll < 0.45:
            name = self.bind("r", f"random(min: 0.1, max: 2, seed: {self.rng.randint(0, 99)})")
        elif roll < 0.6:
            name = self.bind("f", f"float(value: {self.ranged_float(0.1, 3)})")
        elif roll < 0.8:
            name = self.bind("m", f"math(op_type: {self.rng.randint(0, 2)}, a: {self.ranged_float(0.1, 3)}, "
                                  f"b: {self.ranged_float(0.5, 2)})")
        else:
            return repr(round(self.rng.uniform(0.1, 3), 2))
        self.floats.append(name)
        return name

    def stem(self) -> str:
        origin = f"vec3(0: {self.free_float()}, 1: 0, 2: {self.free_float()})" if self.rng.random() < 0.3 else "[0, 0, 0]"
        return self.bind("s", f"stem(origin: {origin}, amount: {self.integer(1, 3)}, length: {self.free_float()}, "
                              f"thickness: {self.free_float()}, resolution_curve: {self.integer(3, 6)})")

    def plant(self) -> str:
        return self.rng.choice(self.paths) if self.paths and self.rng.random() < 0.8 else self.stem()

    def path_node(self) -> str:
        kind = self.rng.choice(["stem", "branch", "noise", "gravity", "rotate", "instance"])
        if kind == "stem":
            return self.stem()
        plant = self.plant()
        depth = self.integer(1, 2)
        call = {
            "branch": lambda: f"branch(plant: {plant}, amount: {self.integer(0, 3)}, depth: {depth}, "
                              f"length: {self.ranged_float(0, 3)}, resolution_curve: {self.integer(3, 5)})",
            "noise": lambda: f"noise(plant: {plant}, scale: {self.ranged_float(0.1, 10)}, "
                             f"strength: {self.ranged_float(0.1, 10)}, seed: {self.rng.randint(0, 99)}, depth: {depth})",
            "gravity": lambda: f"gravity(plant: {plant}, strength: {self.ranged_float(0, 1)}, depth: {depth})",
            "rotate": lambda: f"rotate(plant: {plant}, axis: {self.rng.randint(0, 2)}, "
                              f"angle: {self.ranged_float(0, 6.28)})",
            "instance": lambda: f"instance(plant: {plant}, geometry: {self.rng.choice(['box()', 'triangle()'])}, "
                                f"amount: {self.integer(0, 3)}, depth: {depth})",
        }[kind]()
        return self.bind(kind[0], call)


def plant_graph(rng: random.Random, nodes: int, with_params: bool) -> str:
    """About `nodes` path nodes and the scalars they read; parameters only `with_params`."""
    writer = _Writer(rng, with_params)
    for _ in range(nodes):
        writer.paths.append(writer.path_node())
    circle = writer.integer(3, 4)
    writer.lines.append(f"output(input: {writer.paths[-1]}, resolution_circle: {circle})")
    return "\n".join(writer.params + writer.lines) + "\n"

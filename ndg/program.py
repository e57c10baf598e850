"""A compiled program and the results of its runs: what every front end (the library API, the
command line, batches, …) hands out, built on the compiler's and the runtime's output alone."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ndg.errors import UserError
from ndg.runtime.plan import Plan


class Result:
    """The words one run produced (a copy: later runs do not change it) and what they decode to."""

    def __init__(self, words: np.ndarray, source: str, names: dict[str, list[str]] | None = None,
                 name_items: Callable[[], dict[str, list[str]] | None] | None = None, compat: bool = False):
        self.words = np.array(words, dtype="<i4", copy=True)
        self.source = source
        # Compatibility mode writes Nodarium's words, each tube's opening count one too high:
        # saved raw as they are, read for meshes and summaries with the counts set right.
        self.compat = compat
        self._names = names
        # Naming items looks into the run's memory, so it is left until asked for or until the
        # program runs again (Program.run settles it first), whichever comes first.
        self._name_items = name_items

    @property
    def names(self) -> dict[str, list[str]] | None:
        """Per item kind, the graph node each item came from (ndg.item_names); None when unknown."""
        self.settle_names()
        return self._names

    def settle_names(self) -> None:
        if self._name_items is not None:
            self._names, self._name_items = self._name_items(), None

    @cached_property
    def shapes(self):
        """Geometry items, instance blocks and paths (ndg.runtime.meshes.Shapes)."""
        from ndg.export import decode_result

        return decode_result(self.readable_words)

    @cached_property
    def readable_words(self) -> np.ndarray:
        """The words as the item format reads them (Nodarium's geometry counts set right in
        compatibility mode)."""
        from ndg.runtime.format import repair_geometry_counts

        return repair_geometry_counts(self.words) if self.compat else self.words

    def meshes(self) -> list:
        """One Mesh per geometry item and per instance block (its instances written out)."""
        return self.shapes.meshes + [block.expanded() for block in self.shapes.instances]

    def to_trimesh(self):
        """Everything with triangles as one trimesh.Trimesh."""
        from ndg.export import to_trimesh

        return to_trimesh(self.shapes.merged())

    def to_scene(self):
        """A trimesh.Scene that keeps instances as placements of one mesh and paths as lines."""
        from ndg.export import to_scene

        return to_scene(self.shapes)

    def save(self, path: str | os.PathLike, format: str | None = None, gltf_instancing: str = "extension") -> list[str]:
        """Write the result in the format `format` or the extension names (.glb .gltf .usda .usdc
        .usdz .obj .stl .ply .bin .json; path `-` is standard output); returns notes on anything the
        format cannot hold. `gltf_instancing="nodes"` writes glTF instances as one node each, for
        tools that do not read EXT_mesh_gpu_instancing."""
        from ndg.export import check_destination
        from ndg.outputs import write_output

        target, suffix = check_destination(path, format)
        data, notes = self.encode(suffix, gltf_instancing)
        write_output(target, data)
        return notes

    def encode(self, suffix: str, gltf_instancing: str = "extension") -> tuple[bytes, list[str]]:
        """The bytes of the result in format `suffix` (".glb", ".bin", …), and notes on anything the
        format cannot hold: what `save` writes."""
        from ndg.export import WORD_FORMATS, encode

        # Raw words are written as the run left them, even when they do not decode.
        if suffix in WORD_FORMATS:
            return encode(self.words, suffix)
        return encode(self.readable_words, suffix, self.names, gltf_instancing, self.shapes)

    def render(self, width: int = 800, height: int = 600, azimuth: float = 35.0, elevation: float = 20.0):
        """A shaded preview as a PIL image, framed on the whole result."""
        from ndg.render import View, render

        return render(self.shapes, View(width, height, azimuth, elevation))

    def turntable(self, count: int, width: int = 800, height: int = 600, azimuth: float = 35.0,
                  elevation: float = 20.0) -> list:
        """`count` PIL images around the vertical axis at one zoom, the first from `azimuth`."""
        from ndg.render import View, turntable

        return turntable(self.shapes, View(width, height, azimuth, elevation), count)

    def summary(self) -> dict:
        return {"words": len(self.words), **self.shapes.counts()}

    def _repr_png_(self) -> bytes | None:
        """The preview Jupyter shows; None (so it falls back to repr) when there is nothing to draw."""
        import io

        try:
            image = self.render(480, 360)
        except UserError:
            return None
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    def __repr__(self) -> str:
        from ndg.runtime.decode import describe_result

        return f"<ndg.Result of {self.source}: {describe_result(self.readable_words)}>"


@dataclass(frozen=True)
class Parameter:
    """A graph parameter: its type, the value a run gives it unless told otherwise, and its range
    (None where the graph declares none)."""

    name: str
    type: str
    default: float | int | bool | tuple[float, ...]
    min: float | int | None
    max: float | int | None


class Program:
    """A compiled plan and its module. The first run loads them into wasmtime; later runs reuse that."""

    def __init__(self, plan: Plan, module: bytes):
        self.plan = plan
        self.module = module
        self._last_result: weakref.ref[Result] | None = None

    @cached_property
    def runner(self):
        from ndg.runtime.engine import Runner

        return Runner(self.plan, self.module)

    @property
    def parameters(self) -> dict[str, Parameter]:
        """The graph's parameters by name: type, default and range."""
        from ndg.runtime.scalars import decode_scalar

        return {p.name: Parameter(p.name, p.type, decode_scalar(p.type, self.plan.values[p.value].words), p.min, p.max)
                for p in self.plan.params}

    def run(self, **parameters) -> Result:
        """Run once, with every parameter at its default except those given here."""
        known = self.parameters
        for name in parameters:
            if name not in known:
                names = ", ".join(f"`{p}`" for p in known) or "none"
                raise UserError(f"this plan has no parameter `{name}`", f"its parameters are: {names}")
        last = self._last_result() if self._last_result is not None else None
        if last is not None:
            last.settle_names()  # before this run overwrites the memory its names come from
        for name, parameter in known.items():
            self.runner.set_param(name, parameters.get(name, parameter.default))
        from ndg.item_names import node_names

        words = self.runner.run()
        runner = self.runner
        result = Result(words, self.plan.source, name_items=lambda: node_names(runner), compat=self.plan.compat)
        self._last_result = weakref.ref(result)
        return result

    def save(self, path: str | os.PathLike) -> None:
        """Write the plan (with its module) to a .ndp file that `ndg run` and `ndg.load` read."""
        from ndg.runtime.plan import save_plan

        save_plan(path, self.plan, self.module)

    def __repr__(self) -> str:
        return f"<ndg.Program {self.plan.source}: {len(self.plan.steps)} nodes, {self.plan.memory_bytes // 1024} KiB>"

"""What ndg takes from Nodarium, in one place: the rules its graphs and nodes follow.

The passes never name a Nodarium node, setting or default themselves: they read a `Dialect`.
`STANDARD` is ndg's own mode. A compatibility mode is another `Dialect` (for instance
`dataclasses.replace(STANDARD, name="nodarium", reproduces_bugs=True)`), handed to
`ndg.compiler.driver.compile_text(..., dialect=…)`, which passes it to every stage that reads it:

- `passes.analyse`: `fallback_defaults`, `graph_settings`, `arithmetic_node`, `arithmetic_ops`;
- `sizes.graph_shapes`: `pass_through_nodes`, `math_node`, `random_node` (the scalar nodes whose
  output range the planner follows into size rules);
- the plan: `reproduces_bugs` becomes the plan's `compat` flag, read by the nodes at run time.

Nodarium's graph JSON (import and export) is `ndg.compiler.nodarium.interchange`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ndg.runtime.abi import ValueType

Scalar = float | int | bool | tuple[float, float, float]


def _frozen(mapping: dict) -> Mapping:
    return MappingProxyType(mapping)


@dataclass(frozen=True)
class Dialect:
    """The Nodarium rules one compilation follows."""

    name: str
    # What Nodarium's editor fills in for an input that has no default of its own; an input of a
    # type missing here must be connected.
    fallback_defaults: Mapping[ValueType, Scalar] = field(default_factory=lambda: _frozen({
        ValueType.FLOAT: 0.5, ValueType.INTEGER: 0, ValueType.SELECT: 0, ValueType.SEED: 0,
        ValueType.BOOLEAN: False, ValueType.VEC3: (0.0, 0.0, 0.0),
    }))
    # Settings Nodarium's graphs carry, whether or not a node in the library reads them.
    graph_settings: frozenset[str] = frozenset({"resolution.circle", "resolution.curve", "randomSeed", "ndg.compat"})
    # The graph setting that asks for compatibility mode (`ndg.compat: true`; `ndg import --compat`
    # writes it).
    compat_setting: str = "ndg.compat"
    # Arithmetic in a graph becomes nodes of this name (Nodarium's math node), choosing its
    # `op_type` option by these names.
    arithmetic_node: str = "math"
    arithmetic_ops: Mapping[str, str] = field(default_factory=lambda: _frozen(
        {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}))
    # Scalar nodes whose output range sizes follow: ones that pass their `value` through, the math
    # node (`op_type`, `a`, `b`) and the random node (a value in [`min`, `max`]).
    pass_through_nodes: frozenset[str] = frozenset(
        {"max/plantarium/float", "max/plantarium/integer", "max/plantarium/boolean"})
    math_node: str = "max/plantarium/math"
    random_node: str = "max/plantarium/random"
    # With math and random, the nodes whose outputs Nodarium passes on as expression trees
    # (`vec3`'s inputs "0", "1", "2"; `float`'s `value`): ndg evaluates a tree with a random in it
    # per use (ndg.compiler.expressions).
    float_node: str = "max/plantarium/float"
    vec3_node: str = "max/plantarium/vec3"
    # The nodes reproduce Nodarium's bugs too (the plan's `compat` flag).
    reproduces_bugs: bool = False

    def compat_setting_on(self, settings: Mapping) -> bool:
        """Whether a graph's settings (name → SettingValue) ask for compatibility mode."""
        setting = settings.get(self.compat_setting)
        return setting is not None and setting.value is True

    @property
    def expression_nodes(self) -> frozenset[str]:
        return frozenset({self.float_node, self.math_node, self.random_node, self.vec3_node})

    @property
    def followed_nodes(self) -> frozenset[str]:
        return self.pass_through_nodes | {self.math_node, self.random_node}


STANDARD = Dialect("standard")

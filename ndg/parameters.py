"""Graph parameter values as people write them (`--set length=2.5`, a CSV cell), read by the plan's
parameter types. `ndg run --set` and every variant of `ndg sweep` go through here, so both give the
same message for the same mistake."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ndg.errors import UserError


def as_text(value: Any) -> str:
    """A value as `--set` would take it: booleans as true/false, vectors as x,y,z."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(as_text(v) for v in value)
    return str(value)


def parse_assignment(text: str, plan) -> tuple[str, Any]:
    """`name=value`, the value read as the parameter's type."""
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        raise UserError(f"--set {text}: expected NAME=VALUE", "for example --set length=2.5")
    param = next((p for p in plan.params if p.name == name), None)
    if param is None:
        known = ", ".join(f"`{p.name}`" for p in plan.params) or "none"
        raise UserError(f"--set {text}: the graph has no parameter `{name}`", f"its parameters are: {known}")
    try:
        if param.type == "float":
            return name, float(value)
        if param.type == "vec3":
            parts = tuple(float(v) for v in value.split(","))
            if len(parts) != 3:
                raise ValueError
            return name, parts
        if param.type == "boolean":
            return name, {"true": True, "false": False}[value]
        return name, int(value)
    except (ValueError, KeyError):
        examples = {"float": "2.5", "vec3": "0,1,0", "boolean": "true or false"}
        raise UserError(f"--set {text}: `{name}` is a {param.type} parameter, and `{value}` is not one",
                        f"write it like --set {name}={examples.get(param.type, '3')}") from None


def parse_values(values: Mapping[str, Any], plan) -> dict[str, Any]:
    """Every value of a parameter set read as `--set NAME=VALUE` would read it."""
    return dict(parse_assignment(f"{name}={as_text(value)}", plan) for name, value in values.items())

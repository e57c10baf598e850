"""Size rules: how many words a node writes, declared as data in its definition and evaluated here.

A rule is integer arithmetic (`+ - *`, parentheses) over the node's input names, whose values are
the compile-time values of scalar inputs, and these functions:
- `words(x)`: the words of bulk input `x`;
- `items_words(x)`: the words of the items of `x`, without the brackets of a list around them;
- `max(a, b, …)`, `min(a, b, …)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import lark

from ndg.compiler.definitions import SCALAR_WORDS, NodeDef
from ndg.errors import UserError

LIST_BRACKET_WORDS = 4


@dataclass(frozen=True)
class BulkValue:
    """What the planner knows of a bulk value: its size and whether it is a list or one item."""

    words: int
    layout: str

    @property
    def items_words(self) -> int:
        return self.words - LIST_BRACKET_WORDS if self.layout == "list" else self.words


@cache
def _parser() -> lark.Lark:
    grammar = resources.files("ndg.grammar").joinpath("size.lark").read_text()
    return lark.Lark(grammar, parser="lalr")


@cache
def parse_rule(definition: NodeDef) -> lark.Tree:
    try:
        tree = _parser().parse(definition.size)
    except lark.exceptions.LarkError as error:
        raise UserError(f"size rule `{definition.size}` of `{definition.id}` does not parse: {error}",
                        "see docs/nodes.md for what a size rule may contain") from None
    known = {i.name for i in definition.inputs}
    for token in tree.scan_values(lambda t: isinstance(t, lark.Token) and t.type == "NAME"):
        if str(token) not in known | {"words", "items_words", "max", "min"}:
            raise UserError(f"size rule of `{definition.id}` names `{token}`, which is not one of its inputs",
                            f"its inputs are: {', '.join(sorted(known))}")
    return tree


class _Evaluate(lark.visitors.Interpreter):
    def __init__(self, definition: NodeDef, env: dict, node_name: str):
        self.definition = definition
        self.env = env
        self.node_name = node_name

    def number(self, tree):
        return int(tree.children[0])

    def name(self, tree):
        input_name = str(tree.children[0])
        if input_name not in self.env:
            raise UserError(f"the output size of `{self.node_name}` depends on `{input_name}`, "
                            "which is only known when the graph runs", f"give `{input_name}` a constant value")
        value = self.env[input_name]
        if isinstance(value, BulkValue):
            raise UserError(f"size rule of `{self.definition.id}` uses the bulk input `{tree.children[0]}` as a number",
                            "use words(…) or items_words(…)")
        return int(value)

    def add(self, tree):
        a, b = self.visit_children(tree)
        return a + b

    def sub(self, tree):
        a, b = self.visit_children(tree)
        return a - b

    def mul(self, tree):
        a, b = self.visit_children(tree)
        return a * b

    def call(self, tree):
        function = str(tree.children[0])
        if function in ("words", "items_words"):
            argument = tree.children[1]
            value = self.env.get(str(argument.children[0])) if argument.data == "name" else None
            if not isinstance(value, BulkValue):
                raise UserError(f"size rule of `{self.definition.id}`: {function}(…) takes a bulk input's name")
            return value.words if function == "words" else value.items_words
        arguments = [self.visit(child) for child in tree.children[1:]]
        if function == "max":
            return max(arguments)
        if function == "min":
            return min(arguments)
        raise UserError(f"size rule of `{self.definition.id}` calls unknown function `{function}`",
                        "the functions are words, items_words, max and min")


def output_words(definition: NodeDef, env: dict, node_name: str) -> int:
    """Words node `node_name` writes, given its known inputs: numbers for scalars, BulkValue for bulk ones."""
    if definition.output in SCALAR_WORDS:
        return SCALAR_WORDS[definition.output]
    words = _Evaluate(definition, env, node_name).visit(parse_rule(definition))
    if words < 0:
        raise UserError(f"size rule of `{definition.id}` gives {words} words for these inputs",
                        "a size rule must never be negative for values in the inputs' ranges")
    return words

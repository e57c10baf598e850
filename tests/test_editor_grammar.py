"""The TextMate grammar for editors: every pattern compiles, and a line of each kind gets its scopes."""

import json
import re

from conftest import ROOT

GRAMMAR = json.loads((ROOT / "editors" / "vscode" / "syntaxes" / "ndg.tmLanguage.json").read_text())


def scopes(line: str) -> list[tuple[str, str]]:
    """(text, scope) pairs as a TextMate editor scans a line: from the left, the pattern whose match
    starts first wins (the first listed, on a tie), and scanning goes on after it."""
    rules = [GRAMMAR["repository"][include["include"][1:]] for include in GRAMMAR["patterns"]]
    found, at = [], 0
    while at < len(line):
        matches = [(m.start(), index, m, rule) for index, rule in enumerate(rules)
                   if (m := re.compile(rule["match"]).search(line, at)) and m.end() > m.start()]
        if not matches:
            break
        _, _, match, rule = min(matches, key=lambda item: item[:2])
        for group, capture in (rule.get("captures") or {"0": {"name": rule["name"]}}).items():
            if match.group(int(group)):
                found.append((match.group(int(group)), capture["name"]))
        at = match.end()
    return found


def test_a_parameter_line():
    assert scopes("param n: integer = 3 in 1..4  # count") == [
        ("param", "keyword.other.ndg"), ("n", "variable.parameter.ndg"), (":", "punctuation.separator.ndg"),
        ("=", "keyword.operator.ndg"), ("3", "constant.numeric.ndg"), ("in", "keyword.operator.ndg"),
        ("1", "constant.numeric.ndg"), ("..", "keyword.operator.ndg"), ("4", "constant.numeric.ndg"),
        ("# count", "comment.line.number-sign.ndg")]


def test_a_binding_with_a_call_arguments_and_arithmetic():
    assert scopes("leaves = max/plantarium/instance(amount: n // 2, spread: true)") == [
        ("leaves", "variable.other.definition.ndg"), ("=", "keyword.operator.ndg"),
        ("max/plantarium/instance", "entity.name.function.ndg"), ("amount", "variable.parameter.ndg"),
        (":", "punctuation.separator.ndg"), ("//", "keyword.operator.ndg"), ("2", "constant.numeric.ndg"),
        ("spread", "variable.parameter.ndg"), (":", "punctuation.separator.ndg"), ("true", "constant.language.ndg")]

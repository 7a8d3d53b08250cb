"""Bad input, end to end: `chronicle check --story DIR` in a real subprocess.

Every broken story gets a message that names the file, line and column and says
what is wrong, exit code 1, and never a Python traceback; hostile YAML (tags
that construct objects, alias bombs, absurd nesting) is refused the same way,
and the subprocess timeout guards against a hang.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import no_traceback, run_cli, write_story

CHAPTER = """\
id: one
title: One
period: {from: "1900", to: "1900"}
flags:
  nerve: {type: int, default: 1, min: 0, max: 3, doc: How steady the keeper is}
start: first
nodes:
  first:
    text: It begins.
    choices:
      - text: Go on.
        goto: last
        canon: true
        if: nerve >= 0
  last:
    text: It ends.
    ending: {kind: canon, title: The End}
"""


def story_with(tmp_path, chapter_text: str | bytes):
    root = write_story(tmp_path / "s", {"one": chapter_text})
    return root


def line_col(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    i = text.index(needle) + offset
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


def check(root, *extra):
    proc = run_cli("check", "--story", ".", *extra, cwd=root)
    no_traceback(proc)
    return proc


def edit(old: str, new: str) -> str:
    assert old in CHAPTER
    return CHAPTER.replace(old, new)


# (case id, chapter text, text at the reported position (or (line, col)), code, words in the message)
CASES = [
    ("malformed-yaml", edit("title: One", "title: [One"), (3, 7), "yaml-syntax", "']'"),
    ("wrong-type", edit("title: One", "title: [a, b]"), "[a, b]", "schema", "expected text here, found a list"),
    ("wrong-type-int", edit("default: 1,", "default: lots,"), "lots", "schema", "not a whole number"),
    ("unknown-key", edit("title: One", "title: One\ncolour: red"), "colour", "schema", "unknown key 'colour'"),
    ("goto-missing-node", edit("goto: last", "goto: lsat"), "lsat", "unknown-node", "goes to 'lsat'"),
    (
        "undeclared-flag",
        edit("if: nerve >= 0", "if: courage > 1"),
        "courage > 1",
        "unknown-flag",
        "unknown flag 'courage'",
    ),
    (
        "type-error",
        edit("if: nerve >= 0", "if: nerve + true"),
        "nerve + true",
        "expr-type",
        "`+` works on numbers, but `true` is a true/false value",
    ),
    (
        "not-a-condition",
        edit("if: nerve >= 0", "if: nerve + 1"),
        "nerve + 1",
        "expr-type",
        "a condition must be true or false",
    ),
    (
        "import",
        edit("if: nerve >= 0", "if: __import__('os').system('echo pwned') == 0"),
        "__import__",
        "expr-syntax",
        "the only functions are seen",
    ),
    ("attribute", edit("if: nerve >= 0", "if: nerve.real > 0"), "nerve.real", "expr-syntax", "attribute access"),
    ("call", edit("if: nerve >= 0", 'if: len("ab") > 1'), "len(", "expr-syntax", "the only functions are seen"),
    (
        "bad-effect",
        edit("canon: true\n", "canon: true\n        do: [nerve *= 2]\n"),
        "nerve *= 2",
        "expr-syntax",
        "only `=`, `+=` and `-=`",
    ),
    (
        "duplicate-key",
        edit("title: One", "title: One\ntitle: Two"),
        "title: Two",
        "yaml-duplicate-key",
        "key 'title' appears twice",
    ),
    (
        "python-tag",
        edit("title: One", "title: !!python/object/apply:os.system ['echo pwned']"),
        "!!python",
        "yaml-tag",
        "!!python/object/apply:os.system is not allowed",
    ),
    (
        "python-tag-on-node",
        edit("  last:\n", "  last: !!python/object/new:os.system [ls]\n  x:\n"),
        "!!python",
        "yaml-tag",
        "is not allowed",
    ),
]

BOMB = "".join(
    f"{a}: &{a} [" + ", ".join([f"*{p}" if p else "lol"] * 9) + "]\n"
    for a, p in zip("abcdefghi", [None] + list("abcdefgh"))
)
CASES += [
    ("billion-laughs", BOMB, None, "yaml-alias-limit", "aliases expand to more than"),
    (
        "deep-flow-mappings",
        "id: one\nnodes: " + "{a: " * 10000 + "x" + "}" * 10000 + "\n",
        None,
        "yaml-depth",
        "nested more than 64 levels",
    ),
    (
        "deep-flow-lists",
        "id: one\nnodes: " + "[" * 10000 + "]" * 10000 + "\n",
        None,
        "yaml-depth",
        "nested more than 64 levels",
    ),
    (
        "deep-block-lists",
        "id: one\nnodes:\n  " + "- " * 10000 + "x\n",
        None,
        "yaml-depth",
        "nested more than 64 levels",
    ),
    ("empty-file", "", (1, 1), "yaml-empty", "holds no YAML document"),
    ("only-comments", "# nothing yet\n", (1, 1), "yaml-empty", "holds no YAML document"),
    (
        "not-utf8",
        CHAPTER.replace("It begins.", "Caf\u00e9 begins.").encode("latin-1"),
        "\u00e9 begins",
        "yaml-encoding",
        "not UTF-8",
    ),
    ("utf16", CHAPTER.encode("utf-16"), (1, 1), "yaml-encoding", "UTF-16"),
    ("control-character", edit("It begins.", "It \x07begins."), "\x07", "yaml-character", "U+0007"),
]


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """Every case's story checked once, the subprocesses run side by side (they mostly wait on start-up)."""
    from concurrent.futures import ThreadPoolExecutor

    roots = {name: write_story(tmp_path_factory.mktemp(name), {"one": text}) for name, text, *_ in CASES}
    with ThreadPoolExecutor(max_workers=4) as pool:
        procs = dict(zip(roots, pool.map(check, roots.values())))
    return procs


@pytest.mark.parametrize("name, text, where, code, words", CASES, ids=[c[0] for c in CASES])
def test_bad_chapter_is_reported_with_file_line_and_column(checked, name, text, where, code, words):
    proc = checked[name]
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    found = re.findall(r"^(chapters/one\.yaml):(\d+):(\d+): error\[([a-z-]+)\]: (.*)$", out, re.M)
    assert found, out
    file, line, col, got_code, message = found[0]
    if code is not None:
        assert got_code == code, out
    assert words in message or words in out, out
    if isinstance(where, tuple):
        assert (int(line), int(col)) == where, out
    elif isinstance(where, str):
        assert (int(line), int(col)) == line_col(text if isinstance(text, str) else text.decode("latin-1"), where), out
    assert "check FAILED" in proc.stdout
    assert "SyntaxWarning" not in proc.stderr and "pwned" not in out.replace("'echo pwned'", "")


def test_several_problems_are_all_reported_not_just_the_first(tmp_path):
    text = edit("goto: last", "goto: lsat").replace("if: nerve >= 0", "if: courage > 1")
    proc = check(story_with(tmp_path, text))
    assert proc.returncode == 1
    assert "error[unknown-node]" in proc.stdout and "error[unknown-flag]" in proc.stdout
    assert "2 errors" in proc.stdout


def test_problem_in_the_manifest_names_the_manifest(tmp_path):
    root = write_story(tmp_path / "s", {}, manifest="title: T\nchapters: one\n")
    proc = check(root)
    assert proc.returncode == 1
    assert re.search(r"^story/story\.yaml:2:11: error\[schema\]: .*a list", proc.stdout, re.M), proc.stdout


def test_problem_in_the_history_names_the_history(tmp_path):
    history = "facts:\n  - id: thing\n    date: someday\n    statement: S.\n    source: {paragraph: 1, quote: q}\n"
    root = write_story(tmp_path / "s", {"one": CHAPTER}, history=history)
    proc = check(root)
    assert proc.returncode == 1
    assert re.search(r"^story/history\.yaml:3:11: error\[schema\]: 'someday' is not a date", proc.stdout, re.M), (
        proc.stdout
    )


def test_a_listed_chapter_with_no_file_is_named(tmp_path):
    root = write_story(tmp_path / "s", {"one": CHAPTER}, order=["one", "two"])
    proc = check(root)
    assert proc.returncode == 1
    assert re.search(
        r"^story/story\.yaml:\d+:\d+: error\[file-missing\]: chapter 'two' .*chapters/two\.yaml", proc.stdout, re.M
    ), proc.stdout


def test_missing_story_folder(tmp_path):
    proc = run_cli("check", "--story", tmp_path / "no-such-story")
    no_traceback(proc)
    assert proc.returncode == 1
    assert "error[file-missing]: no story manifest at" in proc.stdout + proc.stderr
    assert "no-such-story" in proc.stdout + proc.stderr


def test_story_argument_that_is_a_file(tmp_path):
    f = tmp_path / "story.yaml"
    f.write_text("title: x\n")
    proc = run_cli("check", "--story", f)
    no_traceback(proc)
    assert proc.returncode == 1
    assert "no story manifest" in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--frobnicate"],
        ["frobnicate"],
        ["check", "--format", "xml"],
        ["check", "--max-states", "0"],
        ["check", "--max-states", "many"],
        ["schema", "novel"],
    ],
)
def test_bad_usage_exits_2_with_a_usage_line(args):
    proc = run_cli(*args, "--story" if args[0] == "check" else "", "tests/stories/tour" if args[0] == "check" else "")
    no_traceback(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "usage:" in proc.stderr and "error:" in proc.stderr


def test_json_output_shape(tmp_path):
    text = edit("goto: last", "goto: lsat")
    proc = check(story_with(tmp_path, text), "--format", "json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["version"] == 1 and data["ok"] is False
    assert set(data["summary"]) >= {"chapters", "nodes", "states", "errors", "warnings", "seconds", "complete"}
    assert data["summary"]["errors"] == 1
    [d] = data["diagnostics"]
    assert set(d) >= {"severity", "code", "message", "file", "line", "col", "hint", "replay"}
    assert (d["severity"], d["code"], d["file"]) == ("error", "unknown-node", "chapters/one.yaml")
    assert (d["line"], d["col"]) == line_col(text, "lsat")
    assert d["hint"] == "did you mean 'last'?"


def test_json_output_of_a_clean_story():
    proc = run_cli("check", "--story", "tests/stories/tour", "--format", "json")
    no_traceback(proc)
    assert proc.returncode == 0, proc.stdout
    data = json.loads(proc.stdout)
    assert data["ok"] is True and data["diagnostics"] == []
    assert data["summary"]["chapters"] == 2 and data["summary"]["states"] > 0 and data["summary"]["complete"] is True


def test_an_unbounded_int_squared_in_a_loop_is_caught_not_a_hang(tmp_path):
    """`x = x * x` on an int with no bounds would double its digits at every turn of the loop."""
    text = edit("nerve: {type: int, default: 1, min: 0, max: 3,", "nerve: {type: int, default: 2,").replace(
        "        if: nerve >= 0\n",
        "        if: nerve >= 0\n      - text: Square.\n        do: [nerve = nerve * nerve]\n        goto: first\n",
    )
    proc = check(story_with(tmp_path, text))
    assert proc.returncode == 1
    assert re.search(
        r"^chapters/one\.yaml:\d+:\d+: error\[int-bounds\]: `nerve = nerve \* nerve` takes nerve to "
        r"4294967296, past its largest value an int flag can hold \(2147483647\)",
        proc.stdout,
        re.M,
    ), proc.stdout
    sample = run_cli("check", "--story", ".", "--random", "200", "--seed", "1", cwd=story_with(tmp_path / "r", text))
    no_traceback(sample)
    assert "error[int-bounds]" in sample.stdout and "None" not in sample.stdout

"""The fuzzer (issue 31): hostile variations of real inputs through every command, in-process.

Hypothesis mutates the real stories (the test stories and the example of the diagnostic codes;
the bundled story too in the long run), the compiled JSON of one, a save, and the lines piped to
`play`, then runs each command on them with engine.cli.main, as a user would run `chronicle`.
Every run must

* end with an exit code (0, 1 or 2) and never raise: no traceback, no crash log (`play`'s
  last-resort handler, exit 70);
* when it fails (exit 1 or 2), say so in a line that names the file or the option at fault;
* change no file outside its own output (the story folder, the files links point at, and for
  every command but `play` the save folder, are hashed before and after).

`make test` runs a short round (FUZZ_EXAMPLES, 40 inputs per kind); `make fuzz` a long one
(CHRONICLE_FUZZ_EXAMPLES, 2,000 by default), which prints how many inputs it tried.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import cli

STORIES = [ROOT / "tests" / "stories" / n for n in ("tour", "choices", "port-plain", "port-ink")] + [
    ROOT / "tests" / "fixtures" / "codes" / "_base"
]
LONG = int(os.environ.get("CHRONICLE_FUZZ_EXAMPLES", "0") or 0)
if LONG:
    STORIES.append(ROOT)  # the bundled story: slower to check, so only in the long run
N = LONG or examples(40)
SETTINGS = settings(
    max_examples=N,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None if LONG else settings.default.database,
)
TRIED: Counter = Counter()  # inputs tried, by kind (the long run prints them)
FOUND: list = []


# ---- running a command ------------------------------------------------------------------------


def run(args: list, stdin: str = "") -> tuple[int, str]:
    """`chronicle ARGS` in-process; (exit code, everything printed). An exception escaping
    cli.main is the failure this fuzzer looks for, so it is not caught here."""
    out, err = io.StringIO(), io.StringIO()
    old_in = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main([str(a) for a in args])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = old_in
    return code, out.getvalue() + err.getvalue()


def snapshot(*folders: Path) -> dict:
    """Every file under the folders (links not followed): path -> what it is and holds."""
    out = {}
    for folder in folders:
        if not folder.exists():
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                try:
                    if p.is_symlink():
                        out[str(p)] = ("link", os.readlink(p))
                    elif p.is_file():
                        out[str(p)] = ("file", hashlib.sha256(p.read_bytes()).hexdigest())
                    elif p.is_dir():
                        out[str(p)] = ("dir",)
                except OSError:
                    out[str(p)] = ("unreadable",)
    return out


def held(args: list, code: int, text: str, names: list[str]) -> None:
    """What every run must hold (see the module docstring)."""
    shown = f"chronicle {' '.join(map(str, args))} -> {code}\n{text[-3000:]}"
    assert code in (0, 1, 2), shown
    assert "Traceback (most recent call last)" not in text, shown
    assert "something went wrong that should not have" not in text, shown
    if code != 0:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert lines, f"a failure with no message: {shown}"
        if args[0] == "play" and ("--replay" in args or "--script" in args or "--canon" in args):
            # a transcript: a replay that cannot go on ends with a line saying why
            # ("There is no choice 2 here", "the canonical path breaks: ...")
            if "choice" in lines[-1] or "canonical path" in lines[-1] or "stop" in lines[-1]:
                return
        assert any(
            any(n in ln for n in names) or ln.startswith(("chronicle", "usage:")) or "error[" in ln for ln in lines
        ), f"a failure whose message names neither a file nor an option: {shown}"


# ---- mutations ---------------------------------------------------------------------------------

HOSTILE = [
    "",
    "\x00",
    "\ufeff",
    "\x1b[31m",
    "\x1b]0;pwned\x07",
    "!!python/object/apply:os.system ['true']",
    "*a",
    "&a [*a, *a]",
    "{",
    "}",
    "[",
    "'",
    '"',
    ":",
    "- ",
    "  ",
    "\t",
    "\n",
    "---\n",
    "99999999999999999999999",
    "-1",
    "0",
    "0x" + "f" * 40,
    "true",
    "null",
    "~",
    "..",
    "../../../../etc/passwd",
    "/dev/zero",
    "seen(",
    "10 // 0",
    "x // y",
    "visits(",
    "if:",
    "goto: nowhere",
    "call: start",
    "return: true",
    "\u202e",
    "é" * 3,
    "a" * 300,
]


def mutate_text(rng: random.Random, text: str, n: int) -> str:
    lines = text.split("\n")
    words = sorted({w for w in text.replace(":", " ").replace(",", " ").split() if w.isidentifier()}) or ["x"]
    for _ in range(n):
        k = rng.choices(range(9), weights=[1, 1, 1, 2, 6, 5, 1, 1, 1])[0]  # mostly edits YAML still parses
        i = rng.randrange(len(lines)) if lines else 0
        if not lines:
            lines = [rng.choice(HOSTILE)]
        elif k == 0:
            del lines[i]
        elif k == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif k == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif k == 3:  # a hostile string somewhere in a line
            at = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:at] + rng.choice(HOSTILE) + lines[i][at:]
        elif k == 4:  # one name of the file for another (ids, flags, node names)
            a, b = rng.choice(words), rng.choice(words + HOSTILE[:20])
            lines[i] = lines[i].replace(a, b)
        elif k == 5:  # a number changed
            lines[i] = "".join(
                str(rng.choice([0, -1, 1, 7, 2**31, 2**63, -(2**40)])) if c.isdigit() else c for c in lines[i]
            )
        elif k == 6:  # indentation changed
            lines[i] = (" " * rng.randrange(6)) + lines[i].lstrip()
        elif k == 7:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        else:
            lines.insert(i, rng.choice(HOSTILE))
    return "\n".join(lines)


def story_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and ".cache" not in p.parts)


def mutate_story(rng: random.Random, root: Path, outside: Path, n: int) -> None:
    """Change the story folder at `root` in n ways, of its texts and of its files."""
    files = [p for p in story_files(root) if p.suffix in (".yaml", ".txt")]
    for _ in range(n):
        p = rng.choice(files)
        if p.is_dir() or p.is_symlink():  # an earlier mutation made it a folder or a link: leave it so
            continue
        k = rng.randrange(12)
        if k < 8:
            if p.is_file() and not p.is_symlink():
                p.write_text(mutate_text(rng, p.read_text(encoding="utf-8", errors="replace"), rng.randint(1, 4)))
        elif k == 8:  # bytes that are not UTF-8, or a byte-order mark
            raw = p.read_bytes() if p.is_file() else b""
            at = rng.randrange(len(raw) + 1)
            p.write_bytes(raw[:at] + rng.choice([b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\x80", b"\x00"]) + raw[at:])
        elif k == 9:  # a link out of the folder
            with contextlib.suppress(OSError):
                p.unlink()
                p.symlink_to(outside / rng.choice(["secret.env", "missing", "loop"]))
        elif k == 10:  # gone, or a folder
            with contextlib.suppress(OSError):
                p.unlink()
                if rng.random() < 0.5:
                    p.mkdir()
        else:
            with contextlib.suppress(OSError):
                p.write_bytes(b"")


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from(["", "start", "tower", "stair", "one", "hall", "end", "courage", "Var", "Lit", "Story", "$"])
    | st.text(max_size=8),
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.dictionaries(st.sampled_from(["$", "name", "value", "slot", "x"]), kids, max_size=3)
    ),
    max_leaves=6,
)


def paths_in(value, prefix=()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths_in(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths_in(v, prefix + (i,))
    return out


def mutate_json(rng: random.Random, data, new_values: list) -> object:
    """Replace, delete or duplicate values at random places of a JSON document."""
    for new in new_values:
        paths = [p for p in paths_in(data) if p]
        if not paths:
            return new
        path = rng.choice(paths)
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        k = rng.randrange(4)
        if k == 0 and isinstance(parent, dict):
            del parent[last]
        elif k == 0 and isinstance(parent, list):
            parent.pop(last)
        elif k == 1:  # a value from elsewhere in the document (ids, slots, trees in the wrong place)
            other = rng.choice(paths)
            src = data
            for key in other:
                src = src[key]
            parent[last] = json.loads(json.dumps(src))
        else:
            parent[last] = new
    return data


PIPED = st.lists(
    st.one_of(
        st.integers(min_value=-2, max_value=12).map(str),
        st.sampled_from(
            [
                "save mine",
                "save",
                "load",
                "load mine",
                "undo",
                "journal",
                "help",
                "quit",
                "restart",
                "endings",
                "chapters",
                "save ../x",
                "save autosave",
                "load ../../etc/passwd",
                "",
                " ",
                "1 2",
                "١",
                "²",
                "\x1b[31m1",
                "1\x00",
                "\x04",
                "continue",
                "new",
                "q",
            ]
        ),
        st.text(max_size=12),
    ),
    max_size=12,
)


@contextlib.contextmanager
def workspace():
    """A scratch folder: a story copy goes in story/, what links point at in outside/, saves in saves/."""
    with tempfile.TemporaryDirectory(prefix="chronicle-fuzz-") as tmp:
        base = Path(tmp)
        outside = base / "outside"
        outside.mkdir()
        (outside / "secret.env").write_text("TOKEN: ghp_fuzzsecret\n")
        with contextlib.suppress(OSError):
            (outside / "loop").symlink_to(outside / "loop")
        old = os.getcwd()
        os.chdir(base)
        try:
            yield base, outside
        finally:
            os.chdir(old)


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("CHRONICLE_CACHE", "0")


def _copy_story(src: Path, dest: Path) -> Path:
    if src == ROOT:
        shutil.copytree(src / "story", dest / "story")
        shutil.copytree(src / "chapters", dest / "chapters")
    else:
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".cache"))
    return dest


def _node_of(root: Path) -> str:
    try:
        text = next((root / "chapters").glob("*.yaml")).read_text(errors="replace")
        cid = text.split("id:", 1)[1].split()[0]
        start = text.split("start:", 1)[1].split()[0]
        return f"{cid}:{start}"
    except (StopIteration, IndexError, OSError):
        return "one:start"


COMMANDS = [
    ["check", "--max-states", "20000"],
    ["graph", "--max-states", "5000"],
    ["stats"],
    ["why", "NODE"],
    ["export", "json"],
    ["export", "web", "OUT"],
    ["play", "--replay", "1,1,2"],
    ["play", "--script", "SCRIPT"],
    ["play", "--canon"],
    ["play", "PIPED"],
]


def _command(rng: random.Random, root: Path, base: Path) -> tuple[list, str]:
    cmd = list(rng.choice(COMMANDS))
    stdin = ""
    if cmd[-1] == "PIPED":
        cmd = ["play", "--save-dir", base / "saves"]
        stdin = "1\n2\nquit\n"
    cmd = [base / "site" if a == "OUT" else _node_of(root) if a == "NODE" else a for a in cmd]
    if "SCRIPT" in cmd:
        (base / "script.txt").write_text("1\n2\n# a comment\n1\n")
        cmd[cmd.index("SCRIPT")] = base / "script.txt"
    return cmd + ["--story", root], stdin


# ---- the properties -------------------------------------------------------------------------------


@SETTINGS
@given(story=st.sampled_from(STORIES), seed=st.integers(0, 2**32), n=st.integers(1, 6))
def test_mutated_stories_through_every_command(story, seed, n):
    rng = random.Random(seed)
    with workspace() as (base, outside):
        root = _copy_story(story, base / "story")
        mutate_story(rng, root, outside, n)
        cmd, stdin = _command(rng, root, base)
        before = snapshot(root, outside)
        TRIED["story"] += 1
        code, text = run(cmd, stdin)
        held(cmd, code, text, [str(root), "story/", "chapters/", "--story", str(base)])
        assert snapshot(root, outside) == before, f"{cmd} changed a file it does not write"
        assert "ghp_fuzzsecret" not in text


_COMPILED: dict = {}


def compiled(story: Path) -> dict:
    if story not in _COMPILED:
        from engine.compile import load_story
        from engine.export.compiled import to_json

        _COMPILED[story] = to_json(load_story(story))
    return json.loads(json.dumps(_COMPILED[story]))


@SETTINGS
@given(
    story=st.sampled_from(STORIES[:4]),
    seed=st.integers(0, 2**32),
    values=st.lists(JSON_VALUES, min_size=1, max_size=4),
    rehash=st.booleans(),
)
def test_mutated_compiled_stories_through_every_command(story, seed, values, rehash):
    from engine.export.compiled import content_hash

    rng = random.Random(seed)
    data = compiled(story)
    body = mutate_json(rng, data["story"], values) if rng.random() < 0.9 else mutate_json(rng, data, values)
    if isinstance(data, dict) and body is not data:
        data["story"] = body
    if rehash and isinstance(data, dict) and "story" in data:
        try:
            data["content_hash"] = content_hash(data["story"])
        except (TypeError, ValueError):
            pass
    with workspace() as (base, outside):
        path = base / "story.json"
        path.write_text(json.dumps(data))
        cmd, stdin = _command(rng, path, base)
        if cmd[0] == "check":  # check reads only story folders (issue 31 point 12 is redesign's)
            cmd = ["stats", "--story", path]
        before = snapshot(path, outside)
        TRIED["compiled"] += 1
        code, text = run(cmd, stdin)
        held(cmd, code, text, [str(path), "story.json", "--story"])
        assert snapshot(path, outside) == before


def _a_save(base: Path, story: Path) -> Path:
    code, text = run(["play", "--story", story, "--save-dir", base / "saves"], "1\n1\nsave mine\nquit\n")
    assert code == 0, text
    return next((base / "saves").glob("*/mine.json"))


@SETTINGS
@given(
    seed=st.integers(0, 2**32),
    values=st.lists(JSON_VALUES, min_size=1, max_size=3),
    as_bytes=st.booleans(),
    piped=PIPED,
)
def test_mutated_saves_and_piped_input(seed, values, as_bytes, piped):
    rng = random.Random(seed)
    story = STORIES[0]
    with workspace() as (base, outside):
        save = _a_save(base, story)
        if as_bytes:
            raw = bytearray(save.read_bytes())
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(raw) + 1)
                raw[at : at + rng.randint(0, 3)] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 3)))
            save.write_bytes(bytes(raw))
        else:
            data = mutate_json(rng, json.loads(save.read_text()), values)
            save.write_text(json.dumps(data))
        shutil.copy(save, save.with_name("autosave.json"))
        lines = ["load mine"] + piped + ["quit"]
        cmd = ["play", "--story", story, "--save-dir", base / "saves"] + (["--continue"] if rng.random() < 0.5 else [])
        before = snapshot(story, outside)
        TRIED["save"] += 1
        code, text = run(cmd, "\n".join(lines) + "\n")
        held(cmd, code, text, ["mine", "autosave", "save", "--"])
        assert snapshot(story, outside) == before


@SETTINGS
@given(story=st.sampled_from(STORIES[:4]), piped=PIPED)
def test_piped_input_to_play(story, piped):
    with workspace() as (base, outside):
        cmd = ["play", "--story", story, "--save-dir", base / "saves"]
        TRIED["piped"] += 1
        before = snapshot(story)
        code, text = run(cmd, "\n".join(piped) + "\n")
        held(cmd, code, text, ["--"])
        assert snapshot(story) == before


def test_report_how_many_inputs_were_tried():
    """(Runs last in its file: the long run's count, printed for `make fuzz`.)"""
    if LONG:
        print(f"\nfuzz: {sum(TRIED.values()):,} inputs tried ({dict(TRIED)})")

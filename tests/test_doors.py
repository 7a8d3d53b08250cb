"""One door in, one door out (issue 31): every file read through engine/files.py's reader, every
file written through its writer, and the red team's findings that came from going round them.

Most tests run the real command in-process (engine.cli.main), which is what a user runs, minus
the interpreter's start-up; the few that need a real process (a FIFO, a kill) say why.
"""

from __future__ import annotations

import ast
import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, TOUR, chapter, no_traceback, run_cli, two_node_chapter, write_story

from engine import cli, files
from engine.player.saves import SaveStore


def run(*args, cwd: Path | None = None, stdin: str | None = None, monkeypatch=None, capsys=None):
    """`chronicle ARGS` in-process: (exit code, stdout, stderr)."""
    assert capsys is not None
    old = os.getcwd()
    old_in = sys.stdin
    if cwd is not None:
        os.chdir(cwd)
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(old)
        sys.stdin = old_in
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, out + err
    return code, out, err


@pytest.fixture
def tour(tmp_path) -> Path:
    root = tmp_path / "tour"
    shutil.copytree(TOUR, root, ignore=shutil.ignore_patterns(".cache"))
    return root


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch):
    monkeypatch.setenv("CHRONICLE_CACHE", "0")


# ---- 1: the division pass and a choice that is not on offer ----------------------------------


def division_story(tmp_path) -> Path:
    return write_story(
        tmp_path / "div",
        {
            "one": chapter(
                "one",
                {
                    "hall": {
                        "text": "The delegates wait.",
                        "choices": [
                            {"text": "Split the vote.", "if": "10 // y > 1", "goto": "end"},
                            {"text": "Another delegate comes.", "if": "y < 3", "do": ["y += 1"], "goto": "hall"},
                            {"text": "Sign.", "goto": "end", "canon": True},
                        ],
                    },
                    "end": {"text": "The ink dries.", "ending": {"kind": "canon", "title": "Signed"}},
                },
                flags={"y": {"type": "int", "default": 0, "min": 0, "max": 3, "doc": "Delegates"}},
            )
        },
    )


def test_a_condition_dividing_by_a_flag_that_can_be_zero_is_a_finding_with_a_replay(tmp_path, capsys):
    root = division_story(tmp_path)
    code, out, err = run("check", "--story", root, capsys=capsys)
    assert code == 1, out + err
    line = next(ln for ln in out.splitlines() if "error[divide-by-zero]" in ln)
    assert "chapters/one.yaml:" in line and "10 // y" in line
    replay = next(ln.split("replay: ", 1)[1] for ln in out.splitlines() if "replay: chronicle play" in ln)
    # the replay stops where the division happens: the choice is not on offer there (play gives 0)
    assert "--chapter one" in replay and '--replay ""' in replay
    args = replay.split()[2:]
    args = [a.strip('"') for a in args]
    code, out, err = run("play", *args, "--story", root, capsys=capsys)
    assert code == 0 and "The delegates wait." in out


def test_graph_draws_a_story_with_such_a_division(tmp_path, capsys):
    root = division_story(tmp_path)
    code, out, err = run("graph", "--story", root, capsys=capsys)
    assert code == 0, err
    assert "hall" in out


# ---- 2: story files through links that lead out of the story folder ---------------------------


@pytest.mark.parametrize("which", ["chapters/storm.yaml", "story/story.yaml", "story/history.yaml"])
def test_a_story_file_linked_to_a_file_outside_is_refused_unread(tour, tmp_path, which, capsys):
    secret = tmp_path / "secret.env"
    secret.write_text("GITHUB_TOKEN: ghp_abcdefghijklmnop\nAWS_SECRET: hunter2\n")
    (tour / which).unlink()
    (tour / which).symlink_to(secret)
    code, out, err = run("check", "--story", ".", cwd=tour, capsys=capsys)
    assert code == 1
    assert f"{which}: error[file-outside]" in out
    assert "outside the story folder" in out
    for leaked in ("ghp_", "hunter2", "GITHUB_TOKEN", "AWS_SECRET"):
        assert leaked not in out + err


def test_a_link_that_stays_inside_the_story_folder_still_loads(tour, capsys):
    (tour / "drafts").mkdir()
    shutil.move(tour / "chapters" / "morning.yaml", tour / "drafts" / "morning.yaml")
    (tour / "chapters" / "morning.yaml").symlink_to(Path("..") / "drafts" / "morning.yaml")
    code, out, err = run("check", "--story", ".", cwd=tour, capsys=capsys)
    assert "file-outside" not in out
    assert code == 0, out


def test_play_and_export_refuse_the_outside_link_too(tour, tmp_path, capsys):
    (tmp_path / "secret.txt").write_text("ghp_0123456789")
    (tour / "chapters" / "morning.yaml").unlink()
    (tour / "chapters" / "morning.yaml").symlink_to(tmp_path / "secret.txt")
    for cmd in (["play", "--replay", "1"], ["export", "json"], ["stats"], ["why", "storm:tower"]):
        code, out, err = run(*cmd, "--story", tour, capsys=capsys)
        assert code != 0, cmd
        assert "file-outside" in out + err and "ghp_" not in out + err


# ---- 3: the writer's temporary file ---------------------------------------------------------


def test_a_link_planted_where_the_temporary_file_goes_is_never_followed(tmp_path):
    store = SaveStore(tmp_path / "saves")
    store.write("autosave", {"n": 0})
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    # the names the old writer used (pid-based, predictable), and a few neighbours
    for pid in range(os.getpid() - 2, os.getpid() + 3):
        (store.folder / f".autosave.json.{pid}.tmp").symlink_to(victim)
    store.write("autosave", {"n": 1})
    assert victim.read_text() == "precious\n"
    assert not store.path("autosave").is_symlink()
    assert store.read("autosave") == {"n": 1}


# ---- 4: check --since REV is never an option to git -------------------------------------------


@pytest.mark.parametrize("rev", ["--output=P", "-o", "--exec=touch pwned"])
def git_story(tour: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tour)], check=True)
    subprocess.run(["git", "-C", str(tour), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(tour), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"], check=True
    )
    return tour


@pytest.mark.parametrize("rev", ["--output=P", "-o", "--exec=touch pwned"])
def test_since_refuses_a_revision_that_starts_with_a_dash(tour, rev, capsys):
    git_story(tour)
    code, out, err = run("check", "--story", ".", f"--since={rev}", cwd=tour, capsys=capsys)
    assert code == 2
    assert "never starts with '-'" in err
    assert "usage: git" not in err
    assert not list(tour.glob("P*")) and not (tour / "pwned").exists()


def test_since_passes_end_of_options_to_git(tour, tmp_path, monkeypatch):
    from engine.check import since

    git_story(tour)
    calls = []
    real = subprocess.run

    def spy(cmd, *a, **k):
        calls.append(cmd)
        return real(cmd, *a, **k)

    monkeypatch.setattr(since.subprocess, "run", spy)
    old = since.old_version_root(tour, "HEAD", tmp_path / "work")
    assert (old / "story" / "story.yaml").is_file() and (old / "chapters" / "storm.yaml").is_file()
    archive = next(c for c in calls if "archive" in c)
    assert archive[-2:] == ["--end-of-options", "HEAD:"]


# ---- 5: two games finding endings at once --------------------------------------------------------


def test_two_games_recording_endings_at_the_same_moment_keep_both(tmp_path, monkeypatch):
    folder = tmp_path / "saves"
    real = SaveStore.read_endings

    def slow_read(self):
        got = real(self)
        time.sleep(0.2)  # both games have read the record before either writes it
        return got

    monkeypatch.setattr(SaveStore, "read_endings", slow_read)
    games = [SaveStore(folder), SaveStore(folder)]
    threads = [
        threading.Thread(target=g.add_ending, args=(f"one/end{i}", {"title": f"End {i}"})) for i, g in enumerate(games)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(real(SaveStore(folder))[0]) == ["one/end0", "one/end1"]


# ---- 6: unreadable story/ and chapters/ folders ---------------------------------------------------


@pytest.fixture
def unreadable(monkeypatch, request):
    """make(path): the file or folder at `path` cannot be read, as with `chmod 000` for a user
    who does not own it. (Tests run as root here, where chmod stops nothing, so the system calls
    Python makes are refused for that path and everything below it instead.)"""

    def make(path: Path) -> None:
        target = os.path.realpath(path)
        if os.geteuid() != 0:
            mode = os.stat(path).st_mode
            os.chmod(path, 0)
            request.addfinalizer(lambda: os.chmod(path, mode))
            return

        is_dir = os.path.isdir(target)

        def real(p) -> str | None:
            try:
                p = os.fspath(p)
            except TypeError:
                return None  # a descriptor
            return os.path.realpath(os.fsdecode(p))

        def below(p) -> bool:
            r = real(p)
            return r is not None and r.startswith(target + os.sep)

        def itself(p) -> bool:
            return real(p) == target

        def deny(p):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(p))

        # a folder without permissions: nothing below it can be looked at, it cannot be listed or
        # opened; a file without permissions: it cannot be opened (stat still works)
        rules = {
            "stat": below,
            "open": lambda p: below(p) or itself(p),
            "scandir": lambda p: below(p) or (is_dir and itself(p)),
            "listdir": lambda p: below(p) or (is_dir and itself(p)),
        }
        for name, test in rules.items():
            real_fn = getattr(os, name)

            def fake(p=".", *a, _real=real_fn, _test=test, **k):
                if _test(p):
                    deny(p)
                return _real(p, *a, **k)

            monkeypatch.setattr(os, name, fake)

    return make


@pytest.mark.parametrize("folder", ["story", "chapters"])
@pytest.mark.parametrize("cmd", [["check"], ["play", "--replay", "1"], ["export", "json"]])
def test_an_unreadable_story_folder_gives_one_diagnostic(tour, folder, cmd, unreadable, capsys):
    unreadable(tour / folder)
    code, out, err = run(*cmd, "--story", tour, capsys=capsys)
    assert code == 1
    lines = [ln for ln in (out + err).splitlines() if "error[" in ln]
    assert len(lines) == 1, out + err
    assert "error[file-missing]" in lines[0] and "Permission denied" in lines[0]
    assert f"{folder}/" in lines[0]


def test_an_unreadable_history_gives_one_diagnostic_and_no_ending_kinds(tour, unreadable, capsys):
    unreadable(tour / "story" / "history.yaml")
    code, out, err = run("check", "--story", tour, capsys=capsys)
    assert code == 1
    lines = [ln for ln in out.splitlines() if "error[" in ln]
    assert len(lines) == 1, out
    assert "history.yaml" in lines[0] and "Permission denied" in lines[0]
    assert "ending-kind" not in out


# ---- 8: every input through the one reader -------------------------------------------------------


def test_a_script_that_is_a_device_is_refused(capsys):
    code, out, err = run("play", "--story", TOUR, "--script", "/dev/zero", capsys=capsys)
    assert code == 1
    assert "cannot read script /dev/zero: it is a device" in err


def test_a_huge_script_is_refused_without_reading_it_whole(tmp_path, capsys):
    big = tmp_path / "script.txt"
    with open(big, "wb") as f:
        f.truncate(1 << 30)
    code, out, err = run("play", "--story", TOUR, "--script", big, capsys=capsys)
    assert code == 1 and "over the" in err


def test_a_compiled_story_that_links_to_a_device_is_refused(tmp_path, capsys):
    (tmp_path / "x.json").symlink_to("/dev/zero")
    code, out, err = run("play", "--story", tmp_path / "x.json", "--replay", "1", capsys=capsys)
    assert code == 1 and "it is a device" in err


def test_a_fifo_named_like_a_compiled_story_is_refused_at_once(tmp_path):
    # a real process: a reader that blocks on the FIFO would hang this test until its timeout
    os.mkfifo(tmp_path / "x.json")
    proc = run_cli("play", "--story", tmp_path / "x.json", "--replay", "1", timeout=20)
    no_traceback(proc)
    assert proc.returncode == 1 and "named pipe" in proc.stderr


# ---- 9: every output through the one writer --------------------------------------------------------


@pytest.mark.parametrize("cmd", [["graph", "--no-check", "-o"], ["export", "json", "-o"]])
def test_an_output_that_is_a_folder_is_one_message(tmp_path, cmd, capsys):
    code, out, err = run(*cmd, tmp_path, "--story", TOUR, capsys=capsys)
    assert code == 1
    assert err.strip() == f"chronicle: cannot write {tmp_path}: it is a folder"


def test_new_story_where_nothing_can_be_written_is_one_message(capsys):
    code, out, err = run("new", "story", "/proc/x", capsys=capsys)
    assert code == 1
    assert "cannot write" in err and "/proc/x" in err


def test_schema_install_refuses_a_folder_that_holds_no_story(tmp_path, capsys):
    code, out, err = run("schema", "--install", "--story", tmp_path / "nothing", capsys=capsys)
    assert code != 0
    assert "holds no story" in err
    assert not (tmp_path / "nothing").exists()


def test_schema_install_into_a_story_still_writes_the_schemas(tour, capsys):
    shutil.rmtree(tour / "schemas")
    code, out, err = run("schema", "--install", "--story", tour, capsys=capsys)
    assert code == 0
    assert sorted(p.name for p in (tour / "schemas").iterdir()) == [
        "chapter.schema.json",
        "history.schema.json",
        "story.schema.json",
    ]


def test_a_write_that_fails_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old\n")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(files.FileError) as info:
        files.write(target, "new\n")
    assert str(info.value) == f"cannot write {target}: No space left on device"
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


# ---- 13: piped play parses what it echoes -----------------------------------------------------------


@pytest.mark.parametrize("typed", ["\x1b[31m1", "1\x00", "\x1b]0;title\x071"])
def test_piped_play_takes_the_choice_it_echoes(tmp_path, typed, capsys):
    code, out, err = run("play", "--story", TOUR, "--save-dir", tmp_path, stdin=typed + "\nquit\n", capsys=capsys)
    assert "> 1\n" in out
    assert "Type a number" not in out
    assert "You climb the stair." in out  # choice 1 of the first scene, taken


# ---- 14: a save with a byte-order mark --------------------------------------------------------------


def test_a_save_with_a_byte_order_mark_loads(tmp_path):
    store = SaveStore(tmp_path)
    store.write("mine", {"a": 1})
    raw = store.path("mine").read_bytes()
    store.path("mine").write_bytes(b"\xef\xbb\xbf" + raw)
    assert store.read("mine") == {"a": 1}


def test_a_byte_order_mark_autosave_continues_the_game(tmp_path, capsys):
    code, out, err = run("play", "--story", TOUR, "--save-dir", tmp_path, stdin="1\nquit\n", capsys=capsys)
    auto = next(tmp_path.glob("*/autosave.json"))
    auto.write_bytes(b"\xef\xbb\xbf" + auto.read_bytes())
    code, out, err = run("play", "--story", TOUR, "--save-dir", tmp_path, "--continue", stdin="quit\n", capsys=capsys)
    assert "damaged" not in out + err
    assert not list(auto.parent.glob("*.corrupt-*"))
    assert "You climb the stair." in out


# ---- one door in, one door out: no other module opens a file -------------------------------------

ENGINE = ROOT / "engine"
DOORS = {"files.py"}  # engine/files.py: the reader and the writer
# calls that open, create, list, move or delete files, by the name they are called with
_OPENING_NAMES = {"open"}
_OPENING_ATTRS = {
    "open",  # os.open, io.open, Path.open, tarfile.open (allowed below on an in-memory file)
    "fdopen",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "touch",
    "mkdir",
    "makedirs",
    "unlink",
    "rmdir",
    "rmtree",
    "iterdir",
    "glob",
    "rglob",
    "scandir",
    "listdir",
    "mkstemp",
    "mkdtemp",
    "NamedTemporaryFile",
    "TemporaryFile",
    "copyfile",
    "copy2",
    "copytree",
    "extractall",
    "symlink_to",
    "link",
}
_OS_ONLY = {"replace", "rename", "remove", "link", "symlink", "truncate"}  # str.replace is no file


def _opening_calls(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in _OPENING_NAMES:
            out.append((node.lineno, f.id))
        elif isinstance(f, ast.Attribute):
            owner = f.value.id if isinstance(f.value, ast.Name) else None
            if owner == "files":
                continue  # the door itself
            if f.attr in _OPENING_ATTRS or (owner in ("os", "shutil", "tempfile") and f.attr in _OS_ONLY):
                if f.attr == "open" and owner == "tarfile" and any(k.arg == "fileobj" for k in node.keywords):
                    continue  # a tar held in memory (check --since's git archive), not a file
                out.append((node.lineno, f"{owner + '.' if owner else ''}{f.attr}"))
    return out


def test_no_module_but_the_one_door_opens_a_file():
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        if path.relative_to(ENGINE).as_posix() in DOORS:
            continue
        for line, what in _opening_calls(ast.parse(path.read_text(encoding="utf-8"))):
            found.append(f"engine/{path.relative_to(ENGINE).as_posix()}:{line}: {what}(...)")
    assert found == [], "read and write files through engine/files.py:\n" + "\n".join(found)


def test_the_door_check_sees_the_ways_a_file_is_opened():
    # the check itself can fail: each of these is found
    src = (
        "open('x')\nPath('x').read_text()\nos.open('x', 0)\np.write_bytes(b'')\nos.replace(a, b)\n"
        "tempfile.mkstemp()\nos.scandir('.')\np.mkdir()\n"
    )
    assert len(_opening_calls(ast.parse(src))) == 8
    assert _opening_calls(ast.parse("'a'.replace('a', 'b')\ntarfile.open(fileobj=buf)\n")) == []


# ---- 7: a compiled story is checked on load, not trusted for its hash ---------------------------


def compiled_tour() -> dict:
    from engine.compile import load_story
    from engine.export.compiled import to_json

    return to_json(load_story(TOUR))


def rehashed(data: dict) -> dict:
    from engine.export.compiled import content_hash

    data["content_hash"] = content_hash(data["story"])
    return data


def _storm(d):
    return d["story"]["chapters"][0]


def _choice(d, node="tower", i=0):
    return _storm(d)["nodes"][node]["choices"][i]


TAMPERED = {
    "a goto to a missing node": (lambda d: _choice(d).update(target="nowhere"), "names no node"),
    "an unknown flag in a condition": (
        lambda d: _choice(d, i=1).update(condition={"$": "Var", "name": "ghost"}),
        "unknown flag 'ghost'",
    ),
    "nodes as a list": (lambda d: _storm(d).update(nodes=list(_storm(d)["nodes"].values())), "is not of type"),
    "a default of the wrong type": (lambda d: d["story"]["flags"][1].update(default="lots"), "default"),
    "a title that is not text": (lambda d: d["story"].update(title=["a", "b"]), "is not of type 'string'"),
    "a negative effect slot": (lambda d: _choice(d, i=1)["effects"][0].update(slot=-1), "minimum"),
    "an effect on another flag's slot": (
        lambda d: _choice(d, i=1)["effects"][0].update(slot=_choice(d, i=1)["effects"][0]["slot"] + 1),
        "which holds",
    ),
    "a start that is no node": (lambda d: _storm(d).update(start="void"), "names no node"),
    "a node filed under another id": (
        lambda d: _storm(d)["nodes"].update(extra=dict(_storm(d)["nodes"]["tower"])),
        "is filed under 'extra'",
    ),
    "a condition that is a number": (
        lambda d: _choice(d, i=1).update(condition={"$": "Lit", "value": 3}),
        "not true or false",
    ),
    "an expression whose kind is not text (found by the fuzzer)": (
        lambda d: _choice(d, i=1).update(condition={"$": []}),
        "is not",
    ),
    "a layout without the story-wide flags first": (
        lambda d: _storm(d)["layout"].reverse(),
        "slot",
    ),
}


@pytest.mark.parametrize("what", list(TAMPERED))
@pytest.mark.parametrize("cmd", [["play", "--replay", "1"], ["export", "web", "OUT"], ["stats"]])
def test_a_damaged_compiled_story_is_refused_with_what_is_wrong(tmp_path, what, cmd, capsys):
    change, words = TAMPERED[what]
    data = compiled_tour()
    change(data)
    path = tmp_path / "story.json"
    path.write_text(json.dumps(rehashed(data)))
    cmd = [str(tmp_path / "site") if a == "OUT" else a for a in cmd]
    code, out, err = run(*cmd, "--story", path, capsys=capsys)
    assert code == 1, out + err
    assert f"{path}:1:1: the compiled story is damaged: at story" in err
    assert words in err
    assert not (tmp_path / "site").exists()


def test_an_untouched_compiled_story_still_plays(tmp_path, capsys):
    path = tmp_path / "story.json"
    path.write_text(json.dumps(compiled_tour()))
    code, out, err = run("play", "--story", path, "--replay", "1", capsys=capsys)
    assert code == 0 and "You climb the stair." in out


def test_the_published_compiled_schema_names_every_field_the_export_writes():
    """The schema a compiled story is held to on load covers the whole model, so a field of the
    wrong kind is refused there, never met in play."""
    from engine import link
    from engine.export import compiled
    from engine.schemacheck import schema_for

    defs = schema_for("compiled")["$defs"]
    exprs = {alt["properties"]["$"].get("const") for alt in defs["Expr"]["anyOf"] if "properties" in alt}
    missing = []
    for tag, cls in compiled.CLASSES.items():
        if tag in ("Diagnostic", "FlagType", "Pos") or tag in exprs or tag in ("Var", "Visits", "Not", "Neg"):
            continue  # never exported as objects (positions are text), or one of the expression kinds
        props = defs.get(tag, {}).get("properties", {})
        missing += [f"{tag}.{f.name}" for f in link.fields(cls) if f.name not in props]
    assert missing == []


@pytest.mark.parametrize("root", [ROOT, *sorted((ROOT / "tests" / "stories").iterdir())], ids=lambda p: p.name)
def test_every_real_story_exports_to_json_its_schema_accepts(root):
    import jsonschema

    from engine.compile import load_story
    from engine.export.compiled import from_json, to_json
    from engine.schemacheck import schema_for

    data = to_json(load_story(root))
    assert list(jsonschema.Draft202012Validator(schema_for("compiled")).iter_errors(data)) == []
    from_json(data)  # and its cross-references hold


# ---- what held, held (issue 31's list; the ones no test named before) ----------------------------


def test_a_chapter_that_is_a_link_in_a_loop_is_one_diagnostic(tour, capsys):
    (tour / "chapters" / "storm.yaml").unlink()
    (tour / "chapters" / "storm.yaml").symlink_to("storm.yaml")
    code, out, err = run("check", "--story", tour, capsys=capsys)
    assert code == 1
    assert "chapters/storm.yaml" in out and ("loop" in out or "outside" in out)


@pytest.mark.parametrize(
    "failure", [(errno.EROFS, "Read-only file system"), (errno.ENOSPC, "No space left on device")], ids=["ro", "full"]
)
def test_a_save_folder_that_cannot_be_written_keeps_the_old_save(tmp_path, monkeypatch, failure):
    store = SaveStore(tmp_path / "saves")
    store.write("autosave", {"n": 1})
    real = files.tempfile.mkstemp

    def refused(*a, **k):
        raise OSError(failure[0], failure[1])

    monkeypatch.setattr(files.tempfile, "mkstemp", refused if failure[0] == errno.EROFS else real)
    if failure[0] == errno.ENOSPC:
        monkeypatch.setattr(files.os, "fsync", refused)
    with pytest.raises(files.FileError) as info:
        store.write("autosave", {"n": 2})
    assert failure[1] in str(info.value)
    monkeypatch.undo()
    assert store.read("autosave") == {"n": 1}
    assert sorted(p.name for p in store.folder.iterdir() if not p.name.startswith(".autosave.lock")) == [
        "autosave.json"
    ]


@pytest.mark.slow
def test_sighup_stops_piped_play_with_the_game_saved(tmp_path):
    # a real process: the hang-up is a signal to it
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "play", "--story", str(TOUR), "--save-dir", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"1\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob("*/autosave.json")):
        assert time.monotonic() < deadline and proc.poll() is None, "the game never autosaved"
        time.sleep(0.05)
    proc.send_signal(signal.SIGHUP)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGHUP
    assert b"Traceback" not in out + err
    assert json.loads(next(tmp_path.glob("*/autosave.json")).read_text())["format"] == "chronicle-save"


@pytest.mark.slow
def test_a_story_of_two_to_the_300_states_stops_at_the_state_bound(tmp_path, capsys):
    flags = {f"b{i}": {"type": "bool", "default": False, "doc": f"Switch {i}"} for i in range(300)}
    choices = [{"text": f"Flip {i}.", "if": f"not b{i}", "do": [f"b{i} = true"], "goto": "hub"} for i in range(300)]
    choices.append({"text": "Leave.", "goto": "end", "canon": True})
    root = write_story(
        tmp_path / "big",
        {
            "one": chapter(
                "one",
                {
                    "hub": {"text": "Switches.", "choices": choices},
                    "end": {"text": "Done.", "ending": {"kind": "canon", "title": "The End"}},
                },
                flags=flags,
            )
        },
    )
    code, out, err = run("check", "--story", root, "--max-states", "5000", capsys=capsys)
    assert code == 1
    assert "explore-incomplete" in out and "state bound" in out


@pytest.mark.slow
def test_a_thirty_chapter_story_checks_within_its_bounds(tmp_path, capsys):
    chapters = {f"c{i}": two_node_chapter(f"c{i}") for i in range(30)}
    root = write_story(tmp_path / "long", chapters)
    code, out, err = run("check", "--story", root, "--max-states", "1000", capsys=capsys)
    assert code == 0, out
    assert "30 chapters" in out

"""What a new author stumbled on (issue 11), each tried the way they met it: the message
says what to do, and never what would make things worse."""

from __future__ import annotations

from authoring_helpers import cli
from conftest import no_traceback, run_cli, write_story

CHAPTER = """\
id: one
title: One
period: {from: "1900", to: "1900"}
flags:
  fate: {type: enum, values: [vindicated, ruined], default: ruined, doc: How it ended for him}
  nerve: {type: int, default: 1, min: 0, max: 3, doc: How steady the keeper is}
start: first
nodes:
  first:
    text: It begins.
    choices:
      - text: Go on.
        goto: last
        canon: true
        if: CONDITION
  last:
    text: It ends.
    ending: {kind: canon, title: The End}
"""


def check(tmp_path, chapter: str, **story):
    root = write_story(tmp_path / "s", {"one": chapter}, **story)
    proc = run_cli("check", "--story", ".", cwd=root)
    no_traceback(proc)
    return proc


def check_here(where, chapter: str) -> str:
    """`chronicle check` of a one-chapter story, run in this process: its output."""
    root = write_story(where, {"one": chapter})
    code, out, err = cli("check", "--story", root)
    assert code == 1 and "Traceback" not in out + err, err
    return out


def test_an_undeclared_flag_is_told_to_declare_it_not_to_use_some_other_flag(tmp_path):
    proc = check(
        tmp_path,
        CHAPTER.replace("CONDITION", "hope > 1"),
        flags={"tehran_holds": {"type": "bool", "default": False, "doc": "Tehran held"}},
    )
    assert proc.returncode == 1
    assert "unknown flag 'hope'" in proc.stdout
    hint = next(line for line in proc.stdout.splitlines() if line.strip().startswith("hint:"))
    assert "declare it under `flags:`" in hint
    assert "tehran_holds" not in proc.stdout, "a far-off name is no hint"


def test_a_near_miss_still_names_the_flag_after_the_advice_to_declare(tmp_path):
    proc = check(tmp_path, CHAPTER.replace("CONDITION", "nerv > 1"))
    hint = next(line for line in proc.stdout.splitlines() if line.strip().startswith("hint:"))
    assert hint.index("declare it") < hint.index("'nerve'")


def test_an_unquoted_enum_value_is_told_to_take_quotes(tmp_path):
    proc = check(tmp_path, CHAPTER.replace("CONDITION", "fate == vindicated"))
    assert proc.returncode == 1
    assert "'vindicated' is not a flag but a value of fate: a value is written in quotes" in proc.stdout
    assert 'fate == "vindicated"' in proc.stdout
    assert "unknown flag" not in proc.stdout


def test_an_unquoted_enum_value_in_an_effect_too(tmp_path):
    proc = check(tmp_path, CHAPTER.replace("        if: CONDITION\n", "        do: [fate = vindicated]\n"))
    assert "'vindicated' is not a flag but a value of fate" in proc.stdout


def test_every_type_error_has_a_hint(tmp_path):
    # nine variants of one message: checked in this process (the tests above run the real command)
    for k, cond in enumerate(("nerve", "nerve and true", "fate > 1", "nerve == true", 'fate == "lucky"', "not nerve")):
        out = check_here(tmp_path / f"c{k}", CHAPTER.replace("CONDITION", cond))
        assert "error[expr-type]" in out, (cond, out)
        lines = out.splitlines()
        at = next(i for i, line in enumerate(lines) if "error[expr-type]" in line)
        assert lines[at + 1].strip().startswith("hint:"), (cond, out)
    for k, effect in enumerate(("nerve = true", "fate += 1", 'fate = "lucky"')):
        out = check_here(tmp_path / f"e{k}", CHAPTER.replace("        if: CONDITION\n", f"        do: [{effect}]\n"))
        lines = out.splitlines()
        at = next(i for i, line in enumerate(lines) if "error[expr-type]" in line)
        assert lines[at + 1].strip().startswith("hint:"), (effect, out)


def test_a_node_key_indented_too_far_is_one_error_that_deletes_nothing(tmp_path):
    chapter = CHAPTER.replace("        if: CONDITION\n", "").replace(
        "  last:\n    text: It ends.", "    last:\n    text: It ends."
    )
    proc = check(tmp_path, chapter)
    assert proc.returncode == 1
    dups = [line for line in proc.stdout.splitlines() if "yaml-duplicate-key" in line]
    assert len(dups) == 1, proc.stdout
    assert "'last' on line 15 has no value" in dups[0]
    assert "keep one of the two" not in proc.stdout
    assert "indent it like its siblings" in proc.stdout


GOOD = CHAPTER.replace("CONDITION", "nerve >= 0")
SOFT_LOCK = GOOD.replace("id: one", "id: two").replace("nerve >= 0", "nerve > 5")


def test_a_broken_chapter_hides_nothing_in_the_others(tmp_path):
    """A YAML error in chapter three, and a soft-lock in chapter two: both are reported, and the
    summary counts what was really checked."""
    root = write_story(tmp_path / "s", {"one": GOOD, "two": SOFT_LOCK, "three": "id: three\ntitle: [unclosed\n"})
    proc = run_cli("check", "--story", ".", cwd=root)
    no_traceback(proc)
    assert proc.returncode == 1
    assert "chapters/three.yaml" in proc.stdout and "error[yaml-syntax]" in proc.stdout
    assert "error[soft-lock]" in proc.stdout and "in node 'first' no choice is available" in proc.stdout
    summary = proc.stdout.strip().splitlines()[-1]
    assert "2 of 3 chapters compiled (three did not)" in summary
    assert "0 chapters, 0 nodes" not in summary


def test_chapters_after_a_broken_one_are_compiled_but_not_explored(tmp_path):
    root = write_story(tmp_path / "s", {"one": GOOD.replace("goto: last", "goto: lost"), "two": SOFT_LOCK})
    proc = run_cli("check", "--story", ".", "--format", "json", cwd=root)
    no_traceback(proc)
    import json

    data = json.loads(proc.stdout)
    assert data["summary"]["unchecked"] == ["one"] and data["summary"]["unexplored"] == ["two"]
    assert {d["code"] for d in data["diagnostics"]} == {"unknown-node"}, "nothing is claimed about unknown states"


def test_a_replay_line_sets_only_the_flags_its_finding_depends_on(tmp_path):
    """Chapter one always sets `mood` and may set `key`; chapter two soft-locks when `key` is
    set. The replay needs --set key=true, and mood (read nowhere on the way) is left out."""
    from conftest import chapter

    one = chapter(
        "one",
        {
            "a": {
                "text": "A.",
                "choices": [
                    {"text": "Take the key.", "do": ["mood = true", "key = true"], "goto": "end"},
                    {"text": "Leave it.", "do": ["mood = true"], "goto": "end", "canon": True},
                ],
            },
            "end": {"text": "End.", "ending": {"kind": "canon", "title": "End"}},
        },
    )
    two = chapter(
        "two",
        {
            "door": {
                "text": "A door.",
                "choices": [
                    {"text": "Wait.", "if": "not key", "goto": "end", "canon": True},
                    {"text": "Open it.", "if": "not key", "goto": "end"},
                ],
            },
            "end": {
                "text": ["End.", {"if": "mood", "text": "You smile."}],
                "ending": {"kind": "canon", "title": "End"},
            },
        },
    )
    flags = {
        "mood": {"type": "bool", "default": False, "doc": "A mood"},
        "key": {"type": "bool", "default": False, "doc": "The key was taken"},
    }
    root = write_story(tmp_path / "s", {"one": one, "two": two}, flags=flags)
    proc = run_cli("check", "--story", ".", cwd=root)
    no_traceback(proc)
    replay = next(line for line in proc.stdout.splitlines() if "replay:" in line and "--chapter two" in line)
    assert "--set key=true" in replay
    assert "mood" not in replay


TWO_ENDINGS = """\
id: one
title: One
period: {from: "1900", to: "1900"}
start: first
nodes:
  first:
    text: It begins.
    choices:
      - text: Light the lamp.
        goto: lit
        canon: true
        do: lamp = true
      - text: Sound the horn.
        goto: sounded
        do: horn = true
  lit:
    text: The lamp burns.
    ending: {kind: canon, title: The Lamp}
  sounded:
    text: The horn sounds.
    ending: {kind: personal, title: The Horn}
"""

SECOND = """\
id: two
title: Two
period: {from: "1900", to: "1900"}
start: quay
nodes:
  quay:
    text: "{lamp: The lamp still burns.|The lamp is dark.} {horn: They heard the horn.|Nobody heard a horn.}"
    choices:
      - text: Go home.
        goto: home
        canon: true
  home:
    text: Home.
    ending: {kind: canon, title: Home}
"""

LAMP_AND_HORN = {
    "lamp": {"type": "bool", "default": False, "doc": "The lamp was lit"},
    "horn": {"type": "bool", "default": False, "doc": "The horn was sounded"},
}


def test_set_warns_of_a_start_no_way_through_the_story_gives(tmp_path):
    """Issue 26.7: `--set` with values no earlier ending hands on together is a scene no reader
    sees; play says so (and where the combination does arise), then tries it as asked."""
    root = write_story(tmp_path / "s", {"one": TWO_ENDINGS, "two": SECOND}, flags=LAMP_AND_HORN)
    both = run_cli(
        "play",
        "--story",
        ".",
        "--chapter",
        "two",
        "--set",
        "lamp=true",
        "--set",
        "horn=true",
        "--replay",
        "1",
        cwd=root,
    )
    no_traceback(both)
    assert both.returncode == 0, both.stderr
    assert "no way through the story starts chapter 2 (two) with lamp=true and horn=true" in both.stderr
    assert "no ending of chapter 1 (one) hands them on" in both.stderr
    assert "The lamp still burns. They heard the horn." in both.stdout  # tried anyway
    one = run_cli("play", "--story", ".", "--chapter", "two", "--set", "horn=true", "--replay", "1", cwd=root)
    assert one.returncode == 0 and "warning" not in one.stderr, one.stderr
    early = run_cli("play", "--story", ".", "--chapter", "one", "--set", "lamp=true", "--replay", "1", cwd=root)
    assert "starts chapter 1 (one) with lamp=true" in early.stderr
    assert "arises at the start of chapter 2 (two)" in early.stderr
    # inside the chapter that sets it, any value can arise: no warning
    inside = run_cli(
        "play", "--story", ".", "--chapter", "one", "--at", "lit", "--set", "lamp=true", "--replay", "1", cwd=root
    )
    assert "warning" not in inside.stderr, inside.stderr


def test_a_holds_that_reads_seen_is_an_error_not_a_traceback(tmp_path):
    """A fact's `holds` judged at every ending cannot read a chapter's seen()/visits(): one error
    at the fact, with what to write instead (it was a KeyError traceback)."""
    import shutil

    from tools import docs

    root = tmp_path / "s"
    shutil.copytree(docs.BASE, root)
    history = root / "story" / "history.yaml"
    text = history.read_text(encoding="utf-8")
    assert "holds: not treaty_torn" in text
    history.write_text(text.replace("holds: not treaty_torn", 'holds: seen("hall")'), encoding="utf-8")
    proc = run_cli("check", "--story", root)
    no_traceback(proc)
    assert proc.returncode == 1
    assert "history.yaml:" in proc.stdout and "error[expr-type]" in proc.stdout
    assert "may read only story-wide flags" in proc.stdout

"""Two kinds of choice beside the plain one: greyed out (`enabled:`, ChoiceScript's
`*selectable_if`) and fallback (`fallback: true`, ink's `* -> default`).

tests/stories/gate is the story: in the yard you ring a bell (courage + 1) or walk up to the
guard. There "Push past him." is listed at once but greyed out until courage >= 2, "Ask him
kindly." is shown only while courage == 0, and a fallback lets you through by itself when
neither can be taken (courage 1: the only choice shown is greyed out).

The page's side (disabled buttons, the same play as Python) is in tests/test_web_conformance.py
and tests/test_choice_kinds_page.py; the explorers against the brute force in
tests/test_explore.py and tests/test_symbolic.py (`kinds=True`).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, no_cache

from engine import load_story
from engine import runtime as rt
from engine.check import check_story
from engine.diagnostics import ChronicleError
from engine.export import compiled
from engine.savefile import from_json as from_save
from engine.savefile import to_json as save_json
from engine.transcript import TextPlayer

GATE = ROOT / "tests" / "stories" / "gate"


@pytest.fixture(scope="module")
def gate():
    with no_cache():
        return load_story(GATE)


def _play(*args: str, story=GATE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", "play", "--story", str(story), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def _copy(tmp_path, change) -> object:
    root = tmp_path / "gate"
    shutil.copytree(GATE, root)
    path = root / "chapters" / "gate.yaml"
    path.write_text(change(path.read_text()))
    return root


def _errors(root) -> list:
    with no_cache(), pytest.raises(ChronicleError) as exc:
        load_story(root)
    return exc.value.diagnostics


def _check(root, engine="explicit"):
    with no_cache():
        return check_story(load_story(root), story_arg=str(root), engine=engine)


# ---- play ------------------------------------------------------------------------------------


def test_a_greyed_out_choice_is_listed_numbered_and_refused(gate):
    s = rt.choose(gate, rt.start(gate), 1)  # walk up to the guard with no courage
    assert [c.text for c in rt.listed(gate, s)] == ["Push past him.", "Ask him kindly."]
    assert [c.text for c in rt.available(gate, s)] == ["Ask him kindly."]
    assert rt.greyed(gate, s) == {0}
    with pytest.raises(
        rt.PlayError, match=r"'Push past him.' is greyed out: it cannot be taken yet \(it needs courage >= 2\)"
    ):
        rt.choose(gate, s, 0)
    # numbers count the greyed-out choice: 2 is "Ask him kindly."
    assert rt.replay_numbers(gate, rt.start(gate), [2, 2])[-1].node == "asked"


def test_the_fallback_is_taken_by_itself_when_nothing_else_can_be(gate):
    s = rt.replay_numbers(gate, rt.start(gate), [1, 2])[-1]  # courage 1: only the greyed choice is shown
    assert s.node == "through"
    assert s.lead == ("The guard looks you over.", "He shrugs and lets you by.")
    assert tuple(s.path) == (0, 1)  # nobody typed the fallback: it is no move of the path
    assert s.passed == ("guard",)
    # with courage 2 "Push past him." can be taken: no fallback
    s = rt.replay_numbers(gate, rt.start(gate), [1, 1, 2])[-1]
    assert s.node == "guard" and rt.available(gate, s)[0].text == "Push past him."


def test_a_fallback_cannot_be_picked(gate):
    s = rt.choose(gate, rt.start(gate), 1)
    with pytest.raises(rt.PlayError, match="its fallback is taken by itself"):
        rt.choose(gate, s, 2)


def test_the_transcript_marks_the_greyed_choice_and_refuses_it():
    out = _play("--replay", "2,1")
    assert out.returncode == 1
    assert "  1. Push past him. (greyed out)\n  2. Ask him kindly.\n" in out.stdout
    assert '"Push past him." is greyed out: it cannot be chosen here. Pick another.' in out.stdout
    assert "Traceback" not in out.stderr
    through = _play("--replay", "1,2")
    assert through.returncode == 0
    assert "The guard looks you over.\n\nHe shrugs and lets you by.\n\nThe gate swings shut" in through.stdout


def test_a_save_resumes_past_a_fallback(gate):
    states = rt.replay_numbers(gate, rt.start(gate), [1, 2])
    data = json.loads(json.dumps(save_json(gate, states)))
    loaded = from_save(gate, data)
    assert loaded.states[-1].node == "through" and loaded.note is None


def test_the_json_export_keeps_both_kinds(gate):
    doc = json.loads(json.dumps(compiled.to_json(gate)))
    assert doc["version"] == 3
    guard = doc["story"]["chapters"][0]["nodes"]["guard"]["choices"]
    assert guard[0]["enabled_src"] == "courage >= 2" and guard[2]["fallback"] is True
    back = compiled.from_json(doc)
    for numbers in ([1, 2], [2, 2, 1], [1, 1, 2, 1]):
        assert [(x.node, x.values) for x in rt.replay_numbers(back, rt.start(back), numbers)] == [
            (x.node, x.values) for x in rt.replay_numbers(gate, rt.start(gate), numbers)
        ]
    out, queue = io.StringIO(), [1, 2]
    TextPlayer(back, out).run(rt.start(back), lambda s: queue.pop(0) if queue else None, lambda: False)
    assert "He shrugs and lets you by." in out.getvalue()


def test_a_version_2_reader_is_told_the_story_is_newer(gate):
    doc = compiled.to_json(gate)
    assert doc["version"] > 2  # a reader of 2 would list the fallback as a choice with no text


# ---- check -----------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["explicit", "symbolic"])
def test_the_gate_is_clean(engine):
    report = _check(GATE, engine)
    assert [d.render() for d in report.diagnostics] == []


@pytest.mark.parametrize("engine", ["explicit", "symbolic"])
def test_only_greyed_out_choices_shown_is_a_soft_lock(tmp_path, engine):
    root = _copy(tmp_path, lambda t: t[: t.index("      - fallback: true")] + t[t.index("  asked:") :])
    [d] = _check(root, engine).diagnostics
    assert d.code == "soft-lock"
    assert d.message == "in node 'guard' every choice shown is greyed out (1: `courage >= 2` false) when courage=1"
    assert d.replay.endswith("--replay 1,2")


@pytest.mark.parametrize("engine", ["explicit", "symbolic"])
def test_a_choice_that_can_never_be_enabled_is_never_available(tmp_path, engine):
    root = _copy(tmp_path, lambda t: t.replace("enabled: courage >= 2", "enabled: courage > 3"))
    found = {d.code: d for d in _check(root, engine).diagnostics}
    d = found["choice-never-available"]
    assert "choice 1 of node 'guard' ('Push past him.') is never available: `courage > 3` is false" in d.message
    assert d.pos.line == 17


@pytest.mark.parametrize("engine", ["explicit", "symbolic"])
def test_a_fallback_that_never_fires(tmp_path, engine):
    root = _copy(tmp_path, lambda t: t.replace("        if: courage == 0\n", ""))
    [d] = _check(root, engine).diagnostics
    assert d.code == "fallback-never"
    assert d.message.startswith("the fallback of node 'guard' (choice 3) never fires")
    assert (d.pos.line, d.pos.col) == (22, 9)


def test_two_fallbacks_in_a_node(tmp_path):
    root = _copy(
        tmp_path,
        lambda t: t.replace(
            "      - fallback: true\n", "      - fallback: true\n        goto: yard\n      - fallback: true\n"
        ),
    )
    [d] = _errors(root)
    assert d.code == "fallback-twice" and (d.pos.line, d.pos.col) == (25, 19)
    assert d.message == "node 'guard' has two fallback choices (choices 3 and 4)"


def test_a_fallback_with_words_to_show_is_refused(tmp_path):
    root = _copy(
        tmp_path, lambda t: t.replace("      - fallback: true\n", "      - fallback: true\n        text: Slip by.\n")
    )
    [d] = _errors(root)
    assert d.code == "schema" and "'Slip by.' is not allowed on a fallback choice" in d.message
    assert d.pos.line == 24


def test_random_play_takes_the_fallback_and_finds_the_soft_lock(tmp_path):
    from engine.check.sample import sample

    with no_cache():
        rep = sample(load_story(GATE), 200, seed=1)
    assert rep.finished == 200 and not rep.findings
    root = _copy(tmp_path, lambda t: t[: t.index("      - fallback: true")] + t[t.index("  asked:") :])
    with no_cache():
        story = load_story(root)
    rep = sample(story, 200, seed=1)
    assert rep.stuck > 0


# ---- the terminal ----------------------------------------------------------------------------


@pytest.mark.slow  # a real terminal under a pty
def test_the_terminal_dims_a_greyed_choice_refuses_it_and_takes_the_fallback(tmp_path):
    from pty_support import Term

    t = Term(tmp_path, story=GATE).wait("New game")
    t.enter().wait("Walk up to the guard.")
    t.enter("2").wait("Ask him kindly.")
    assert "1. Push past him. (greyed out)" in t.text
    grey = [ch for row in t.screen.buffer.values() for ch in row.values() if ch.data == "P"]
    assert grey and all(ch.fg not in ("default", "white") for ch in grey[:1])  # drawn dim, not plain
    t.enter("1").wait("is greyed out")
    assert '"Push past him." is greyed out: it cannot be chosen here. Pick another.' in t.flat
    t.enter("undo").wait("Ring the bell.")
    t.enter("1").wait("Ring the bell.")
    t.enter("2").wait("He shrugs and lets you by.")
    assert "The gate swings shut behind you." in t.flat
    t.child.sendcontrol("d")
    assert t.finish() == 0


def test_the_language_server_knows_a_flag_read_by_enabled():
    """`enabled:` holds an expression like `if:`: its flags are references (so rename,
    references and go-to-definition find them there)."""
    from engine.lsp.index import index_text

    idx = index_text((GATE / "chapters" / "gate.yaml").read_text(), "chapter")
    refs = [(o.name, o.key, o.span.line) for o in idx.occs if o.name == "courage" and o.role == "ref"]
    assert ("courage", "enabled", 17) in refs  # (lines count from 0, as LSP does)

"""Flow that moves on without a click (issue 26 point 2, issue 24 point 2, issue 32 point 1):
a conditional `next:` (the first branch whose `if` holds; ChoiceScript's `*if ... *goto`, ink's
`{x: -> knot}`), `call:` from flow (a node's `call:` with `next:`, or a branch that calls;
`*gosub`, ink's `-> f ->`), and calls that resume where they were made (`calls: resume`: back
from a call made on a choice without `goto`, the caller's choices are offered again and its
text is not shown again). Each is held to play, `check` (both engines), replays, saves, the
JSON export and its verifier, `why`, `stats`, `graph` and random play.
"""

from __future__ import annotations

import json

import pytest
from conftest import chapter, no_cache, no_traceback, run_cli, write_story

from engine import runtime as rt
from engine.check import check_story
from engine.check.sample import sample
from engine.compile import compile_story, load_story
from engine.export import compiled
from engine.savefile import from_json as load_save
from engine.savefile import to_json as save_json

FLAGS = {
    "courage": {"type": "int", "default": 0, "min": 0, "max": 3, "doc": "The keeper's courage"},
    "lit": {"type": "bool", "default": False, "doc": "The lamp is lit"},
}

ARCHIVE = chapter(
    "archive",
    {
        "desk": {
            "text": "Abu Faris, who has kept the archive since the British left, is awake.",
            "do": "courage += 1",
            "choices": [
                {"text": "Ask for a box.", "id": "box", "call": "box", "if": 'visits("desk.box") < 2'},
                {"text": "Light the lamp.", "do": "lit = true", "goto": "hall"},
                {"text": "Go to the hall.", "goto": "hall", "canon": True},
            ],
        },
        "box": {"text": "He brings a box and blows the dust off it.", "return": True},
        "hall": {
            "text": "The hall.",
            "next": [
                {"if": "courage > 1 and lit", "goto": "brave"},
                {"if": "lit", "call": "hum", "goto": "stair"},
                {"goto": "stair"},
            ],
        },
        "hum": {"text": "You hum to keep your nerve.", "return": True},
        "stair": {"text": "The stair.", "call": "hum", "next": "top"},
        "top": {
            "text": "The top of the stair.",
            "choices": [{"text": "Go out.", "goto": "out", "canon": True}],
        },
        "brave": {"text": "You walk out boldly.", "ending": {"kind": "personal", "title": "Bold"}},
        "out": {"text": "You leave.", "ending": {"kind": "canon", "title": "Out"}},
    },
)


def _story(tmp_path, nodes=None, calls="resume", flags=FLAGS):
    root = write_story(
        tmp_path / "s",
        {"archive": ARCHIVE if nodes is None else chapter("archive", nodes)},
        flags=flags,
        title="The Archive",
        calls=calls,
    )
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return _story(tmp_path_factory.mktemp("flow"))


@pytest.fixture(scope="module")
def story(root):
    with no_cache():
        return load_story(root)


def play(story, numbers):
    return rt.replay_numbers(story, rt.start(story), numbers)


# ---- 1. conditional `next:` -----------------------------------------------------------------


def test_a_conditional_next_takes_its_first_branch_that_holds(story):
    # courage 1, lamp dark: no branch but the last holds; the stair calls the hum, then the top
    dark = play(story, [3])[-1]
    assert dark.node == "top" and rt.node_text(story, dark) == [
        "The hall.",
        "The stair.",
        "You hum to keep your nerve.",
        "The top of the stair.",
    ]
    # the lamp lit: the second branch holds (the first needs courage > 1), and it calls the hum
    lit = play(story, [2])[-1]
    assert lit.node == "top" and rt.node_text(story, lit).count("You hum to keep your nerve.") == 2
    # a box first (courage 2 after coming back? no: resuming does not enter the desk again)
    assert play(story, [1, 2])[-1].node == "top"


def test_a_conditional_next_without_a_last_unconditional_branch_is_refused_where_it_is(tmp_path):
    nodes = json.loads(json.dumps(ARCHIVE["nodes"]))
    nodes["hall"]["next"][2]["if"] = "not lit"
    _story_, diags = compile_story(_story(tmp_path, nodes))
    [d] = [d for d in diags if d.is_error]
    assert d.code == "next-fallback" and d.pos.file.endswith("archive.yaml")
    assert (d.pos.line, d.pos.col) > (1, 1) and "last branch of node 'hall'" in d.message
    nodes["hall"]["next"] = [{"goto": "stair"}, {"if": "lit", "goto": "brave"}]
    _story_, diags = compile_story(_story(tmp_path / "2", nodes))
    assert [d.code for d in diags if d.is_error] == ["next-fallback"]
    assert "branch 2 of node 'hall' can never be taken" in diags[0].message


def test_check_by_the_command_line_gives_a_positioned_message_not_a_traceback(tmp_path):
    nodes = json.loads(json.dumps(ARCHIVE["nodes"]))
    nodes["hall"]["next"][1]["goto"] = "nowhere"
    nodes["stair"].pop("next")
    out = run_cli("check", "--story", _story(tmp_path, nodes))
    assert out.returncode == 1
    no_traceback(out)
    assert "archive.yaml:" in out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "branch 2 of node 'hall' goes to 'nowhere'" in text and "call-misplaced" in text


def test_a_ring_through_a_conditional_next_is_a_next_loop(tmp_path):
    nodes = json.loads(json.dumps(ARCHIVE["nodes"]))
    nodes["top"] = {"text": "Round.", "next": [{"if": "lit", "goto": "hall"}, {"goto": "hall"}]}
    nodes["stair"]["next"] = "top"
    _story_, diags = compile_story(_story(tmp_path, nodes))
    assert "next-loop" in {d.code for d in diags}
    ring = next(d for d in diags if d.code == "next-loop")
    assert "hall -> stair -> top -> hall" in ring.message


def test_two_calls_of_one_scene_in_a_row_are_no_ring(tmp_path):
    """The hum returns to the stair and to the top: the stair calls it again, but a walk at the
    call's depth steps over each call, so this is no ring."""
    _story_, diags = compile_story(_story(tmp_path))
    assert not [d for d in diags if d.is_error]


def test_check_explores_every_branch_and_names_the_path(tmp_path):
    """A dead end behind one branch, an ending behind a branch no state takes, and a trap: each
    found by both explorers, with a replay that reaches it."""
    nodes = json.loads(json.dumps(ARCHIVE["nodes"]))
    nodes["hall"]["next"] = [
        {"if": "courage > 2", "goto": "brave"},  # courage is at most 2 here: never taken
        {"if": "lit", "goto": "pit"},
        {"goto": "stair"},
    ]
    nodes["pit"] = {"text": "A pit.", "choices": [{"text": "Climb.", "if": "not lit", "goto": "top"}]}
    root = _story(tmp_path, nodes)
    with no_cache():
        story = load_story(root)
    for engine in ("explicit", "symbolic"):
        report = check_story(story, story_arg=str(root), engine=engine)
        found = {d.code: d for d in report.diagnostics}
        assert "ending-unreached" in found and "'brave'" in found["ending-unreached"].message
        dead = found["branch-never-taken"]  # the branch itself, where it is written
        assert dead.message.startswith("branch 1 of node 'hall''s `next:` is never taken: `courage > 2` is false")
        assert dead.pos.line == _line_of(root, "if: courage > 2")
        lock = found["soft-lock"]
        assert "node 'pit'" in lock.message and "--replay 2" in lock.replay
    lost = run_cli("play", "--story", root, "--replay", "2")
    assert "A pit." in lost.stdout


def _line_of(root, words: str) -> int:
    text = (root / "chapters" / "archive.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(text, 1) if words in line)


def test_a_call_from_flow_deeper_than_max_call_depth_is_found(tmp_path):
    nodes = {
        "a": {"text": "A.", "choices": [{"text": "Go.", "call": "loop", "goto": "end", "canon": True}]},
        "loop": {
            "text": "Round.",
            "choices": [{"text": "Deeper.", "goto": "deeper"}, {"text": "Back.", "goto": "back"}],
        },
        "deeper": {"text": "Deeper.", "call": "loop", "next": "back"},
        "back": {"text": "Back.", "return": True},
        "end": {"text": "End.", "ending": {"kind": "canon", "title": "End"}},
    }
    root = write_story(tmp_path / "s", {"archive": chapter("archive", nodes)}, flags=FLAGS, max_call_depth=2)
    with no_cache():
        story = load_story(root)
    for engine in ("explicit", "symbolic"):
        report = check_story(story, story_arg=str(root), engine=engine)
        [deep] = [d for d in report.diagnostics if d.code == "call-depth"]
        assert deep.message.startswith("node 'deeper' calls 'loop' with 2 calls already waiting")
        assert "--replay 1,1" in deep.replay


# ---- 2. and 3. calls from flow, and calls that resume -----------------------------------------


def test_coming_back_from_a_call_resumes_without_showing_the_caller_again(story):
    """The archive's complaint: after every box, 'Abu Faris, who has kept the archive...' again.
    With `calls: resume` only the box's text is on the page, and the desk is not entered again
    (its count and `do:` stay as they were)."""
    first, back = play(story, [1])[-2:]
    assert rt.node_text(story, back) == ["He brings a box and blows the dust off it."]
    assert back.node == "desk" and back.stack == () and back.values == first.values[:1] + back.values[1:]
    assert rt.flag_values(story, back)["courage"] == 1  # entered once
    assert [c.text for c in rt.available(story, back)] == ["Ask for a box.", "Light the lamp.", "Go to the hall."]


def test_reenter_keeps_the_old_way_for_stories_that_ask_for_it(tmp_path):
    with no_cache():
        old = load_story(_story(tmp_path, calls=None))
    back = play(old, [1])[-1]
    assert rt.node_text(old, back)[-1].startswith("Abu Faris")
    assert rt.flag_values(old, back)["courage"] == 2


def test_the_transcript_reads_as_ink_does(root):
    out = run_cli("play", "--story", root, "--replay", "1,1,2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("Abu Faris") == 1
    assert out.stdout.count("He brings a box") == 2


def test_a_save_inside_a_call_resumes_there(story, root):
    """Saved in the box's call (from the stair's call the flow made) and loaded back: the same
    node, the same stack, and play goes on from the call site."""
    nodes = json.loads(json.dumps(ARCHIVE["nodes"]))
    del nodes  # (the archive itself has no node with choices inside a call: use one that does)
    deep = {
        "desk": {
            "text": "The desk.",
            "choices": [{"text": "Ask.", "call": "ask"}, {"text": "Leave.", "goto": "out", "canon": True}],
        },
        "ask": {"text": "He listens.", "call": "think", "next": "reply"},
        "think": {"text": "He thinks.", "choices": [{"text": "Wait.", "goto": "done"}]},
        "done": {"text": "He has it.", "return": True},
        "reply": {"text": "He answers.", "return": True},
        "out": {"text": "Out.", "ending": {"kind": "canon", "title": "Out"}},
    }
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        with no_cache():
            s = load_story(_story(Path(tmp), deep))
    states = play(s, [1])
    assert states[-1].node == "think" and states[-1].stack == ("desk^", "reply")
    saved = json.loads(json.dumps(save_json(s, states)))
    loaded = load_save(s, saved)
    assert loaded.note is None and loaded.states[-1].stack == ("desk^", "reply")
    on = rt.choose(s, loaded.states[-1], 0)
    assert on.node == "desk" and rt.node_text(s, on) == ["He has it.", "He answers."]


def test_the_json_export_plays_the_same_and_its_verifier_holds_branches(story):
    data = compiled.to_json(story)
    assert data["version"] == 3
    again = compiled.from_json(json.loads(json.dumps(data)))
    for numbers in ([3], [2], [1, 1, 2]):
        a, b = play(story, numbers)[-1], play(again, numbers)[-1]
        assert (a.node, a.values, a.stack, rt.node_text(story, a)) == (
            b.node,
            b.values,
            b.stack,
            rt.node_text(again, b),
        )
    body = json.loads(json.dumps(data))
    hall = body["story"]["chapters"][0]["nodes"]["hall"]
    del hall["branches"][-1]  # the last branch now has a condition: play could find no way on
    body["content_hash"] = compiled.content_hash(body["story"])
    with pytest.raises(compiled.CompiledFormatError, match="every branch but the last"):
        compiled.from_json(body)


def test_why_stats_graph_and_random_play_follow_the_branches(root):
    # resuming does not enter the desk again, so courage never passes 1: the bold way out is
    # never taken, and `why` names the branch and its condition
    why = run_cli("why", "--story", root, "archive:brave")
    no_traceback(why)
    assert "branch 1 of 'hall''s `next:` needs `courage > 1 and lit`" in why.stdout
    assert "courage is always 1 there" in why.stdout
    stats = run_cli("stats", "--story", root, "--format", "json")
    assert stats.returncode == 0, stats.stderr
    graph = run_cli("graph", "--story", root, "--format", "mermaid")
    assert graph.returncode == 0, graph.stderr
    assert "courage #gt; 1 and lit" in graph.stdout and "call, back to stair · lit" in graph.stdout
    with no_cache():
        report = sample(load_story(root), runs=200, seed=1)
    assert not report.findings and report.finished == 200
    endings = {c.id: c for c in report.coverage}["archive"]
    assert endings is not None


def test_the_language_server_knows_the_nodes_and_flags_branches_name():
    """Rename and go-to-definition work on what a branch names: its `goto`, its `call`, its `if`."""
    import yaml

    from engine.lsp.index import index_text

    idx = index_text(yaml.safe_dump(ARCHIVE, sort_keys=False), "chapter")
    refs = {(o.kind, o.name, o.key) for o in idx.occs if o.role == "ref"}
    assert {("node", "hum", "call"), ("node", "stair", "goto"), ("node", "brave", "goto")} <= refs
    assert ("flag", "lit", "if") in refs and ("flag", "courage", "if") in refs


def test_resuming_at_a_node_does_not_record_its_facts_again(tmp_path):
    """A node that records a fact, called from and resumed at: the note is shown once, and the
    journal holds the fact once, in the transcript as in play."""
    nodes = json.loads(json.dumps(ARCHIVE["nodes"]))
    nodes["desk"]["records"] = ["thing-happens"]
    root = _story(tmp_path, nodes)
    out = run_cli("play", "--story", root, "--replay", "1,1,2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("[History:") == 1
    with no_cache():
        story = load_story(root)
    assert len(rt.records(story, play(story, [1, 1]))) == 1

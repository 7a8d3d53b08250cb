"""Subroutines as a player meets them (issue 17 point 4): `call:` on a choice, `return: true` on
a node. The text of a returning node joins the page of the place play goes back to; entering
that place again counts as a visit and applies its `do:`; calls nest; a call's `goto` says where
it comes back to; undo, saves, `chronicle play --replay` and the JSON export all go through
calls as play does; and `chronicle check` follows the canonical path through them.
"""

from __future__ import annotations

import json

import pytest
from conftest import chapter, examples, no_cache, no_traceback, run_cli, write_story
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import runtime as rt
from engine.check import check_story
from engine.compile import load_story
from engine.export import compiled
from engine.player.saves import AUTOSAVE, SaveStore
from engine.player.session import Session

FLAGS = {"tea": {"type": "int", "default": 0, "min": 0, "max": 9, "doc": "Cups of tea drunk"}}

ARCHIVE = chapter(
    "archive",
    {
        "desk": {
            "text": 'At the desk (visit {visits("desk")}).',
            "do": "tea += 1",
            "choices": [
                {"text": "Ask the archivist.", "call": "archivist"},
                {"text": "Ask, then go to the stacks.", "call": "archivist", "goto": "stacks"},
                {"text": "Fetch a box.", "call": "box", "goto": "reading", "say": "You go for a box."},
                {"text": "Leave.", "goto": "out", "canon": True},
            ],
        },
        "archivist": {
            "text": "The archivist looks up.",
            "choices": [
                {"text": "Ask about the index.", "call": "index"},
                {"text": "Thank her.", "goto": "thanks"},
                {"text": "Ask about everything.", "call": "archivist", "if": 'visits("archivist") < 4'},
            ],
        },
        "index": {"text": "The index fills {tea} drawers.", "return": True},
        "thanks": {"text": "She nods.", "return": True},
        "box": {"text": "You carry a box.", "next": "shelf"},
        "shelf": {"text": "The shelf creaks.", "return": True},
        "reading": {"text": "In the reading room.", "next": "desk"},
        "stacks": {"text": "The stacks.", "choices": [{"text": "Back to the desk.", "goto": "desk"}]},
        "out": {"text": "You leave.", "ending": {"kind": "canon", "title": "Out"}},
    },
)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return write_story(tmp_path_factory.mktemp("archive"), {"archive": ARCHIVE}, flags=FLAGS, title="The Archive")


@pytest.fixture(scope="module")
def story(root):
    with no_cache():
        return load_story(root)


def take(story, state, *texts):
    """Take the offered choices whose text starts with each of `texts`, in turn."""
    for text in texts:
        state = rt.choose(story, state, next(c for c in rt.available(story, state) if c.text.startswith(text)))
    return state


def test_the_returning_nodes_text_joins_the_page_it_returns_to(story):
    s = take(story, rt.start(story), "Ask the archivist.")
    assert (s.node, s.stack) == ("archivist", ("desk",))
    s = take(story, s, "Thank her.")
    assert (s.node, s.stack) == ("desk", ())
    assert rt.node_text(story, s) == ["She nods.", "At the desk (visit 2)."]
    assert [c.text for c in rt.available(story, s)][0] == "Ask the archivist."


def test_coming_back_counts_a_visit_and_applies_do(story):
    s = rt.start(story)
    assert rt.flag_values(story, s)["tea"] == 1  # the start is entered too
    for visit in (2, 3, 4):
        s = take(story, s, "Ask the archivist.", "Thank her.")
        assert rt.flag_values(story, s)["tea"] == visit
        assert rt.node_text(story, s)[-1] == f"At the desk (visit {visit})."


def test_nested_calls_come_back_one_level_at_a_time(story):
    s = take(story, rt.start(story), "Ask the archivist.", "Ask about the index.")
    # index returned at once to the archivist (its caller), who is still waiting to return to the desk
    assert (s.node, s.stack) == ("archivist", ("desk",))
    assert rt.node_text(story, s) == ["The index fills 1 drawers.", "The archivist looks up."]
    s = take(story, s, "Ask about everything.", "Ask about everything.")
    assert s.stack == ("desk", "archivist", "archivist")
    assert "Ask about everything." not in [c.text for c in rt.available(story, s)]  # its visits("archivist") < 4
    s = take(story, s, "Thank her.")
    assert (s.node, s.stack) == ("archivist", ("desk", "archivist"))
    s = take(story, s, "Thank her.", "Thank her.")
    assert (s.node, s.stack) == ("desk", ())


def test_a_call_with_goto_comes_back_there(story):
    s = take(story, rt.start(story), "Ask, then go to the stacks.")
    assert s.stack == ("stacks",)
    s = take(story, s, "Thank her.")
    assert (s.node, s.stack) == ("stacks", ())
    assert rt.node_text(story, s) == ["She nods.", "The stacks."]


def test_a_call_into_next_nodes_returns_through_next_nodes_without_a_click(story):
    s = take(story, rt.start(story), "Fetch a box.")
    assert (s.node, s.stack) == ("desk", ())
    assert s.passed == ("box", "shelf", "reading")
    assert rt.node_text(story, s) == [
        "You go for a box.",
        "You carry a box.",
        "The shelf creaks.",
        "In the reading room.",
        "At the desk (visit 2).",
    ]


# ---- the player's session: undo, saves, loads ------------------------------------------------


def test_undo_save_and_load_in_the_middle_of_calls(story, tmp_path):
    store = SaveStore(tmp_path / "saves")
    game = Session(story, store)
    game.new_game(rt.start(story))
    for text in ("Ask the archivist.", "Ask about everything.", "Ask about the index."):
        game.choose(next(c for c in game.offered() if c.text.startswith(text)))
    assert game.state.stack == ("desk", "archivist")
    game.save("deep")
    saved = json.loads((store.path("deep")).read_text())
    # node:key of each step; a call's key names the node it calls
    assert saved["path"] == ["desk:@archivist", "archivist:@archivist", "archivist:@index"]
    game.choose(next(c for c in game.offered() if c.text == "Thank her."))
    assert game.state.stack == ("desk",)
    taken, _ = game.undo()
    assert taken == 1 and game.state.stack == ("desk", "archivist") and game.state.node == "archivist"
    game.undo(2)
    assert game.state.stack == ("desk",)
    other = Session(story, store)
    other.load("deep")
    assert other.state.stack == ("desk", "archivist")
    assert [s.stack for s in other.states] == [
        (),
        ("desk",),
        ("desk", "archivist"),
        ("desk", "archivist"),
    ]
    assert rt.node_text(story, other.state) == ["The index fills 1 drawers.", "The archivist looks up."]
    # and the autosave of the first game resumes where it stood after the undo
    res, _notes = Session(story, store).latest_autosave()
    assert res is not None and res.slot == AUTOSAVE
    resumed = Session(story, store)
    resumed.resume(res)
    assert (resumed.state.node, resumed.state.stack) == ("archivist", ("desk",))


# ---- the command line -------------------------------------------------------------------------


def test_play_replay_goes_through_calls(root):
    proc = run_cli("play", "--story", root, "--replay", "1,2,3")
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    order = [
        "At the desk (visit 1).",
        "The archivist looks up.",
        "She nods.",
        "At the desk (visit 2).",
        "You carry a box.",
    ]
    at = [out.index(line) for line in order]
    assert at == sorted(at), out
    assert out.count("The archivist looks up.") == 1


# A returning node reached by a call (choice 3) and by `goto` (choice 1: nothing to return to).
RETURN_BY_GOTO = {
    "hall": {
        "text": "The hall.",
        "choices": [
            {"text": "Into the office.", "goto": "office"},
            {"text": "Out.", "goto": "end", "canon": True},
            {"text": "Ask.", "call": "office"},
        ],
    },
    "office": {"text": "The office.", "return": True},
    "end": {"text": "Gone.", "ending": {"kind": "canon", "title": "Gone"}},
}


def test_play_replay_stops_at_a_return_with_nothing_to_return_to(tmp_path):
    root = write_story(tmp_path / "s", {"one": chapter("one", RETURN_BY_GOTO)})
    proc = run_cli("play", "--story", root, "--replay", "1")
    no_traceback(proc)
    assert "The office." in proc.stdout
    # the reader is told why play stops here, in the words of the finding `check` gives
    assert "no call to return to" in proc.stdout and "return-empty" in proc.stdout
    assert "soft-lock" not in proc.stdout
    check = run_cli("check", "--story", root)
    assert "error[return-empty]" in check.stdout and "--replay 1" in check.stdout


def test_the_json_export_plays_calls_as_the_story_does(root, story, tmp_path):
    out = tmp_path / "archive.json"
    proc = run_cli("export", "json", "--story", root, "-o", out)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    again = compiled.from_json(json.loads(out.read_text()))
    assert again.chapters[0].nodes["thanks"].return_to == ("desk", "stacks", "archivist")
    picks = [0, 2, 2, 0, 1, 1, 1, 1, 2, 0, 1, 1, 0]
    a, b = rt.start(story), rt.start(again)
    for p in picks:
        if rt.is_ending(story, a):
            break
        a = rt.choose(story, a, rt.available(story, a)[p % len(rt.available(story, a))])
        b = rt.choose(again, b, rt.available(again, b)[p % len(rt.available(again, b))])
        assert (a.node, a.values, a.stack, a.path) == (b.node, b.values, b.stack, b.path)
        assert rt.node_text(story, a) == rt.node_text(again, b)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 99), max_size=30))
def test_random_paths_play_alike_from_the_json_export(story, picks):
    again = compiled.from_json(json.loads(compiled.dumps(story)))
    a, b = rt.start(story), rt.start(again)
    for p in picks:
        offered = rt.available(story, a)
        if not offered:
            break
        a = rt.choose(story, a, offered[p % len(offered)])
        b = rt.choose(again, b, rt.available(again, b)[p % len(offered)])
        assert (a.node, a.values, a.stack, rt.node_text(story, a)) == (
            b.node,
            b.values,
            b.stack,
            rt.node_text(again, b),
        )


# ---- check follows the canonical path through calls --------------------------------------------


def _consulting(n: int, depth: int | None = None, recursive: bool = False) -> tuple[dict, dict]:
    """n rooms in a row, each consulting one subroutine (`ask`, which has a click of its own) on
    the canonical way to the next; `recursive`: `ask` consults itself before it answers."""
    nodes: dict = {}
    for i in range(n):
        after = f"room{i + 1}" if i + 1 < n else "end"
        nodes[f"room{i}"] = {
            "text": f"Room {i}.",
            "choices": [{"text": "Consult.", "call": "ask", "goto": after, "canon": True}],
        }
    step = {"text": "Deeper.", "call": "ask", "canon": True} if recursive else {"text": "Back.", "goto": "answer"}
    nodes["ask"] = {"text": "You ask.", "choices": [dict(step, canon=True)]}
    nodes["answer"] = {"text": "The answer.", "return": True}
    if recursive:
        nodes["ask"]["choices"].append({"text": "Enough.", "goto": "answer"})
    nodes["end"] = {"text": "Done.", "ending": {"kind": "canon", "title": "Done"}}
    manifest = {"title": "Consulting", "chapters": ["one"]}
    if depth is not None:
        manifest["max_call_depth"] = depth
    return {"one": chapter("one", nodes)}, manifest


def test_a_canonical_path_consulting_one_subroutine_from_many_rooms_does_not_loop(tmp_path):
    """The path passes `ask` four times, more steps than the chapter has nodes, but never comes
    back to a node with the same calls waiting: it is not a loop (this was reported as one)."""
    chapters, manifest = _consulting(4)
    root = write_story(tmp_path / "s", chapters, manifest=manifest)
    with no_cache():
        report = check_story(load_story(root))
    assert [d.code for d in report.diagnostics if d.is_error] == []
    proc = run_cli("play", "--story", root, "--canon")
    assert proc.returncode == 0 and proc.stdout.count("You ask.") == 4 and "Done." in proc.stdout


def test_a_canonical_path_that_recurses_past_max_call_depth_is_broken(tmp_path):
    chapters, manifest = _consulting(1, depth=2, recursive=True)
    root = write_story(tmp_path / "s", chapters, manifest=manifest)
    with no_cache():
        report = check_story(load_story(root))
    errors = {d.code: d for d in report.diagnostics if d.is_error}
    assert set(errors) == {"canon-broken", "call-depth"}
    assert "calls 'ask' with 2 calls already waiting" in errors["canon-broken"].message
    assert "--replay 1,1,1" in errors["call-depth"].replay


def test_a_call_that_comes_back_elsewhere_is_its_own_way_in_saves(tmp_path):
    """`call: map` and `call: map, goto: road` in one node keep their save keys when reordered."""
    from engine import savefile

    root = tmp_path / "keys"
    (root / "story").mkdir(parents=True)
    (root / "chapters").mkdir()
    (root / "story" / "story.yaml").write_text("title: Keys\nchapters: [one]\n")
    chapter = (
        "id: one\ntitle: One\nstart: hall\nnodes:\n"
        "  hall:\n    text: The hall.\n    choices:\n{first}\n{second}\n      - {{text: Go., goto: road}}\n"
        "  map:\n    text: The map.\n    return: true\n"
        "  road:\n    text: The road.\n    choices:\n      - {{text: Walk., goto: out}}\n"
        "  out:\n    text: Out.\n    ending: {{title: Out}}\n"
    )
    stay = "      - {text: Look at the map., call: map}"
    leave = "      - {text: Look at the map and go., call: map, goto: road}"
    (root / "chapters" / "one.yaml").write_text(chapter.format(first=stay, second=leave))
    story = load_story(root)
    hall = story.chapter("one").nodes["hall"]
    assert [c.key for c in hall.choices] == ["@map", "@map>road", "@road"]
    states = rt.replay(story, rt.start(story), [1])  # look at the map and go: back at the road
    assert states[-1].node == "road"
    saved = savefile.to_json(story, states)
    assert saved["path"] == ["hall:@map>road"]
    (root / "chapters" / "one.yaml").write_text(chapter.format(first=leave, second=stay))
    edited = load_story(root)
    loaded = savefile.from_json(edited, saved)
    assert loaded.states[-1].node == "road"

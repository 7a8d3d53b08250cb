"""The ink-like constructs, as a player and an author meet them: inline text, `say:`,
`next:`, node `do:`, `visits()` with choice ids, `//` and `%`, `allow:`.

(The checker's agreement with the brute force on random stories that use them is in
test_check_props.py; the diagnostic codes' fixtures in tests/fixtures/codes/.)
"""

from __future__ import annotations

import dataclasses

import pytest
from conftest import chapter, no_cache, write_story

from engine import runtime as rt
from engine.check import check_story
from engine.compile import compile_story, load_story
from engine.expr import Arith, Visits
from engine.inline import Branch, Seq, Value

CANON_END = {"text": "Done.", "ending": {"kind": "canon", "title": "Done"}}


def build(tmp_path, nodes: dict, flags: dict | None = None, raw: str | None = None):
    root = write_story(tmp_path / "s", {"one": raw if raw is not None else chapter("one", nodes, flags=flags)})
    with no_cache():
        return compile_story(root)


def story_of(tmp_path, nodes, flags=None, raw=None):
    story, diags = build(tmp_path, nodes, flags, raw)
    assert story is not None, [d.render() for d in diags]
    return story


def play(story, numbers: list[int]) -> list[str]:
    """Every paragraph shown along a playthrough, as the player reads them."""
    state = rt.start(story)
    shown = rt.node_text(story, state)
    for n in numbers:
        state = rt.choose(story, state, rt.available(story, state)[n - 1])
        shown += rt.node_text(story, state)
    return shown


FLAGS = {
    "tea": {"type": "int", "default": 0, "min": 0, "max": 9, "doc": "Cups of tea"},
    "mood": {"type": "enum", "values": ["calm", "cross"], "default": "calm", "doc": "The keeper's mood"},
    "lit": {"type": "bool", "default": False, "doc": "The lamp is lit"},
}


def test_inline_conditions_values_and_braces(tmp_path):
    story = story_of(
        tmp_path,
        {
            "hall": {
                "text": "Tea: {tea}, mood {mood}, lamp {lit}.{tea > 0: Warm| Cold}{lit: and bright}. {{x}}",
                "choices": [
                    {"text": "Drink.", "do": ["tea += 2", "lit = true", 'mood = "cross"'], "goto": "hall"},
                    {"text": "Go.", "goto": "end", "canon": True},
                ],
            },
            "end": CANON_END,
        },
        FLAGS,
    )
    assert play(story, [])[0] == "Tea: 0, mood calm, lamp false. Cold. {x}"
    assert play(story, [1])[1] == "Tea: 2, mood cross, lamp true. Warm and bright. {x}"


def test_sequences_follow_the_visit_count(tmp_path):
    story = story_of(
        tmp_path,
        {
            "hall": {
                "text": "{&Tick.|Tock.} {!First.|Second.}",
                "choices": [{"text": "Again.", "goto": "hall"}, {"text": "Go.", "goto": "end", "canon": True}],
            },
            "end": CANON_END,
        },
    )
    assert play(story, [1, 1, 1]) == ["Tick. First.", "Tock. Second.", "Tick.", "Tock."]


def test_nesting_once_is_allowed_twice_is_refused_at_the_brace(tmp_path):
    story = story_of(
        tmp_path,
        {
            "hall": {
                "text": "A{lit: b{tea > 1: c}}d",
                "choices": [
                    {"text": "Go.", "do": ["lit = true", "tea = 2"], "goto": "hall"},
                    {"text": "End.", "goto": "end", "canon": True},
                ],
            },
            "end": CANON_END,
        },
        FLAGS,
    )
    assert play(story, [1]) == ["Ad", "A b cd"]  # spaces are kept as written (runs of them fold into one)
    raw = (
        "id: one\ntitle: One\nperiod: {from: 1900, to: 1900}\nstart: hall\nnodes:\n  hall:\n    text: |\n"
        "      First line.\n      Then {true: a {true: b {true: c}}}.\n"
        "    choices:\n      - {text: Go., goto: end, canon: true}\n"
        "  end: {text: Done., ending: {kind: canon, title: Done}}\n"
    )
    _story, diags = build(tmp_path, {}, raw=raw)
    [d] = [d for d in diags if d.is_error]
    assert d.code == "inline-syntax" and "nest" in d.message
    assert (d.pos.line, d.pos.col) == (9, 30)  # the third `{` on "      Then {true: a {true: b {true: c}}}."


@pytest.mark.parametrize(
    "text, line, col, code",
    [
        ('    text: "Tea {tea + true}"\n', 9, 16, "expr-type"),  # inside double quotes
        ("    text: >\n      folded\n      and {nope}\n", 11, 11, "unknown-flag"),  # a folded block
        ("    text: 'Plain {tea} and {tea > 1: a | b | c}'\n", 9, 28, "inline-syntax"),  # the second part
        ("    text: Plain {tea} and {tea + 1\n", 9, 27, "inline-syntax"),  # a plain scalar, never closed
    ],
)
def test_inline_mistakes_name_the_line_and_column_of_their_brace(tmp_path, text, line, col, code):
    raw = (
        "id: one\ntitle: One\nperiod: {from: 1900, to: 1900}\nflags:\n  tea: {type: int, default: 0, doc: Tea}\n"
        "start: hall\nnodes:\n  hall:\n" + text + "    choices:\n      - {text: Go., goto: end, canon: true}\n"
        "  end: {text: Done., ending: {kind: canon, title: Done}}\n"
    )
    _story, diags = build(tmp_path, {}, raw=raw)
    errors = [d for d in diags if d.is_error]
    assert [d.code for d in errors] == [code], [d.render() for d in errors]
    assert (errors[0].pos.line, errors[0].pos.col) == (line, col)


def test_say_and_next_join_the_page_without_a_click(tmp_path):
    story = story_of(
        tmp_path,
        {
            "hall": {
                "text": "The hall.",
                "choices": [{"text": "Ask.", "say": '"Where?" you ask.', "goto": "stairs", "canon": True}],
            },
            "stairs": {"text": "You climb.", "next": "lamp"},
            "lamp": {"text": "The lamp room (lit: {lit}).", "do": ["lit = true"], "next": "end"},
            "end": {"text": "Dawn.", "ending": {"kind": "canon", "title": "Done"}},
        },
        {"lit": FLAGS["lit"]},
    )
    state = rt.choose(story, rt.start(story), 0)
    assert state.node == "end"  # play stops only where there is something to do
    assert rt.node_text(story, state) == ['"Where?" you ask.', "You climb.", "The lamp room (lit: true).", "Dawn."]
    assert state.path == (0,)
    assert check_story(story).diagnostics == []


def test_node_do_applies_on_entering_even_at_the_start(tmp_path):
    story = story_of(
        tmp_path,
        {
            "hall": {
                "text": "Tea {tea}.",
                "do": "tea += 1",
                "choices": [
                    {"text": "Again.", "if": "tea < 3", "goto": "hall"},
                    {"text": "Go.", "goto": "end", "canon": True},
                ],
            },
            "end": CANON_END,
        },
        {"tea": FLAGS["tea"]},
    )
    assert play(story, [1, 1]) == ["Tea 1.", "Tea 2.", "Tea 3."]
    assert len(rt.available(story, rt.replay_numbers(story, rt.start(story), [1, 1])[-1])) == 1


def test_visits_count_nodes_and_choices_and_check_stays_finite(tmp_path):
    story = story_of(
        tmp_path,
        {
            "hall": {
                "text": 'Hall, visit {visits("hall")}; knocked {visits("hall.knock")} times.',
                "choices": [
                    {"text": "Knock.", "id": "knock", "if": 'visits("hall.knock") < 3', "goto": "hall"},
                    {"text": "Wait.", "if": 'visits("hall") < 5', "goto": "hall"},
                    {"text": "Go.", "goto": "end", "canon": True},
                ],
            },
            "end": CANON_END,
        },
    )
    assert play(story, [1, 2])[-1] == "Hall, visit 3; knocked 1 times."
    state = rt.replay_numbers(story, rt.start(story), [1, 1, 1])[-1]
    assert [c.text for c in rt.available(story, state)] == ["Wait.", "Go."]
    state = rt.replay_numbers(story, state, [1])[-1]  # the fifth visit: no more waiting
    assert [c.text for c in rt.available(story, state)] == ["Go."]
    report = check_story(story)
    assert report.complete and report.diagnostics == []
    # counts saturate at one more than the largest number they are compared with: hall at 6, the knock at 4
    assert report.states <= 1 + 6 * 4


def test_visits_used_other_than_compared_is_refused(tmp_path):
    _story, diags = build(
        tmp_path,
        {
            "hall": {
                "text": "Hall.",
                "choices": [{"text": "Go.", "do": ['tea = visits("hall") * 2'], "goto": "end", "canon": True}],
            },
            "end": CANON_END,
        },
        FLAGS,
    )
    assert [d.code for d in diags if d.is_error] == ["visits-use"]


def test_choice_ids_are_unique_in_their_node(tmp_path):
    _story, diags = build(
        tmp_path,
        {
            "hall": {
                "text": "Hall.",
                "choices": [
                    {"text": "A.", "id": "go", "goto": "end", "canon": True},
                    {"text": "B.", "id": "go", "goto": "end"},
                ],
            },
            "end": CANON_END,
        },
    )
    assert [d.code for d in diags if d.is_error] == ["duplicate-id"]


def test_integer_division_and_remainder(tmp_path):
    story = story_of(
        tmp_path,
        {
            "hall": {
                "text": "{tea // 2} {tea % 2} {-7 // 2} {-7 % 2}",
                "choices": [
                    {"text": "Fairmath.", "do": ["tea += (9 - tea) * 50 // 100"], "goto": "hall"},
                    {"text": "Go.", "goto": "end", "canon": True},
                ],
            },
            "end": CANON_END,
        },
        {"tea": FLAGS["tea"]},
    )
    assert play(story, [1, 1]) == ["0 0 -4 1", "2 0 -4 1", "3 0 -4 1"]  # 0 -> 4 -> 6


def test_a_divisor_that_can_be_zero_is_a_finding_with_a_replay(tmp_path):
    story = story_of(
        tmp_path,
        {
            "hall": {
                "text": "Hall.",
                "choices": [
                    {"text": "Pour.", "if": "tea < 3", "do": ["tea += 1"], "goto": "hall"},
                    {
                        "text": "Share.",
                        "if": "tea != 1",
                        "do": ["tea = 6 // (tea - 2) + 3"],
                        "goto": "end",
                        "canon": True,
                    },
                ],
            },
            "end": CANON_END,
        },
        {"tea": FLAGS["tea"]},
    )
    [d] = check_story(story).diagnostics
    assert d.code == "divide-by-zero" and "choice 2 of node 'hall'" in d.message
    assert d.replay.endswith("--replay 1,1,2")  # two cups poured, then shared among none
    guarded = story_of(
        tmp_path / "g",
        {
            "hall": {
                "text": "Hall.",
                "choices": [
                    {"text": "Pour.", "if": "tea < 3", "do": ["tea += 1"], "goto": "hall"},
                    {"text": "Share.", "if": "tea != 2 and 6 // (tea - 2) != 0", "goto": "end", "canon": True},
                ],
            },
            "end": CANON_END,
        },
        {"tea": FLAGS["tea"]},
    )
    assert check_story(guarded).diagnostics == []


def test_allow_silences_warnings_there_never_errors(tmp_path):
    nodes = {
        "hall": {
            "text": "Hall.",
            "choices": [
                {"text": "Lie.", "goto": "end", "canon": True},
                {"text": "Fib.", "goto": "end", "allow": ["choice-indistinct"]},
            ],
        },
        "end": CANON_END,
    }
    assert check_story(story_of(tmp_path, nodes)).diagnostics == []
    nodes["hall"]["choices"][1]["allow"] = []
    assert [d.code for d in check_story(story_of(tmp_path / "b", nodes)).diagnostics] == ["choice-indistinct"]
    nodes["hall"]["allow"] = ["choice-indistinct", "soft-lock"]  # the node's allow covers its choices
    [d] = check_story(story_of(tmp_path / "c", nodes)).diagnostics
    assert d.code == "allow-unused" and "'soft-lock', but that is an error" in d.message
    nodes["hall"]["allow"] = ["soft-lock"]
    nodes["hall"]["choices"][1]["if"] = "false"
    codes = sorted(d.code for d in check_story(story_of(tmp_path / "d", nodes)).diagnostics)
    assert codes == ["allow-unused", "choice-never-available"]  # errors stay


def test_a_story_without_new_constructs_has_no_hidden_counts(tmp_path):
    story = story_of(
        tmp_path,
        {"hall": {"text": "Hall.", "choices": [{"text": "Go.", "goto": "end", "canon": True}]}, "end": CANON_END},
        FLAGS,
    )
    ch = story.chapter("one")
    assert ch.counters == {} and ch.layout == ch.declared


# ---- history and canon are optional -------------------------------------------------------------


def plain_story(tmp_path, history=None):
    """A story with no documented past: no period, no covers, no canon marks, endings of its own kinds."""
    doc = {
        "id": "one",
        "title": "One",
        "start": "hall",
        "nodes": {
            "hall": {
                "text": "The hall.",
                "choices": [
                    {"text": "Stay.", "goto": "stay"},
                    {"text": "Go.", "goto": "go"},
                    {"text": "Wait.", "goto": "wait"},
                ],
            },
            "stay": {"text": "You stay.", "ending": {"title": "Stayed"}},
            "go": {"text": "You go.", "ending": {"kind": "good", "title": "Gone"}},
            "wait": {"text": "You wait.", "ending": {"kind": "bad", "title": "Waited"}},
        },
    }
    root = write_story(tmp_path / "p", {"one": doc})
    if history is None:
        (root / "story" / "history.yaml").unlink()
    else:
        (root / "story" / "history.yaml").write_text(history)
    return root


@pytest.mark.slow  # the real command three or more times, each a process of its own
@pytest.mark.parametrize("history", [None, "facts: []\n"])
def test_a_story_without_history_checks_clean_and_never_speaks_of_it(tmp_path, history):
    from conftest import run_cli

    root = plain_story(tmp_path, history)
    with no_cache():
        story = load_story(root)
    assert check_story(story).diagnostics == []
    for n in ("1", "2", "3"):
        out = run_cli("play", "--story", root, "--script", "-", input=n + "\n")
        assert out.returncode == 0, out.stderr
        assert "history" not in out.stdout.lower() and "canon" not in out.stdout.lower(), out.stdout
    assert "*** Gone (a good ending) ***" in run_cli("play", "--story", root, "--script", "-", input="2\n").stdout


def test_history_kinds_are_refused_without_history_and_required_with_it(tmp_path):
    root = plain_story(tmp_path)
    text = (root / "chapters" / "one.yaml").read_text().replace("kind: good", "kind: canon")
    (root / "chapters" / "one.yaml").write_text(text)
    with no_cache():
        _s, diags = compile_story(root)
    assert [d.code for d in diags if d.is_error] == ["ending-kind"]
    root = write_story(
        tmp_path / "h",
        {
            "one": chapter(
                "one",
                {
                    "hall": {"text": "Hall.", "choices": [{"text": "Go.", "goto": "end", "canon": True}]},
                    "end": {"text": "End.", "ending": {"title": "End"}},
                },
            )
        },
    )
    with no_cache():
        _s, diags = compile_story(root)
    assert [d.code for d in diags if d.is_error] == ["ending-kind"]


# ---- the tour story uses every construct once ----------------------------------------------


def _walk(x):
    """Every object inside `x`: a segment tuple, an inline part, an expression tree."""
    yield x
    if isinstance(x, tuple):
        for y in x:
            yield from _walk(y)
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        for f in dataclasses.fields(x):
            yield from _walk(getattr(x, f.name))


def test_the_tour_story_uses_every_construct():
    # The tour doubles as the example of every construct (AUTHORING.md says so) and the
    # tests play it: an edit that drops one should fail here, not leave it silently untested.
    from conftest import TOUR

    with no_cache():
        story = load_story(TOUR)
    nodes = [n for ch in story.chapters for n in ch.nodes.values()]
    choices = [c for n in nodes for c in n.choices]
    texts = [p for n in nodes for p in n.text] + [c.say for c in choices if c.say is not None]
    inline = [obj for p in texts for obj in _walk(p.inline or ())]
    exprs = [obj for p in texts for obj in _walk((p.inline or (), p.condition))]
    exprs += [obj for c in choices for obj in _walk(c.condition)]
    exprs += [obj for c in choices for e in c.effects for obj in _walk(e.expr)]

    assert {s.kind for s in inline if isinstance(s, Seq)} == {"&", "!", "~"}  # a cycle, a once-only, a shuffle
    assert any(isinstance(s, Branch) for s in inline)  # {cond: text}
    assert any(isinstance(s, Value) for s in inline)  # {expr}
    assert any("{{" in p.text and any(isinstance(s, str) and "{" in s for s in p.inline or ()) for p in texts)
    assert {e.op for e in exprs if isinstance(e, Arith)} >= {"//", "%"}
    assert any(c.say is not None for c in choices)
    assert any(n.next is not None and not n.choices for n in nodes)
    assert any(e.src == "logged = true" for n in nodes for e in n.enter)  # a node's own do:, not a count
    # a choice id, and its count read back in a condition
    ids = {f"{n.id}.{c.id}" for n in nodes for c in n.choices if c.id}
    assert ids and any(e.name == f'visits("{i}")' for e in exprs if isinstance(e, Visits) for i in ids)
    assert any(c.returns_to is not None for c in choices) and any(n.returns for n in nodes)
    assert "choice-indistinct" in {a for n in nodes for a in n.allow} | {a for c in choices for a in c.allow}
    # and none of it leaves a finding: the tour checks clean
    report = check_story(story)
    assert not report.diagnostics, [d.render() for d in report.diagnostics]


def test_the_tours_log_book_is_a_subroutine_that_returns_where_it_was_called(tmp_path):
    """The tour says `calls: resume`: back from the log, the tower's choices are offered again
    without its text (as ink's tunnels); from the lamp the call says `goto: lamp`, so play comes
    back into the lamp, whose text now says the log is written."""
    from conftest import TOUR

    with no_cache():
        tour = load_story(TOUR)
    at_tower = rt.replay_numbers(tour, rt.start(tour), [3])[-1]  # write up the log, from the tower
    assert at_tower.at() == ("storm", "tower") and at_tower.stack == ()
    assert rt.node_text(tour, at_tower) == [
        "You open the log at a clean page. Cans of oil: 2, enough for 9 hours.",
        "You sign under {Remarks}, as the Board requires, and blot the ink.",
    ]  # and not the tower's text again: play resumes at its choices
    again = rt.replay_numbers(tour, at_tower, [3])[-1]  # twice at most: visits("tower.log") < 2
    assert rt.node_text(tour, again)[0].startswith("You find your place in the log.")
    assert len(rt.node_text(tour, again)) == 2
    assert [c.text for c in rt.available(tour, again)] == ["Trim the wick.", "Ring the village for help."]
    on = rt.choose(tour, again, rt.available(tour, again)[0])  # the tower was entered once: the cycle has not moved
    assert rt.node_text(tour, rt.replay_numbers(tour, rt.start(tour), [1])[-1]) == rt.node_text(tour, on)
    # from the lamp, with one can poured (an odd number left): the log returns to the lamp
    at_lamp = rt.replay_numbers(tour, rt.start(tour), [1, 1, 3])[-1]
    assert at_lamp.at() == ("storm", "lamp") and rt.flag_values(tour, at_lamp)["logged"] is True
    assert rt.node_text(tour, at_lamp)[0].endswith("Cans of oil: 1, enough for 4 hours. One can is already open.")
    assert "The log is written up" in rt.node_text(tour, at_lamp)[-1]
    assert [c.text for c in rt.available(tour, at_lamp)] == ["Keep watch till dawn.", "Sleep at your post."]


def test_a_choices_own_text_may_hold_inline_parts(tmp_path):
    story = story_of(
        tmp_path,
        {
            "hall": {
                "text": "The hall.",
                "choices": [
                    {"text": 'Knock{visits("hall") > 1: again}{lit: at the lit door}.', "goto": "hall"},
                    {"text": "Light the lamp ({tea} cups in).", "do": ["lit = true"], "goto": "hall"},
                    {"text": "Go.", "goto": "end", "canon": True},
                ],
            },
            "end": CANON_END,
        },
        FLAGS,
    )
    state = rt.start(story)
    assert [c.text for c in rt.available(story, state)] == ["Knock.", "Light the lamp (0 cups in).", "Go."]
    state = rt.choose(story, state, rt.available(story, state)[1])
    offered = rt.available(story, state)
    assert offered[0].text == "Knock again at the lit door."
    # the resolved choice is still the choice: taking it plays on as the written one does
    after = rt.choose(story, state, offered[0])
    assert after.node == "hall" and after.path == (1, 0)
    # the text the reader picked is what the journal says they picked
    assert rt.choice_text(story, state, story.chapter("one").nodes["hall"].choices[0]) == "Knock again at the lit door."


def test_inline_mistakes_in_a_choices_text_name_their_brace(tmp_path):
    raw = (
        "id: one\ntitle: One\nperiod: {from: 1900, to: 1900}\nstart: hall\nnodes:\n  hall:\n    text: The hall.\n"
        '    choices:\n      - text: "Knock {nerve: hard}."\n        goto: end\n        canon: true\n'
        "  end: {text: Done., ending: {kind: canon, title: Done}}\n"
    )
    story, diags = build(tmp_path, {}, raw=raw)
    assert story is None
    (d,) = [d for d in diags if d.is_error]
    assert d.code == "unknown-flag" and "choice 1 of node 'hall'" in d.message
    assert (d.pos.line, d.pos.col) == (9, 22)  # the `{` of "      - text: Knock {nerve: hard}."


@pytest.mark.parametrize("history", [None, "facts: []\n"])
def test_the_journal_of_a_story_without_history_never_speaks_of_it(tmp_path, history):
    from engine.player.render import journal
    from engine.player.session import Session

    root = plain_story(tmp_path, history)
    with no_cache():
        story = load_story(root)
    session = Session(story, None)
    session.new_game(rt.start(story))
    session.choose(session.offered()[1])
    shown = " ".join(text for line in journal(session.journal(), 80) for _style, text in line)
    assert "You go." not in shown and "Go." in shown and "Gone" in shown
    assert "history" not in shown.lower() and "documented" not in shown.lower(), shown


def test_a_choice_texts_inline_part_that_never_varies_is_reported_where_it_is_written(tmp_path):
    nodes = {
        "hall": {
            "text": "The hall.",
            "choices": [
                {"text": "Light the lamp.", "if": "not lit", "do": ["lit = true"], "goto": "hall"},
                {"text": "Read{lit: by lamplight| in the dark}.", "if": "lit", "goto": "end", "canon": True},
            ],
        },
        "end": CANON_END,
    }
    story = story_of(tmp_path, nodes, FLAGS)
    [d] = [d for d in check_story(story).diagnostics if d.code == "text-never-shown"]
    assert "the text of choice 2 of node 'hall'" in d.message and "always shows its first text" in d.message
    assert d.pos == story.chapter("one").nodes["hall"].choices[1].label.pos
    # where the condition does vary, nothing is said
    nodes["hall"]["choices"][1]["if"] = "true"
    assert not [
        d for d in check_story(story_of(tmp_path / "b", nodes, FLAGS)).diagnostics if d.code == "text-never-shown"
    ]

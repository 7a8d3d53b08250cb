"""Branch continuity: words that assert or deny a fact are shown only where the path's
history agrees (issue 9). The check runs over every explored state, across chapters
with the carried flags, and in the dataflow fallback when exploration stops early."""

from __future__ import annotations

import copy
import json

from conftest import chapter, no_cache, no_traceback, run_cli, write_story

from engine import runtime as rt
from engine.check import check_story
from engine.compile import compile_story, load_story

FLAGS = {"pact_torn": {"type": "bool", "default": False, "doc": "The pact was torn up (history says it held)"}}
FACTS = [
    {
        "id": "pact-signed",
        "date": "1900-06",
        "statement": "The pact is signed in June 1900.",
        "source": {"paragraph": 1, "quote": "a thing"},
        "holds": "not pact_torn",
    }
]
STORY_FACTS = [
    {
        "id": "envoy-stays",
        "date": "1900-07",
        "statement": "The envoy Marek stays on in the capital.",
        "holds": "not pact_torn",
        "instead": "Marek is sent home in disgrace.",
    }
]

ONE = chapter(
    "one",
    {
        "hall": {
            "text": "The delegates wait.",
            "choices": [
                {"text": "Sign.", "goto": "signed", "canon": True},
                {"text": "Tear the pact up.", "do": "pact_torn = true", "goto": "torn"},
            ],
        },
        "signed": {
            "records": ["pact-signed"],
            "text": "The ink dries.",
            "ending": {"kind": "canon", "title": "Signed"},
        },
        "torn": {
            "text": "Paper on the floor.",
            "ending": {"kind": "divergent", "title": "Torn", "diverges": ["pact-signed"]},
        },
    },
    covers=["pact-signed"],
    period=("1900", "1900"),
)

# Chapter 2 speaks of the pact in an unconditional part: wrong on the branch that tore it up.
TWO = chapter(
    "two",
    {
        "square": {
            "text": [
                "A year later, in the square.",
                {
                    "text": "Under the pact the harbour is open, and Marek still dines with the governor.",
                    "asserts": ["pact-signed", "envoy-stays"],
                },
            ],
            "choices": [{"text": "Walk on.", "goto": "home", "canon": True}],
        },
        "home": {"text": "Home.", "ending": {"kind": "canon", "title": "Home"}},
    },
    period=("1901", "1901"),
)


def story(tmp_path, two=TWO, one=ONE, name="s"):
    return write_story(
        tmp_path / name, {"one": one, "two": two}, flags=FLAGS, history={"facts": FACTS, "story_facts": STORY_FACTS}
    )


def check(root):
    with no_cache():
        s = load_story(root)
    return s, check_story(s, story_arg=str(root))


def codes(report):
    return [d.code for d in report.diagnostics]


def test_an_unconditional_part_asserting_a_fact_an_earlier_ending_broke_fails(tmp_path):
    root = story(tmp_path)
    s, report = check(root)
    found = [d for d in report.diagnostics if d.code == "continuity"]
    assert len(found) == 2 and report.errors == 2, [d.render() for d in report.diagnostics]
    by_fact = {("story fact" in d.message, d.message.split("'")[3]): d for d in found}
    pact = by_fact[(False, "pact-signed")]
    # the part's own position: file, line and column of `- text: Under the pact ...`
    assert pact.pos.file.endswith("chapters/two.yaml")
    lines = (root / "chapters" / "two.yaml").read_text().splitlines()
    assert "Under the pact" in lines[pact.pos.line - 1] and pact.pos.col == lines[pact.pos.line - 1].index("text") + 1
    assert "text part 2 of node 'square'" in pact.message and "pact_torn=true" in pact.message
    assert by_fact[(True, "envoy-stays")]
    # the replay really reaches the part, with the breaking flag carried in
    assert "--chapter two" in pact.replay and "--set pact_torn=true" in pact.replay
    state = rt.start(s, "two", None, {"pact_torn": True})
    assert any("Under the pact" in p for p in rt.node_text(s, state))


# The same part made conditional on the breaking flag, with an `else` for the other branch.
TWO_OK = copy.deepcopy(TWO)
TWO_OK["nodes"]["square"]["text"][1] = {
    "if": "not pact_torn",
    "text": "Under the pact the harbour is open, and Marek still dines with the governor.",
    "asserts": ["pact-signed", "envoy-stays"],
    "else": {
        "text": "Since the pact was torn up the harbour is shut, and Marek has gone home.",
        "denies": ["pact-signed", "envoy-stays"],
    },
}


def test_the_same_part_made_conditional_on_the_breaking_flag_passes(tmp_path):
    _s, report = check(story(tmp_path, TWO_OK))
    assert report.diagnostics == [], [d.render() for d in report.diagnostics]


def test_a_part_that_denies_a_fact_where_it_holds_fails(tmp_path):
    two = copy.deepcopy(TWO)
    two["nodes"]["square"]["text"][1] = {"text": "Nobody remembers the pact now.", "denies": ["pact-signed"]}
    _s, report = check(story(tmp_path, two))
    [d] = report.diagnostics
    assert d.code == "continuity" and "denies fact 'pact-signed'" in d.message
    assert "pact_torn=false" in d.message and "--set" not in d.replay  # the canonical start breaks it


def test_an_else_is_checked_where_the_condition_is_false(tmp_path):
    two = copy.deepcopy(TWO)
    two["nodes"]["square"]["text"][1] = {
        "if": "pact_torn",
        "text": "The harbour is shut.",
        "denies": ["pact-signed"],
        "else": {"text": "Marek has gone home.", "denies": ["envoy-stays"]},
    }
    _s, report = check(story(tmp_path, two))
    [d] = report.diagnostics
    assert d.code == "continuity" and "the `else` of text part 2" in d.message and "'envoy-stays'" in d.message
    lines = (tmp_path / "s" / "chapters" / "two.yaml").read_text().splitlines()
    assert "Marek has gone home" in lines[d.pos.line - 1] or "else" in lines[d.pos.line - 1]


def test_a_choice_text_is_checked_where_it_is_offered(tmp_path):
    two = copy.deepcopy(TWO_OK)
    two["nodes"]["square"]["choices"].append(
        {"text": "Go and thank Marek for the pact.", "asserts": ["envoy-stays"], "goto": "thanks"}
    )
    two["nodes"]["thanks"] = {"text": "He is gracious.", "ending": {"kind": "personal", "title": "Thanks"}}
    _s, report = check(story(tmp_path, two))
    [d] = [d for d in report.diagnostics if d.code == "continuity"]
    assert "choice 2 of node 'square'" in d.message
    two["nodes"]["square"]["choices"][1]["if"] = "not pact_torn"
    _s, report = check(story(tmp_path, two, name="fixed"))
    assert report.diagnostics == []


def test_flags_a_later_effect_overwrites_are_still_seen_as_they_are(tmp_path):
    """Exploration resets flags nothing reads again; a flag a fact's `holds` reads at a node
    with assertions must keep its real value there, even if a choice then overwrites it."""
    two = copy.deepcopy(TWO)
    two["nodes"]["square"]["choices"][0]["do"] = "pact_torn = false"
    _s, report = check(story(tmp_path, two))
    assert "continuity" in codes(report)


def test_a_fact_with_no_holds_can_be_asserted_anywhere_but_never_denied(tmp_path):
    two = copy.deepcopy(TWO)
    two["nodes"]["square"]["text"][1] = {"text": "Spring again.", "asserts": ["quiet-year"]}
    facts = FACTS + [
        {
            "id": "quiet-year",
            "date": "1901",
            "statement": "1901 is a quiet year.",
            "source": {"paragraph": 1, "quote": "a thing"},
        }
    ]
    root = write_story(
        tmp_path / "a", {"one": ONE, "two": two}, flags=FLAGS, history={"facts": facts, "story_facts": STORY_FACTS}
    )
    assert check(root)[1].diagnostics == []
    two["nodes"]["square"]["text"][1] = {"text": "Not quiet at all.", "denies": ["quiet-year"]}
    root = write_story(
        tmp_path / "b", {"one": ONE, "two": two}, flags=FLAGS, history={"facts": facts, "story_facts": STORY_FACTS}
    )
    [d] = check(root)[1].diagnostics
    assert d.code == "continuity" and "no `holds`" in d.message


def test_the_dataflow_fallback_lists_what_it_cannot_prove(tmp_path):
    root = story(tmp_path)
    with no_cache():
        s = load_story(root)
    report = check_story(s, max_states=2)
    unproven = [d for d in report.diagnostics if d.code == "unproven"]
    listed = [x for d in unproven for x in d.extra["unproven"]]
    assert "text part 2 of node 'square' asserts 'pact-signed' only where history agrees" in listed
    # and proves the parts that cannot disagree
    two = copy.deepcopy(TWO)
    two["nodes"]["square"]["text"][1].update({"if": "not pact_torn"})
    with no_cache():
        s = load_story(story(tmp_path, two, name="cond"))
    report = check_story(s, max_states=2)
    listed = [x for d in report.diagnostics if d.code == "unproven" for x in d.extra["unproven"]]
    assert not [x for x in listed if "asserts" in x]


def test_bad_input_is_positioned_with_a_hint_and_exits_1(tmp_path):
    two = copy.deepcopy(TWO)
    two["nodes"]["square"]["text"][1] = {"text": "x", "asserts": ["pact-signd"], "denies": ["envoy-stays"]}
    two["nodes"]["square"]["choices"][0].update({"asserts": ["envoy-stays"], "denies": ["envoy-stays"]})
    root = write_story(
        tmp_path / "s",
        {"one": ONE, "two": two},
        flags=FLAGS,
        history={
            "facts": FACTS + [{"id": "no-quote", "date": "1900", "statement": "Unsourced."}],
            "story_facts": STORY_FACTS
            + [
                {"id": "pact-signed", "date": "1900", "statement": "Clash."},
                {
                    "id": "quoted",
                    "date": "1900",
                    "statement": "Quoted.",
                    "source": {"paragraph": 1, "quote": "a thing"},
                },
            ],
        },
    )
    proc = run_cli("check", "--story", root, "--format", "json")
    no_traceback(proc)
    assert proc.returncode == 1
    found = {d["code"]: d for d in json.loads(proc.stdout)["diagnostics"]}
    assert set(found) == {
        "unknown-fact",
        "asserts-conflict",
        "fact-source-missing",
        "story-fact-id",
        "story-fact-source",
    }
    assert found["unknown-fact"]["hint"] == "did you mean 'pact-signed'?"
    for d in found.values():
        assert d["file"] and d["line"] and d["col"] and d["hint"], d


def test_else_needs_an_if(tmp_path):
    two = copy.deepcopy(TWO)
    two["nodes"]["square"]["text"][1] = {"text": "x", "else": "y"}
    with no_cache():
        _s, diags = compile_story(story(tmp_path, two))
    assert [d.code for d in diags] == ["schema"] and "'if'" in diags[0].message


# ---- the epilogue as text parts ---------------------------------------------------------------

EPILOGUE = [
    "Years pass.",
    {
        "if": "not pact_torn",
        "text": "The pact still holds, and Marek grows old in the capital.",
        "asserts": ["pact-signed", "envoy-stays"],
        "else": {"text": "Nobody speaks of the pact any more.", "denies": ["pact-signed"]},
    },
]


def epilogue_story(tmp_path, epilogue, name="e"):
    manifest = {"title": "T", "chapters": ["one", "two"], "flags": FLAGS, "epilogue": epilogue}
    return write_story(
        tmp_path / name,
        {"one": ONE, "two": TWO_OK},
        manifest=manifest,
        history={"facts": FACTS, "story_facts": STORY_FACTS},
    )


def test_an_epilogue_of_conditional_parts_is_played_and_checked(tmp_path):
    root = epilogue_story(tmp_path, EPILOGUE)
    s, report = check(root)
    assert report.diagnostics == [], [d.render() for d in report.diagnostics]
    canon = run_cli("play", "--story", root, "--script", "-", input="1\n1\n")
    no_traceback(canon)
    assert "Marek grows old" in canon.stdout and "Nobody speaks" not in canon.stdout
    torn = run_cli("play", "--story", root, "--script", "-", input="2\n1\n")
    assert "Nobody speaks of the pact" in torn.stdout and "Marek grows old" not in torn.stdout
    assert torn.stdout.index("Years pass.") < torn.stdout.index("Nobody speaks")
    end = rt.replay_numbers(s, rt.start(s), [2, 1])[-1]
    assert rt.epilogue_text(s, end) == ["Years pass.", "Nobody speaks of the pact any more."]


def test_an_epilogue_part_that_disagrees_with_an_ending_is_a_continuity_error(tmp_path):
    bad = ["Years pass.", {"text": "Marek grows old in the capital.", "asserts": ["envoy-stays"]}]
    root = epilogue_story(tmp_path, bad)
    _s, report = check(root)
    [d] = report.diagnostics
    assert d.code == "continuity" and d.message.startswith("epilogue part 2 asserts story fact 'envoy-stays'")
    assert d.pos.file.endswith("story/story.yaml") and d.pos.line > 1
    assert "--chapter two --set pact_torn=true" in d.replay


def test_a_plain_string_epilogue_still_works(tmp_path):
    root = epilogue_story(tmp_path, "And so it ended.")
    s, report = check(root)
    assert report.diagnostics == [] and s.epilogue == "And so it ended."
    out = run_cli("play", "--story", root, "--script", "-", input="1\n1\n").stdout
    assert "== Epilogue ==" in out and "And so it ended." in out


def test_epilogue_conditions_read_only_story_wide_flags(tmp_path):
    bad = [{"if": "nerve > 1", "text": "x"}, {"if": 'seen("hall")', "text": "y"}]
    with no_cache():
        _s, diags = compile_story(epilogue_story(tmp_path, bad))
    assert [d.code for d in diags] == ["unknown-flag", "unknown-node"], [d.render() for d in diags]
    assert "story-wide" in diags[0].hint and "seen()" in diags[1].hint


def test_stats_lists_the_covered_history_no_ending_can_break(tmp_path):
    from engine.authoring.stats import render_text, story_stats

    one = copy.deepcopy(ONE)
    one["covers"] = ["pact-signed", "harbour-built"]
    one["nodes"]["signed"]["records"] = ["pact-signed", "harbour-built"]
    facts = FACTS + [
        {
            "id": "harbour-built",
            "date": "1900",
            "statement": "The harbour is built.",
            "source": {"paragraph": 1, "quote": "a thing"},
        }
    ]
    root = write_story(
        tmp_path / "s", {"one": one, "two": TWO_OK}, flags=FLAGS, history={"facts": facts, "story_facts": STORY_FACTS}
    )
    s, report = check(root)
    assert report.diagnostics == []
    stats = story_stats(s)
    assert [st.fixed for st in stats] == [["harbour-built"], []]
    assert "  one: harbour-built\n" in render_text(s, stats)


# ---- telling broken history the right way round (banners, journal) ---------------------------


def test_the_ending_banner_and_journal_say_what_happened_instead(tmp_path):
    from engine.player import render as r
    from engine.player.session import Session

    one = copy.deepcopy(ONE)
    one["covers"] = ["pact-signed", "envoy-stays"]
    one["nodes"]["signed"]["records"] = ["pact-signed"]
    one["nodes"]["signed"]["text"] = "The ink dries."
    one["nodes"]["hall"]["choices"][0]["goto"] = "dinner"
    one["nodes"]["dinner"] = {
        "records": ["envoy-stays"],
        "text": "Marek stays for dinner.",
        "choices": [{"text": "Sleep.", "goto": "signed", "canon": True}],
    }
    one["nodes"]["torn"]["ending"]["diverges"] = ["pact-signed", "envoy-stays"]
    stories = {"one": one, "two": TWO_OK}
    history = {"facts": FACTS, "story_facts": [dict(STORY_FACTS[0], date="1900-06")]}
    with no_cache():
        s = load_story(write_story(tmp_path / "s", stories, flags=FLAGS, history=history))
    torn = rt.replay_numbers(s, rt.start(s), [2])[-1]
    banner = r.plain(r.ending(s, rt.node_of(s, torn), 200))
    # no `instead`: said plainly to have not happened; with one: the `instead` line, not the statement
    assert (
        "History you changed:\n  \u2022 In your history, this did not happen: The pact is signed in June 1900."
        in banner
    )
    assert "Events of this story you changed:\n  \u2022 Marek is sent home in disgrace." in banner
    assert "stays on in the capital" not in banner
    assert banner.index("History you changed") < banner.index("Events of this story you changed")

    session = Session(s, None)
    session.new_game(rt.start(s))
    session.choose(session.offered()[1])
    j = session.journal()
    assert j.events == [] and j.story_events == []
    assert [(told, own) for _d, told, _l, own in j.changed] == [
        ("In your history, this did not happen: The pact is signed in June 1900.", False),
        ("Marek is sent home in disgrace.", True),
    ]
    text = r.plain(r.journal(j, 200))
    assert "History you changed" in text and "Marek is sent home in disgrace. (an event of this story" in text

    canon = Session(s, None)
    canon.new_game(rt.start(s))
    canon.choose(canon.offered()[0])
    canon.choose(canon.offered()[0])
    j = canon.journal()
    assert [t for _d, t, _l in j.events] == ["The pact is signed in June 1900."]
    assert [t for _d, t, _l in j.story_events] == ["The envoy Marek stays on in the capital."]
    assert j.changed == []
    text = r.plain(r.journal(j, 200))
    assert text.index("Documented events") < text.index("The pact is signed") < text.index("Events of this story")
    assert "History you changed" not in text

    played = run_cli("play", "--story", tmp_path / "s", "--script", "-", input="2\n")
    assert (
        "History you changed:\n  - In your history, this did not happen: The pact is signed in June 1900.\n"
        "    (June 1900)" in played.stdout
    )
    assert "Events of this story you changed:\n  - Marek is sent home in disgrace. (June 1900)" in played.stdout


def test_why_and_graph_know_what_the_words_say(tmp_path):
    from engine.authoring.graph import build_maps, render_mermaid
    from engine.authoring.why import render_text, why

    root = story(tmp_path, TWO_OK)
    with no_cache():
        s = load_story(root)
    answer = why(s, "two:square")
    text = render_text(answer)
    assert "text part 2 of node 'square' asserts 'pact-signed', which holds on this path" in text
    assert answer.to_json()["history"][0] == {
        "fact": "pact-signed",
        "holds": True,
        "said": "asserts",
        "by": "text part 2 of node 'square'",
    }
    mermaid = render_mermaid(build_maps(s))
    # each branch with what it says under its own condition (issue 26.6), never merged
    assert (
        "if not pact_torn: asserts pact-signed, envoy-stays<br/>unless not pact_torn: denies pact-signed, envoy-stays"
        in mermaid
    )
    assert "diverges pact-signed" in mermaid


def test_transcripts_tell_story_facts_apart_from_documented_history(tmp_path):
    one = copy.deepcopy(ONE)
    one["nodes"]["hall"]["choices"][0]["goto"] = "dinner"
    one["nodes"]["dinner"] = {
        "records": ["envoy-stays"],
        "text": "Marek stays for dinner.",
        "choices": [{"text": "Sleep.", "goto": "signed", "canon": True}],
    }
    history = {"facts": FACTS, "story_facts": [dict(STORY_FACTS[0], date="1900-06")]}
    root = write_story(tmp_path / "s", {"one": one, "two": TWO_OK}, flags=FLAGS, history=history)
    out = run_cli("play", "--story", root, "--script", "-", input="1\n1\n").stdout
    assert "[In this story: The envoy Marek stays on in the capital. (June 1900)]" in out
    assert "[History: The pact is signed in June 1900. (June 1900)]" in out


def test_divergence_unused_is_claimed_only_when_proved(tmp_path):
    """With chapter one cut short (only its canonical ending explored), an ending that lists a
    fact broken only on the other branch looks unbroken in every state explored; that is no
    proof, so no warning - unless the dataflow fallback proves it."""
    two = copy.deepcopy(TWO_OK)
    two["covers"] = ["envoy-stays"]
    two["nodes"]["square"]["records"] = ["envoy-stays"]
    two["nodes"]["square"]["choices"][0]["if"] = "not pact_torn"
    two["nodes"]["square"]["choices"].append({"text": "Leave.", "goto": "gone"})
    two["nodes"]["gone"] = {
        "text": "Gone.",
        "ending": {"kind": "divergent", "title": "Gone", "diverges": ["envoy-stays"]},
    }
    history = {"facts": FACTS, "story_facts": [dict(STORY_FACTS[0], date="1901")]}
    root = write_story(tmp_path / "s", {"one": ONE, "two": two}, flags=FLAGS, history=history)
    with no_cache():
        s = load_story(root)
    assert check_story(s).diagnostics == []
    # chapter two explored whole, but only from the start the canonical branch hands on (as after
    # an earlier chapter stopped at its bound): 'gone' looks as if it never breaks the fact
    from engine.check import Replayer
    from engine.check.canon import _divergence
    from engine.check.explore import explore

    ex = explore(s, s.chapter("two"), [s.story_defaults])
    assert ex.complete
    ex.exact = False
    assert _divergence(s, ex, Replayer(s, None)) == []
    ex.exact = True  # (were these every start, the claim would be proved)
    assert [d.code for d in _divergence(s, ex, Replayer(s, None))] == ["divergence-unused"]
    # an ending only reached where the fact holds: proved by dataflow even when cut short
    two["nodes"]["square"]["choices"].append({"text": "Stay.", "if": "not pact_torn", "goto": "stay"})
    two["nodes"]["stay"] = {
        "text": "Stay.",
        "ending": {"kind": "divergent", "title": "Stay", "diverges": ["envoy-stays"]},
    }
    root = write_story(tmp_path / "t", {"one": ONE, "two": two}, flags=FLAGS, history=history)
    with no_cache():
        s = load_story(root)
    found = [d for d in check_story(s, max_states=2).diagnostics if d.code == "divergence-unused"]
    assert [("'stay'" in d.message, d.message.endswith("(proved by dataflow)")) for d in found] == [(True, True)]

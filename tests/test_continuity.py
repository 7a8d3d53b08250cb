"""Branch continuity: words that assert or deny a fact are shown only where the path's
history agrees (issue 9). The check runs over every explored state, across chapters
with the carried flags, and in the dataflow fallback when exploration stops early."""
from __future__ import annotations

import copy
import json

from conftest import chapter, no_cache, no_traceback, run_cli, write_story
from engine import runtime as rt
from engine.check import check_story
from engine.compiler import compile_story, load_story

FLAGS = {"pact_torn": {"type": "bool", "default": False, "doc": "The pact was torn up (history says it held)"}}
FACTS = [{"id": "pact-signed", "date": "1900-06", "statement": "The pact is signed in June 1900.",
          "source": {"paragraph": 1, "quote": "a thing"}, "holds": "not pact_torn"}]
STORY_FACTS = [{"id": "envoy-stays", "date": "1900-07", "statement": "The envoy Marek stays on in the capital.",
                "holds": "not pact_torn", "instead": "Marek is sent home in disgrace."}]

ONE = chapter("one", {
    "hall": {"text": "The delegates wait.", "choices": [
        {"text": "Sign.", "goto": "signed", "canon": True},
        {"text": "Tear the pact up.", "do": "pact_torn = true", "goto": "torn"}]},
    "signed": {"records": ["pact-signed"], "text": "The ink dries.", "ending": {"kind": "canon", "title": "Signed"}},
    "torn": {"text": "Paper on the floor.",
             "ending": {"kind": "divergent", "title": "Torn", "diverges": ["pact-signed"]}},
}, covers=["pact-signed"], period=("1900", "1900"))

# Chapter 2 speaks of the pact in an unconditional part: wrong on the branch that tore it up.
TWO = chapter("two", {
    "square": {"text": [
        "A year later, in the square.",
        {"text": "Under the pact the harbour is open, and Marek still dines with the governor.",
         "asserts": ["pact-signed", "envoy-stays"]},
    ], "choices": [{"text": "Walk on.", "goto": "home", "canon": True}]},
    "home": {"text": "Home.", "ending": {"kind": "canon", "title": "Home"}},
}, period=("1901", "1901"))


def story(tmp_path, two=TWO, one=ONE, name="s"):
    return write_story(tmp_path / name, {"one": one, "two": two}, flags=FLAGS,
                       history={"facts": FACTS, "story_facts": STORY_FACTS})


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
    "else": {"text": "Since the pact was torn up the harbour is shut, and Marek has gone home.",
             "denies": ["pact-signed", "envoy-stays"]}}


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
        "if": "pact_torn", "text": "The harbour is shut.", "denies": ["pact-signed"],
        "else": {"text": "Marek has gone home.", "denies": ["envoy-stays"]}}
    _s, report = check(story(tmp_path, two))
    [d] = report.diagnostics
    assert d.code == "continuity" and "the `else` of text part 2" in d.message and "'envoy-stays'" in d.message
    lines = (tmp_path / "s" / "chapters" / "two.yaml").read_text().splitlines()
    assert "Marek has gone home" in lines[d.pos.line - 1] or "else" in lines[d.pos.line - 1]


def test_a_choice_text_is_checked_where_it_is_offered(tmp_path):
    two = copy.deepcopy(TWO_OK)
    two["nodes"]["square"]["choices"].append(
        {"text": "Go and thank Marek for the pact.", "asserts": ["envoy-stays"], "goto": "thanks"})
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
    facts = FACTS + [{"id": "quiet-year", "date": "1901", "statement": "1901 is a quiet year.",
                      "source": {"paragraph": 1, "quote": "a thing"}}]
    root = write_story(tmp_path / "a", {"one": ONE, "two": two}, flags=FLAGS,
                       history={"facts": facts, "story_facts": STORY_FACTS})
    assert check(root)[1].diagnostics == []
    two["nodes"]["square"]["text"][1] = {"text": "Not quiet at all.", "denies": ["quiet-year"]}
    root = write_story(tmp_path / "b", {"one": ONE, "two": two}, flags=FLAGS,
                       history={"facts": facts, "story_facts": STORY_FACTS})
    [d] = check(root)[1].diagnostics
    assert d.code == "continuity" and "no `holds`" in d.message


def test_the_dataflow_fallback_lists_what_it_cannot_prove(tmp_path):
    root = story(tmp_path)
    with no_cache():
        s = load_story(root)
    report = check_story(s, max_states=2)
    unproven = [d for d in report.diagnostics if d.code == "unproven"]
    listed = [x for d in unproven for x in d.extra["unproven"]]
    assert "text part 2 of 'square' asserts 'pact-signed' only where history agrees" in listed
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
    root = write_story(tmp_path / "s", {"one": ONE, "two": two}, flags=FLAGS,
                       history={"facts": FACTS + [{"id": "no-quote", "date": "1900", "statement": "Unsourced."}],
                                "story_facts": STORY_FACTS + [
                                    {"id": "pact-signed", "date": "1900", "statement": "Clash."},
                                    {"id": "quoted", "date": "1900", "statement": "Quoted.",
                                     "source": {"paragraph": 1, "quote": "a thing"}}]})
    proc = run_cli("check", "--story", root, "--format", "json")
    no_traceback(proc)
    assert proc.returncode == 1
    found = {d["code"]: d for d in json.loads(proc.stdout)["diagnostics"]}
    assert set(found) == {"unknown-fact", "asserts-conflict", "fact-source-missing", "story-fact-id",
                          "story-fact-source"}
    assert found["unknown-fact"]["hint"] == "did you mean 'pact-signed'?"
    for d in found.values():
        assert d["file"] and d["line"] and d["col"] and d["hint"], d


def test_else_needs_an_if(tmp_path):
    two = copy.deepcopy(TWO)
    two["nodes"]["square"]["text"][1] = {"text": "x", "else": "y"}
    with no_cache():
        _s, diags = compile_story(story(tmp_path, two))
    assert [d.code for d in diags] == ["schema"] and "'if'" in diags[0].message

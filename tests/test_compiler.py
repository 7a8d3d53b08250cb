"""The compiler: names resolved, expressions compiled, every static problem a diagnostic with a place."""

from __future__ import annotations

import pytest
from conftest import DEFAULT_FACT, TOUR, chapter, no_cache, two_node_chapter, write_story

from engine.compile import compile_story, load_story
from engine.diagnostics import ChronicleError

STORY_FLAGS = {
    "alarm": {"type": "bool", "default": False, "doc": "The alarm was raised"},
    "nerve": {"type": "int", "default": 1, "min": 0, "max": 3, "doc": "Nerve"},
}


def compile_dir(root):
    with no_cache():
        return compile_story(root)


def diags_of(tmp_path, chapters, **kw):
    kw.setdefault("flags", STORY_FLAGS)
    story, diags = compile_dir(write_story(tmp_path / "s", chapters, **kw))
    return story, diags


def errors(diags):
    return [(d.code, d.message) for d in diags if d.is_error]


def one_error(diags, code, words):
    errs = [d for d in diags if d.is_error]
    assert [d.code for d in errs] == [code], [d.render() for d in diags]
    d = errs[0]
    assert words in d.message, d.render()
    assert d.pos is not None and d.pos.line > 0 and d.pos.col > 0, d.render()
    return d


# ---- the tour compiles to what it says -------------------------------------------------------


def test_tour_compiles_to_plain_data():
    with no_cache():
        story = load_story(TOUR)
    assert story.title == "The Lighthouse Keeper"
    assert [c.id for c in story.chapters] == ["storm", "morning"]
    assert [(f.name, f.slot, f.scope) for f in story.flags] == [
        ("lamp_lit", 0, "story"),
        ("courage", 1, "story"),
        ("weather", 2, "story"),
    ]
    storm = story.chapter("storm")
    assert [(f.name, f.slot) for f in storm.layout][3:] == [
        ("oil", 3),
        ("asked_for_help", 4),
        ("logged", 5),
        # the counters play keeps: the log's and the tower's visits for their sequences, the log choice's takes
        ('visits("log")', 6),
        ('visits("tower")', 7),
        ('visits("tower.log")', 8),
    ]
    assert set(storm.seen_bits) == {"door"}  # only nodes some seen() names get a bit
    stair = storm.nodes["stair"]
    assert [c.target for c in stair.choices] == ["lamp", "dark", "door"]
    assert stair.choices[0].condition_src == "oil > 0" and stair.choices[0].canon
    assert [e.src for e in stair.choices[0].effects] == ["oil -= 1", "courage += 1"]
    assert stair.choices[0].effects[0].min == 0 and stair.choices[0].effects[1].max == 3
    assert story.facts["mary-safe"].date.text == "1901-10/1901-11"


def test_a_node_without_date_or_place_shows_the_one_before_it():
    with no_cache():
        story = load_story(TOUR)
    storm = story.chapter("storm")
    assert storm.nodes["stair"].shown_place == "The lighthouse"
    assert storm.nodes["stair"].shown_date.human() == "12 October 1901"
    assert storm.nodes["dawn"].shown_date.human() == "13 October 1901"


def test_the_content_hash_changes_with_the_story(tmp_path):
    a, _ = diags_of(tmp_path / "a", {"one": two_node_chapter()})
    b, _ = diags_of(tmp_path / "b", {"one": two_node_chapter()})
    c, _ = diags_of(tmp_path / "c", {"one": two_node_chapter(title="Another title")})
    assert a.content_hash == b.content_hash != c.content_hash


def test_load_story_raises_with_every_error(tmp_path):
    bad = two_node_chapter()
    bad["nodes"]["start"]["choices"][0]["goto"] = "nowhere"
    bad["nodes"]["start"]["choices"][0]["if"] = "courage > 1"
    root = write_story(tmp_path / "s", {"one": bad}, flags=STORY_FLAGS)
    with no_cache(), pytest.raises(ChronicleError) as err:
        load_story(root)
    assert sorted(d.code for d in err.value.diagnostics) == ["unknown-flag", "unknown-node"]


# ---- static problems, one at a time ----------------------------------------------------------


def node(text="Scene.", **kw):
    return {"text": text, **kw}


def go(target, **kw):
    return {"text": f"To {target}.", "goto": target, **kw}


END = node(ending={"kind": "canon", "title": "End"})


@pytest.mark.parametrize(
    "nodes, code, words",
    [
        (
            {"a": node(choices=[go("z", canon=True)]), "z": END, "lost": node(choices=[go("z")])},
            "unreachable-node",
            "no choice leads to node 'lost'",
        ),
        (
            {"a": node(choices=[go("z", canon=True), go("b")]), "b": node(choices=[go("b")]), "z": END},
            "no-way-on",
            "from node 'b' no path leads to any ending",
        ),
        ({"a": node(choices=[go("b", canon=True)]), "b": node(choices=[go("a")])}, "no-ending", "has no ending"),
        (
            {"a": node(choices=[go("z", canon=True), go("b")]), "b": node(), "z": END},
            "no-choices",
            "node 'b' has no choices and is not an ending",
        ),
        (
            {
                "a": node(choices=[go("z", canon=True)]),
                "z": node(choices=[go("a")], ending={"kind": "canon", "title": "E"}),
            },
            "ending-with-choices",
            "is an ending but also offers choices",
        ),
        (
            {"a": node(choices=[go("z", canon=True), go("z", canon=True)]), "z": END},
            "canon-ambiguous",
            "marks both choice 1 and choice 2 as canon",
        ),
        (
            {
                "a": node(choices=[go("z", canon=True), go("y")]),
                "z": END,
                "y": node(ending={"kind": "divergent", "title": "E", "diverges": ["no-such-fact"]}),
            },
            "unknown-fact",
            "ending 'y' diverges from 'no-such-fact', which is not a fact",
        ),
        (
            {
                "a": node(choices=[go("z", canon=True), go("y")]),
                "z": END,
                "y": node(ending={"kind": "divergent", "title": "E"}),
            },
            "ending-kind",
            "does not say which facts it changes",
        ),
        (
            {
                "a": node(choices=[go("z", canon=True), go("y")]),
                "z": END,
                "y": node(ending={"kind": "divergent", "title": "E", "diverges": ["thing-happens"]}),
            },
            "diverges-not-covered",
            "which this chapter does not cover",
        ),
        (
            {"a": node(choices=[go("z", canon=True)], records=["no-such-fact"]), "z": END},
            "unknown-fact",
            "records 'no-such-fact', which is not a fact",
        ),
        (
            {"a": node(choices=[go("z", canon=True, **{"if": 'seen("nowhere")'})]), "z": END},
            "unknown-node",
            'seen("nowhere") names a node that does not exist',
        ),
        (
            {"a": node(choices=[go("z", canon=True, **{"if": "nerv > 1"})]), "z": END},
            "unknown-flag",
            "unknown flag 'nerv'",
        ),
        (
            {"a": node(choices=[go("z", canon=True, do=["nerve = true"])]), "z": END},
            "expr-type",
            "nerve holds a number, but `true` is a true/false value",
        ),
        (
            {"a": node(choices=[go("z", canon=True)], date="1901-01-01"), "z": END},
            "date-outside-period",
            "outside the chapter's period",
        ),
        ({"a": node(choices=[go("z", canon=True)], date="1900-02-30"), "z": END}, "schema", "not a date"),
        (
            {"a": node(text=[{"if": "nerve", "text": "x"}], choices=[go("z", canon=True)]), "z": END},
            "expr-type",
            "a condition must be true or false",
        ),
    ],
)
def test_static_problems_are_diagnosed_with_a_place(tmp_path, nodes, code, words):
    story, diags = diags_of(tmp_path, {"one": chapter("one", nodes)})
    assert story is None
    one_error(diags, code, words)


def test_a_canon_ending_cannot_list_diverges(tmp_path):
    nodes = {
        "a": node(choices=[go("z", canon=True)], records=["thing-happens"]),
        "z": node(ending={"kind": "canon", "title": "E", "diverges": ["thing-happens"]}),
    }
    _, diags = diags_of(tmp_path, {"one": chapter("one", nodes, covers=["thing-happens"])})
    one_error(diags, "ending-kind", "a canon ending keeps history, so it cannot list `diverges`")


def test_unknown_flag_suggests_the_close_name(tmp_path):
    nodes = {"a": node(choices=[go("z", canon=True, **{"if": "nerv > 1"})]), "z": END}
    _, diags = diags_of(tmp_path, {"one": chapter("one", nodes)})
    hint = one_error(diags, "unknown-flag", "nerv").hint
    assert hint.startswith("declare it under `flags:`") and hint.endswith(
        "if you meant the flag 'nerve', fix the spelling"
    )


def test_goto_to_a_missing_node_suggests_the_close_name(tmp_path):
    nodes = {"a": node(choices=[go("ende", canon=True), go("end")]), "end": END}
    _, diags = diags_of(tmp_path, {"one": chapter("one", nodes)})
    assert one_error(diags, "unknown-node", "goes to 'ende'").hint == "did you mean 'end'?"


def test_start_naming_no_node(tmp_path):
    doc = two_node_chapter()
    doc["start"] = "begin"
    _, diags = diags_of(tmp_path, {"one": doc})
    one_error(diags, "unknown-node", "starts at 'begin'")


def test_chapter_flag_may_not_shadow_a_story_flag(tmp_path):
    doc = two_node_chapter(flags={"nerve": {"type": "bool", "default": False, "doc": "Local nerve"}})
    _, diags = diags_of(tmp_path, {"one": doc})
    one_error(diags, "flag-shadows", "chapter flag 'nerve' has the name of a story-wide flag")


@pytest.mark.parametrize(
    "decl, words",
    [
        (
            {"type": "int", "default": 9, "min": 0, "max": 3, "doc": "d"},
            "defaults to 9, which is not a whole number from 0 to 3",
        ),
        ({"type": "int", "default": 1, "min": 3, "max": 0, "doc": "d"}, "min 3 above max 0"),
        (
            {"type": "enum", "values": ["a", "b"], "default": "c", "doc": "d"},
            "defaults to 'c', which is not one of a, b",
        ),
    ],
)
def test_flag_defaults_must_fit(tmp_path, decl, words):
    _, diags = diags_of(tmp_path, {"one": two_node_chapter(flags={"local": decl})})
    one_error(diags, "flag-default", words)


def test_chapter_file_and_id_must_agree(tmp_path):
    _, diags = diags_of(tmp_path, {"one": two_node_chapter("two")})
    one_error(diags, "chapter-id-mismatch", "this file is one.yaml but its id is 'two'")


def test_a_chapter_listed_twice(tmp_path):
    _, diags = diags_of(tmp_path, {"one": two_node_chapter()}, order=["one", "one"])
    assert one_error(diags, "schema", "'one' appears twice in 'chapters'").pos.file.endswith("story.yaml")


def test_a_chapter_file_not_in_the_list_is_a_warning(tmp_path):
    story, diags = diags_of(tmp_path, {"one": two_node_chapter(), "spare": two_node_chapter("spare")}, order=["one"])
    assert story is not None
    [w] = [d for d in diags if d.code == "chapter-not-listed"]
    assert w.severity == "warning" and "spare.yaml" in w.message
    assert w in story.warnings and not any(d.is_error for d in diags)


def test_holds_may_read_only_story_flags(tmp_path):
    fact = dict(DEFAULT_FACT, holds="oil > 0")
    _, diags = diags_of(tmp_path, {"one": two_node_chapter()}, facts=[fact])
    d = one_error(diags, "unknown-flag", "unknown flag 'oil'")
    assert "story-wide" in d.hint and d.pos.file.endswith("history.yaml")


def test_facts_and_their_source(tmp_path):
    root = write_story(
        tmp_path / "s",
        {"one": two_node_chapter()},
        flags=STORY_FLAGS,
        history={
            "source": "source.txt",
            "facts": [
                DEFAULT_FACT,
                dict(DEFAULT_FACT, id="misquoted", source={"paragraph": 1, "quote": "not in it"}),
                dict(DEFAULT_FACT, id="far", source={"paragraph": 7, "quote": "a thing"}),
                dict(DEFAULT_FACT, id="thing-happens"),
            ],
        },
    )
    (root / "story" / "source.txt").write_text("Then a thing happened.\n")
    with no_cache():
        _, diags = compile_story(root)
    assert sorted((d.code, d.message) for d in diags) == [
        (
            "duplicate-id",
            "fact 'thing-happens' is declared twice (first at "
            f"{[x for x in diags if x.code == 'duplicate-id'][0].message.split('first at ')[1][:-1]})",
        ),
        ("quote-not-in-source", "fact 'misquoted' quotes words that are not in paragraph 1 of the source"),
        ("quote-not-in-source", "the source has 1 paragraphs, not 7"),
    ]


def test_records_must_fit_the_node_and_the_period(tmp_path):
    fact = dict(DEFAULT_FACT, id="late", date="1905")
    nodes = {"a": node(choices=[go("z", canon=True)], records=["late"], date="1900-05"), "z": END}
    _, diags = diags_of(tmp_path, {"one": chapter("one", nodes)}, facts=[DEFAULT_FACT, fact])
    assert sorted(d.code for d in diags) == ["record-date", "record-outside-period"]


def test_many_problems_are_collected_not_just_the_first(tmp_path):
    nodes = {"a": node(choices=[go("zz", canon=True, **{"if": "nerv > 1"}), go("z", do=["alarm += 1"])]), "z": END}
    _, diags = diags_of(tmp_path, {"one": chapter("one", nodes), "two": dict(two_node_chapter("two"), colour="red")})
    assert sorted(d.code for d in diags) == ["expr-type", "schema", "unknown-flag", "unknown-node"]


# ---- what the reader is shown: `show:` on flags, `hint:` on endings ---------------------------


def test_shown_flags_and_ending_hints_compile_into_the_story(tmp_path):
    flags = {
        "nerve": {**STORY_FLAGS["nerve"], "show": {"label": "Nerve", "as": "bar"}},
        "mood": {
            "type": "enum",
            "values": ["calm", "angry"],
            "default": "calm",
            "doc": "Mood",
            "show": {"label": "The crowd", "as": "word", "words": {"angry": "restless"}},
        },
        "alarm": {**STORY_FLAGS["alarm"], "show": {"label": "Alarm", "as": "word", "words": {"true": "raised"}}},
    }
    doc = two_node_chapter()
    doc["nodes"]["end"]["ending"]["hint"] = "Just sign."
    story, diags = diags_of(tmp_path, {"one": doc}, flags=flags)
    assert errors(diags) == []
    by = {f.name: f for f in story.flags}
    assert by["nerve"].show.label == "Nerve" and by["nerve"].show.as_ == "bar"
    assert [by["mood"].shown(v) for v in ("calm", "angry")] == ["calm", "restless"]
    assert [by["alarm"].shown(v) for v in (True, False)] == ["raised", "no"]
    assert story.chapter("one").nodes["end"].ending.hint == "Just sign."
    assert all(f.show is None for f in load_story(TOUR).chapter("storm").layout if f.name == "oil")


@pytest.mark.parametrize(
    "show, words",
    [
        ({"label": "Alarm", "as": "bar"}, "a bar needs bounds and 'alarm' is a bool flag"),
        ({"label": "Alarm", "as": "word", "words": {"yes": "raised"}}, "never has the value 'yes'"),
    ],
)
def test_a_shown_flag_must_be_drawable(tmp_path, show, words):
    flags = {**STORY_FLAGS, "alarm": {**STORY_FLAGS["alarm"], "show": show}}
    _, diags = diags_of(tmp_path, {"one": two_node_chapter()}, flags=flags)
    d = one_error(diags, "flag-show", words)
    assert d.pos.file.endswith("story.yaml")


def test_an_enum_word_for_a_value_it_lacks_names_the_close_one(tmp_path):
    decl = {
        "type": "enum",
        "values": ["calm", "angry"],
        "default": "calm",
        "doc": "d",
        "show": {"label": "Mood", "as": "word", "words": {"angy": "restless"}},
    }
    _, diags = diags_of(tmp_path, {"one": two_node_chapter(flags={"mood": decl})})
    d = one_error(diags, "flag-show", "never has the value 'angy'")
    assert "did you mean 'angry'?" in d.render()


def test_an_ending_hint_is_one_short_line(tmp_path):
    doc = two_node_chapter()
    doc["nodes"]["end"]["ending"]["hint"] = "word " * 40
    _, diags = diags_of(tmp_path, {"one": doc})
    one_error(diags, "ending-hint", "at most 120 characters")

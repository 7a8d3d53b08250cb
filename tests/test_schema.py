"""engine.schema and engine/schemas/: the format contract, and errors a writer can act on."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from engine import schema as sch
from engine import schemawords
from engine.schema import KINDS, schema_for, schema_path, schema_text, validate
from engine.yamlload import Document, load_file, load_text

ROOT = Path(__file__).resolve().parent.parent


def errors(text: str, kind: str = "chapter", file: str = "c.yaml"):
    ds = validate(load_text(text, file), kind)
    assert all(d.code == "schema" and d.severity == "error" for d in ds)
    return ds


def one(text: str, kind: str = "chapter"):
    ds = errors(text, kind)
    assert len(ds) == 1, "\n".join(d.render() for d in ds)
    return ds[0]


def at(d) -> tuple[int, int]:
    return (d.pos.line, d.pos.col)


def loc(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, col) of the nth occurrence of needle in text."""
    i = -1
    for _ in range(nth):
        i = text.index(needle, i + 1)
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


# A chapter in the documented format (AUTHORING.md), every feature used once.
CHAPTER = """\
id: riyadh-1980
title: The Guarantee
period: {from: 1980-06, to: 1980-12}
covers: [kuwait-occupied, us-backs-riyadh]
flags:
  asked_americans: {type: bool, default: false, doc: Riyadh has asked Washington for a guarantee}
  nerve: {type: int, default: 2, min: 0, max: 5, doc: How steady the prince's nerve is}
  mood: {type: enum, values: [calm, angry, afraid], default: calm, doc: The crowd's mood}
start: majlis
nodes:
  majlis:
    date: 1980-08-02
    place: Riyadh
    text: |
      Prose. Paragraphs separated by blank lines.
    choices:
      - text: Ask the Americans for a public guarantee.
        if: not asked_americans
        do: [asked_americans = true, nerve += 1]
        goto: embassy
        canon: true
      - text: Wait.
        do: nerve -= 1
        goto: riyadh-burns
  embassy:
    date: 1980
    records: [us-backs-riyadh]
    refs: [kuwait-occupied]
    text:
      - The majlis is quiet.
      - if: asked_americans
        text: Everyone knows you went to the Americans.
        else: Nobody yet knows what you will do.
    choices:
      - {text: Go home., goto: border-holds, canon: true}
  border-holds:
    ending: {kind: canon, title: The Border Holds}
  riyadh-burns:
    ending: {kind: divergent, title: Riyadh Burns, diverges: [us-backs-riyadh]}
"""


# ---- the schemas themselves ----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_schemas_are_valid_draft_2020_12_with_id_and_title(kind):
    s = schema_for(kind)
    Draft202012Validator.check_schema(s)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["$id"] == f"https://chronicle.invalid/schemas/{kind}.schema.json"
    assert s["title"] and s["description"]
    assert schema_path(kind).name == f"{kind}.schema.json" and schema_path(kind).is_file()
    assert json.loads(schema_text(kind)) == s
    assert schema_for(kind) is schema_for(kind)


def test_unknown_kind():
    with pytest.raises(ValueError):
        schema_path("novel")


def _object_schemas(s, inside_condition=False):
    """Every object schema that declares keys (not the constraints inside if/then/else)."""
    if isinstance(s, dict):
        if "properties" in s and not inside_condition:
            yield s
        for k, v in s.items():
            if k in ("examples", "enum", "const"):
                continue
            yield from _object_schemas(v, inside_condition or k in ("if", "then", "else"))
    elif isinstance(s, list):
        for v in s:
            yield from _object_schemas(v, inside_condition)


@pytest.mark.parametrize("kind", KINDS)
def test_every_key_is_closed_described_and_exemplified(kind):
    root = schema_for(kind)
    objs = list(_object_schemas(root))
    assert len(objs) >= 2
    check = Draft202012Validator({"$defs": root["$defs"]})
    for obj in objs:
        assert obj.get("additionalProperties") is False, obj.get("title")
        assert obj.get("title"), obj
        for name, prop in obj["properties"].items():
            where = f"{obj['title']}.{name}"
            assert isinstance(prop.get("description"), str) and len(prop["description"]) > 10, where
            if prop.get("x-chronicle-names"):  # the story's own names: `schema --install` gives them
                assert "examples" not in prop, where
                continue
            assert isinstance(prop.get("examples"), list) and prop["examples"], where
            for example in prop["examples"]:
                sub = check.evolve(schema={"$defs": root["$defs"], **prop})
                assert sub.is_valid(example), f"{where}: example {example!r} does not validate"


def test_shared_definitions_agree():
    chapter, story, history = (schema_for(k)["$defs"] for k in KINDS)
    for name in ("flag", "flags", "flagName"):
        assert chapter[name] == story[name], name
    assert chapter["id"] == story["id"] == history["id"]
    assert chapter["expression"] == history["expression"]


@pytest.mark.parametrize("kind", KINDS)
def test_custom_messages_read_well(kind):
    def walk(s):
        if isinstance(s, dict):
            for k, v in s.items():
                if k in ("errorMessage", "patternErrorMessage"):
                    yield v
                elif k != "examples":
                    yield from walk(v)
        elif isinstance(s, list):
            for v in s:
                yield from walk(v)

    for msg in walk(schema_for(kind)):
        assert msg.startswith(("not ", "only ")), msg


# ---- the real files ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, kind",
    [
        ("story/story.yaml", "story"),
        ("story/history.yaml", "history"),
        ("tests/stories/tour/story/story.yaml", "story"),
        ("tests/stories/tour/story/history.yaml", "history"),
        ("tests/stories/tour/chapters/storm.yaml", "chapter"),
        ("tests/stories/tour/chapters/morning.yaml", "chapter"),
    ],
)
def test_real_files_validate(path, kind):
    if not (ROOT / path).exists():
        pytest.skip(f"{path} is not there")
    assert [d.render() for d in validate(load_file(ROOT / path, path), kind)] == []


def test_the_documented_chapter_validates():
    assert errors(CHAPTER) == []


# ---- what a writer sees ------------------------------------------------------------------


def test_unknown_key_points_at_the_key_and_lists_the_allowed_ones():
    text = CHAPTER.replace("    place: Riyadh\n", "    place: Riyadh\n    colour: red\n")
    d = one(text)
    assert at(d) == loc(text, "colour")
    assert (
        d.message
        == "unknown key 'colour' in this node (allowed: date, place, text, choices, ending, records, refs, do, next, call, return, allow)"
    )


def test_misspelt_key_gets_a_suggestion():
    ds = errors(CHAPTER.replace("        goto: embassy", "        go_to: embassy"))
    assert [d.message for d in ds] == [
        "a choice needs 'goto' or 'call'",
        "unknown key 'go_to' in this choice (allowed: text, id, if, enabled, fallback, do, goto, call, canon, asserts, denies, say, allow)",
    ]
    assert ds[1].hint == "did you mean 'goto'?"


def test_comma_in_unquoted_flow_text_gets_a_hint():
    d = one(CHAPTER.replace("doc: The crowd's mood}", "doc: The crowd, and its mood}"))
    assert d.message.startswith("unknown key 'and its mood' in this flag")
    assert "quotes" in d.hint


def test_every_error_is_reported_not_just_the_first():
    text = (
        CHAPTER.replace("title: The Guarantee", "title: [x]")
        .replace("        goto: embassy\n", "")
        .replace("kind: canon,", "kind: cannon,")
    )
    got = [(at(d), d.message) for d in errors(text)]
    assert got == [
        ((2, 8), "expected text here, found a list"),
        (loc(text, "text: Ask"), "a choice needs 'goto' or 'call'"),
        (loc(text, "cannon"), "'cannon' is not one of: canon, personal, divergent, good, bad, neutral"),
    ]


def test_choice_needs_goto_with_a_hint_from_the_schema():
    d = one(CHAPTER.replace("        goto: embassy\n", ""))
    assert d.message == "a choice needs 'goto' or 'call'"
    assert d.hint.startswith("goto: The id of the node this choice leads to.")
    assert "; or call: Calls a subroutine" in d.hint
    assert at(d) == loc(CHAPTER, "text: Ask")


def test_missing_top_level_keys():
    ds = errors("id: x\ntitle: T\n")
    assert {d.message for d in ds} == {
        "a chapter needs 'start'",
        "a chapter needs 'nodes'",
    }  # period: only with history
    assert all(at(d) == (1, 1) for d in ds)


def test_expected_a_list_found_text():
    text = CHAPTER.replace("    refs: [kuwait-occupied]", "    refs: kuwait-occupied")
    d = one(text)
    assert d.message == "expected a list of ids here, found the text 'kuwait-occupied'"
    assert at(d) == loc(text, "kuwait-occupied\n")
    d = one(CHAPTER.replace("title: The Guarantee", "title: [The Guarantee]"))
    assert d.message == "expected text here, found a list"


def test_dates():
    d = one(CHAPTER.replace("date: 1980-08-02", "date: 1980-13-01"))
    assert d.message == "'1980-13-01' is not a date (write YYYY, YYYY-MM or YYYY-MM-DD)"
    assert at(d) == loc(CHAPTER, "1980-08-02")
    for bad in ("1980-02-30", "1980-04-31", "80-01-01", "1980/1981", "0999", "1980-1", "'1980-08-02 '"):
        assert len(errors(CHAPTER.replace("date: 1980-08-02", f"date: {bad}"))) == 1, bad
    for good in ("1980", "1980-02", "1980-02-29", "1980-12-31", "'1980'", "2999"):
        assert errors(CHAPTER.replace("date: 1980-08-02", f"date: {good}")) == [], good
    for bad in ("999", "3000", "1980.5", "true"):
        assert len(errors(CHAPTER.replace("date: 1980-08-02", f"date: {bad}"))) == 1, bad
    d = one(CHAPTER.replace("from: 1980-06", "from: 1980/1981"))
    assert "is not a date" in d.message and at(d) == (3, 16)


def test_fact_dates_may_be_intervals():
    base = "facts:\n  - {id: f, date: DATE, statement: S, source: {paragraph: 1, quote: q}}\n"
    for good in ("1980", "1957/1959", "1995-03/1995-06", "1999-04-01/2000"):
        assert errors(base.replace("DATE", good), "history") == [], good
    d = one(base.replace("DATE", "1957-1959"), "history")
    assert "is not a date" in d.message and "A/B" in d.message


def test_flag_defaults_get_one_clear_message():
    d = one(CHAPTER.replace("{type: bool, default: false,", "{type: bool, default: yes,"))
    assert d.message == "'yes' is not true or false, which a bool flag's default must be"
    assert at(d) == loc(CHAPTER, "false, doc: Riyadh")
    d = one(CHAPTER.replace("{type: int, default: 2,", "{type: int, default: 2.5,"))
    assert d.message == "2.5 is not a whole number, which an int flag's default must be"
    d = one(CHAPTER.replace("{type: int, default: 2,", "{type: int, default: '2',"))
    assert "not a whole number" in d.message
    d = one(CHAPTER.replace("default: calm,", "default: 3,"))
    assert "enum flag's default" in d.message
    d = one(CHAPTER.replace("mood: {type: enum, values: [calm, angry, afraid],", "mood: {type: enum,"))
    assert d.message == "an enum flag needs 'values'" and at(d) == (8, 3)
    text = CHAPTER.replace("{type: bool, default: false,", "{type: bool, default: false, min: 0,")
    d = one(text)
    assert d.message == "only int flags have 'min'" and at(d) == loc(text, "min: 0,")
    d = one(CHAPTER.replace(", doc: The crowd's mood}", "}"))
    assert d.message == "a flag needs 'doc'"
    d = one(CHAPTER.replace("{type: bool,", "{type: boolean,"))
    assert d.message == "'boolean' is not one of: bool, int, enum"
    d = one(CHAPTER.replace("values: [calm, angry, afraid]", "values: []"))
    assert d.message == "'values' needs at least 1 item, found 0"


def test_names_and_ids():
    d = one(CHAPTER.replace("  asked_americans: {", "  AskedAmericans: {"))
    assert d.message.startswith("'AskedAmericans' is not a flag name") and at(d) == (6, 3)
    text = CHAPTER.replace("  border-holds:", "  Border_Holds:")
    d = one(text)
    assert d.message.startswith("'Border_Holds' is not an id") and at(d) == loc(text, "Border_Holds")
    d = one(CHAPTER.replace("goto: embassy", "goto: The Embassy"))
    assert d.message.startswith("'The Embassy' is not an id")
    # a '$' in a pattern is the end of the text, as in ECMA 262, not "before a final newline"
    d = one(CHAPTER.replace("start: majlis", "start: |\n  majlis"))
    assert "is not an id" in d.message


def test_types_are_strict():
    base = "facts:\n  - {id: f, date: 1980, statement: S, source: {paragraph: P, quote: q}}\n"
    assert errors(base.replace("P", "1"), "history") == []
    for bad in ("true", "1.0", "0", "'1'"):
        assert len(errors(base.replace("P", bad), "history")) == 1, bad
    d = one(CHAPTER.replace("canon: true\n", "canon: yes\n", 1))
    assert d.message == "expected true or false here, found the text 'yes'"
    assert "true or false" in d.hint


def test_quoting_hint_for_numbers_where_text_belongs():
    d = one(CHAPTER.replace("title: The Guarantee", "title: 1984"))
    assert d.message == "expected text here, found the number 1984"
    assert "quotes" in d.hint and "'1984'" in d.hint


def test_choices_and_text_parts():
    d = one(
        CHAPTER.replace("      - {text: Go home., goto: border-holds, canon: true}", "      []").replace(
            "    choices:\n      []", "    choices: []"
        )
    )
    assert d.message == "'choices' needs at least 1 item, found 0"
    d = one(CHAPTER.replace("        else: Nobody", "        otherwise: Nobody"))
    assert d.message.startswith(
        "unknown key 'otherwise' in this text part (allowed: if, text, else, asserts, denies, allow)"
    )
    d = one(CHAPTER.replace("      - The majlis is quiet.", "      - 12"))
    assert d.message == "expected text or a mapping here, found the number 12"
    d = one(CHAPTER.replace("do: nerve -= 1", "do: 3"))
    assert d.message == "expected a list or text here, found the number 3"
    d = one(CHAPTER.replace("do: [asked_americans = true, nerve += 1]", "do: [asked_americans = true, 1]"))
    assert d.message == "expected text here, found the number 1" and at(d) == loc(CHAPTER, "nerve += 1]")
    d = one(CHAPTER.replace("        if: not asked_americans", "        if: true"))
    assert d.message == "expected an expression (text) here, found true"


def test_repeated_ids_in_a_list():
    d = one(CHAPTER.replace("covers: [kuwait-occupied, us-backs-riyadh]", "covers: [kuwait-occupied, kuwait-occupied]"))
    assert d.message == "'kuwait-occupied' appears twice in 'covers' (items 1 and 2)"
    assert at(d) == loc(CHAPTER, "us-backs-riyadh]")


def test_story_manifest():
    assert errors("title: T\nchapters: [a]\n", "story") == []
    d = one("title: T\nchapters: []\n", "story")
    assert d.message == "'chapters' needs at least 1 item, found 0"
    d = one("title: T\nchapters: [a, b, a]\n", "story")
    assert "appears twice" in d.message
    d = one("chapters: [a]\n", "story")
    assert d.message == "a story manifest needs 'title'"
    d = one("title: T\nchapters: [a]\nchapter: [b]\n", "story")
    assert "did you mean 'chapters'?" in d.hint


def test_history():
    fact = "  - {id: f, date: 1980, statement: S, source: {paragraph: 1, quote: q}EXTRA}\n"
    assert errors("source: s.txt\nfacts:\n" + fact.replace("EXTRA", ""), "history") == []
    d = one("facts:\n" + fact.replace("EXTRA", ", readings: [{source: x}]"), "history")
    assert d.message == "a reading needs 'reading'"
    assert (
        errors(
            "facts:\n" + fact.replace("EXTRA", ", readings: [{reading: r, date: 1978}], holds: not x, note: n"),
            "history",
        )
        == []
    )
    d = one("facts:\n" + fact.replace("paragraph: 1, ", "").replace("EXTRA", ""), "history")
    assert d.message == "a source reference needs 'paragraph'"
    d = one("facts:\n" + fact.replace("paragraph: 1", "paragraph: 0").replace("EXTRA", ""), "history")
    assert d.message == "'paragraph' must be at least 1, found 0"
    assert errors("facts: []\n", "history") == []  # a story may have no documented history


def test_not_a_mapping_at_all():
    d = one("- a\n- b\n")
    assert d.message == "expected a chapter (mapping) here, found a list" and at(d) == (1, 1)


def test_positions_inside_aliases_fall_back_to_the_alias():
    text = CHAPTER.replace(
        "  border-holds:\n    ending: {kind: canon, title: The Border Holds}",
        "  border-holds:\n    ending: &e {kind: canon, title: The Border Holds}\n  other:\n    ending: *e",
    )
    assert errors(text) == []
    text = text.replace("kind: canon, title", "kind: canon, colour: red, title")
    got = [at(d) for d in errors(text)]
    assert got == [loc(text, "colour"), loc(text, "*e")]  # the key in the original, then the alias


# ---- the compiled check agrees with jsonschema ----------------------------------------------

_KEYS = sorted(
    {k for kind in KINDS for obj in _object_schemas(schema_for(kind)) for k in obj["properties"]} | {"colour", ""}
)
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3100),
    st.sampled_from([0.5, 2.0, 1980.0, -1.0]),
    st.sampled_from(
        [
            "",
            "x",
            "majlis",
            "Majlis",
            "a--b",
            "a-b",
            "asked_americans",
            "1980",
            "1980-13",
            "1980-02-29",
            "1957/1959",
            "1980-01/1980-02",
            "bool",
            "int",
            "enum",
            "canon",
            "personal",
            "divergent",
            "cannon",
            "not x",
            "majlis\n",
            "é",
        ]
    ),
)
_JUNK = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=3)),
    max_leaves=6,
)


def _paths(x, base=()):
    yield base
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, base + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _paths(v, base + (i,))


def _get(x, path):
    for p in path:
        x = x[p]
    return x


@st.composite
def _mutated(draw, doc: Document):
    data = copy.deepcopy(doc.data)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "delete", "add"]))
        if not path:
            op = "add"
        target = _get(data, path)
        if op == "add" and isinstance(target, dict):
            target[draw(st.sampled_from(_KEYS))] = draw(_JUNK)
        elif op == "add" and isinstance(target, list):
            target.append(draw(_JUNK))
        elif op == "delete" and path:
            parent = _get(data, path[:-1])
            del parent[path[-1]]
        elif path:
            _get(data, path[:-1])[path[-1]] = draw(_JUNK)
    return Document(doc.file, data, doc.marks, doc.key_marks)


_BASES = {
    "chapter": load_text(CHAPTER, "c.yaml"),
    "story": load_file(ROOT / "story/story.yaml", "story.yaml"),
    "history": load_text(
        "source: s.txt\nfacts:\n  - {id: f, date: 1957/1959, statement: S, source: {paragraph: 1, quote: q}, holds: not x,"
        " note: n, readings: [{reading: r, source: s, date: 1978}]}\n",
        "h.yaml",
    ),
}


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_check_agrees_with_jsonschema(kind, data):
    doc = data.draw(_mutated(_BASES[kind]))
    reference = sch._reference_validator(kind)
    ref_errors = list(reference.iter_errors(doc.data))
    sch._validator(kind)  # compiles the check
    fast_ok = sch.COMPILED_CHECKS[id(schema_for(kind))](doc.data)
    assert fast_ok == (not ref_errors)
    want = sorted({(d.pos, d.message) for e in ref_errors for d in schemawords.explain(e, doc)}, key=str)
    got = sorted({(d.pos, d.message) for d in validate(doc, kind)}, key=str)
    assert got == want


# ---- speed -------------------------------------------------------------------------------------


def _big_chapter(n: int) -> str:
    parts = ["id: big\ntitle: Big\nperiod: {from: 1980, to: 1981}\nstart: n0\nnodes:\n"]
    for i in range(n):
        parts.append(
            f"  n{i}:\n    date: 1980-08-{i % 28 + 1:02d}\n    place: Riyadh\n    text:\n      - The radio from Baghdad says nothing new.\n"
            f"      - {{if: nerve > 2, text: You wait., else: You pace.}}\n    refs: [kuwait-occupied]\n"
            f"    choices:\n      - text: Wait.\n        if: not asked\n        do: [nerve += 1]\n        goto: n{i + 1}\n        canon: true\n"
            f"      - {{text: Leave., goto: end}}\n"
        )
    parts.append("  end:\n    ending: {kind: canon, title: End}\n")
    return "".join(parts)


def test_a_large_chapter_validates_quickly():
    doc = load_text(_big_chapter(2000), "big.yaml")
    sch._validator("chapter")
    assert validate(doc, "chapter") == []
    doc.data["nodes"]["n1500"]["colour"] = "red"
    doc.data["nodes"]["n700"]["choices"][1]["goto"] = 7
    got = [d.message for d in validate(doc, "chapter")]
    assert got == [
        "expected an id (text) here, found the number 7",
        "unknown key 'colour' in this node (allowed: date, place, text, choices, ending, records, refs, do, next, call, return, allow)",
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_every_pattern_is_explained_in_words(kind):
    """yaml-language-server shows a pattern's `patternErrorMessage` (else the raw regular
    expression), and a branch's own `errorMessage` for a wrong type inside `anyOf` (it ignores the
    one on the `anyOf` itself): so every pattern, and every branch of a date, says it in words."""

    def walk(s, where):
        if isinstance(s, dict):
            if "pattern" in s:
                yield where, s.get("patternErrorMessage")
            for alt in s.get("anyOf", []):
                if isinstance(alt, dict) and "errorMessage" in s:
                    yield f"{where}.anyOf", alt.get("errorMessage")
            for k, v in s.items():
                if k != "examples":
                    yield from walk(v, f"{where}.{k}")
        elif isinstance(s, list):
            for i, v in enumerate(s):
                yield from walk(v, f"{where}[{i}]")

    silent = [where for where, msg in walk(schema_for(kind), kind) if not msg]
    assert silent == []

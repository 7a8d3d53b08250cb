"""Choices written on one line (issue 26 point 1): `- Knock. -> porch canon if not knocked do
knocked = true` is the long form's `text`, `goto`, `canon`, `if` and `do`; `-> map ->` and
`-> map -> road` are calls. The two forms compile to the same story and play alike; every part
of a one-line choice keeps its own position, so a mistake in its condition is reported at the
condition's line and column inside the string; prose words `if` and `do` before the `->` are
text; the published schema accepts both forms.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile

import pytest
import yaml
from brute import story_specs
from conftest import examples, no_cache, write_story
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from test_explore import compile_spec

from engine import choiceline
from engine import runtime as rt
from engine.compile import compile_story
from engine.diagnostics import ChronicleError
from engine.export import compiled
from engine.schema import schema_for, validate
from engine.yamlload import load_text

FLAGS = {
    "tea": {"type": "int", "default": 0, "min": 0, "max": 9, "doc": "Cups of tea drunk"},
    "knocked": {"type": "bool", "default": False, "doc": "The door was knocked on"},
}

LONG = """\
id: archive
title: The Archive
period: {from: 1900, to: 1900}
start: desk
nodes:
  desk:
    text: 'At the desk (visit {visits("desk")}, {tea} cups).'
    choices:
      - text: Ask the archivist.
        call: archivist
      - text: Ask, then go to the stacks.
        call: archivist
        goto: stacks
      - text: Knock if you must, and do it loudly.
        if: not knocked
        do: [knocked = true, tea += 1]
        goto: desk
      - text: Leave.
        goto: out
        canon: true
  archivist:
    text: The archivist looks up.
    choices:
      - text: Thank her.
        goto: thanks
      - text: Ask about everything.
        if: visits("archivist") < 3 and tea >= 1
        call: archivist
  thanks:
    text: She nods.
    return: true
  stacks:
    text: The stacks.
    choices:
      - text: Back to the desk.
        goto: desk
  out:
    text: You leave.
    ending: {kind: canon, title: Out}
"""

SHORT = """\
id: archive
title: The Archive
period: {from: 1900, to: 1900}
start: desk
nodes:
  desk:
    text: 'At the desk (visit {visits("desk")}, {tea} cups).'
    choices:
      - Ask the archivist. -> archivist ->
      - Ask, then go to the stacks. -> archivist -> stacks
      - Knock if you must, and do it loudly. -> desk if not knocked do knocked = true, tea += 1
      - Leave. -> out canon
  archivist:
    text: The archivist looks up.
    choices:
      - Thank her. -> thanks
      - 'Ask about everything. -> archivist -> if visits("archivist") < 3 and tea >= 1'
  thanks:
    text: She nods.
    return: true
  stacks:
    text: The stacks.
    choices:
      - Back to the desk. -> desk
  out:
    text: You leave.
    ending: {kind: canon, title: Out}
"""


def story_of(tmp_path, name: str, text: str):
    root = write_story(tmp_path / name, {"archive": text}, flags=FLAGS, title="The Archive")
    with no_cache():
        story, diags = compile_story(root)
    assert story is not None, "\n".join(d.render() for d in diags)
    return story, diags


def without_places(value):
    """The compiled story as JSON, without positions and file names."""
    if isinstance(value, dict):
        dropped = ("file", "content_hash")
        return {k: without_places(v) for k, v in value.items() if not k.endswith("pos") and k not in dropped}
    if isinstance(value, list):
        return [without_places(v) for v in value]
    return value


def diagnostics(tmp_path, text: str, name: str = "s"):
    root = write_story(tmp_path / name, {"archive": text}, flags=FLAGS, title="The Archive")
    with no_cache():
        _story, diags = compile_story(root)
    return diags


# ---- the grammar --------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, mapping",
    [
        ("Knock. -> porch", {"text": "Knock.", "goto": "porch"}),
        ("Knock. -> porch canon", {"text": "Knock.", "goto": "porch", "canon": True}),
        (
            "Knock. -> porch if not knocked do knocked = true",
            {"text": "Knock.", "goto": "porch", "if": "not knocked", "do": ["knocked = true"]},
        ),
        (
            "Knock. -> porch canon if a and b do x += 1, y = false",
            {"text": "Knock.", "goto": "porch", "canon": True, "if": "a and b", "do": ["x += 1", "y = false"]},
        ),
        ("Check the map. -> map ->", {"text": "Check the map.", "call": "map"}),
        ("Map, then road. -> map -> road", {"text": "Map, then road.", "call": "map", "goto": "road"}),
        ("Map. -> map -> if lost", {"text": "Map.", "call": "map", "if": "lost"}),
        # the words if, do and canon before the arrow are prose
        (
            "Ask if he will do it, canon or not. -> porch",
            {"text": "Ask if he will do it, canon or not.", "goto": "porch"},
        ),
        # a quoted string in a condition or an effect is one word, commas and `do` inside it too
        (
            'Rage. -> porch if mood != "do it, now" do mood = "in a rage, do"',
            {"text": "Rage.", "goto": "porch", "if": 'mood != "do it, now"', "do": ['mood = "in a rage, do"']},
        ),
        ("Go. -> porch do x = canon", {"text": "Go.", "goto": "porch", "do": ["x = canon"]}),
    ],
)
def test_a_line_reads_as_the_long_form(line, mapping):
    assert choiceline.parse(line).mapping() == mapping


@pytest.mark.parametrize(
    "line, at, words",
    [
        ("Knock.", 0, "needs ` -> NODE`"),
        ("Knock.->porch", 6, "needs ` -> NODE`"),
        ("-> porch", 0, "needs text before"),
        ("Knock. ->", 9, "needs the id of the node"),
        ("Knock. -> if lit", 10, "before `if`"),
        ("Knock. -> Porch", 10, "'Porch' is not a node id"),
        ("Go A -> B. -> porch", 8, "'B.' is not a node id"),
        ("Knock. -> porch if", 16, "`if` needs a condition"),
        ("Knock. -> porch do", 16, "`do` needs an effect"),
        ("Knock. -> porch do a = 1,", 24, "missing between commas"),
        ("Knock. -> porch if lit canon", 23, "`canon` goes right after the node"),
        ("Knock. -> porch do x = true canon", 28, "`canon` goes right after the node"),
        ("Knock. -> porch do x = 1 if lit", 25, "`if`) comes before `do`"),
        ("Knock. -> porch twice", 16, "'twice' after the node"),
        ("Knock. -> porch -> hall -> yard", 24, "one `->`"),
    ],
)
def test_a_bad_line_says_what_and_where(line, at, words):
    with pytest.raises(choiceline.ChoiceLineError) as e:
        choiceline.parse(line)
    assert words in e.value.message
    assert e.value.at == at


def test_a_text_holding_an_arrow_is_told_to_use_the_long_form():
    with pytest.raises(choiceline.ChoiceLineError) as e:
        choiceline.parse("Go A -> B. -> porch")
    assert "long form" in (e.value.hint or "")


# ---- the same story, the same play ------------------------------------------------------


def test_both_forms_compile_to_the_same_story(tmp_path):
    long, long_diags = story_of(tmp_path, "long", LONG)
    short, short_diags = story_of(tmp_path, "short", SHORT)
    assert without_places(compiled.to_json(short)) == without_places(compiled.to_json(long))
    assert [(d.code, d.message) for d in short_diags] == [(d.code, d.message) for d in long_diags]


def play(story, picks):
    state, pages = rt.start(story), []
    for pick in picks:
        offered = rt.available(story, state)
        pages.append((state.node, [c.text for c in offered], rt.node_text(story, state)))
        state = rt.choose(story, state, next(c for c in offered if c.text.startswith(pick)))
    return pages, state


def test_both_forms_play_alike_guards_effects_and_calls_included(tmp_path):
    long, _ = story_of(tmp_path, "long", LONG)
    short, _ = story_of(tmp_path, "short", SHORT)
    picks = ["Knock", "Ask the archivist.", "Ask about everything.", "Thank her.", "Thank her."]
    picks += ["Ask, then", "Thank her.", "Back", "Leave."]
    pages, end = play(short, picks)
    assert (pages, end) == play(long, picks)
    # the guard hides the knock once it is taken; its effects counted a cup of tea
    assert not any(t.startswith("Knock") for t in pages[1][1])
    assert "1 cups" in " ".join(pages[1][2])
    # `-> archivist -> if ...` is a call back here, offered only with tea drunk
    assert pages[2][0] == "archivist" and "Ask about everything." in pages[2][1]
    assert rt.is_ending(short, end)


def test_a_one_line_choice_keeps_its_save_key(tmp_path):
    long, _ = story_of(tmp_path, "long", LONG)
    short, _ = story_of(tmp_path, "short", SHORT)
    keys = lambda s: [c.key for n in s.chapters[0].nodes.values() for c in n.choices]  # noqa: E731
    assert (
        keys(short)
        == keys(long)
        == [
            "@archivist",
            "@archivist>stacks",
            "@desk",
            "@out",
            "@thanks",
            "@archivist",
            "@desk",
        ]
    )


# ---- positions --------------------------------------------------------------------------


def col_of(text: str, line: int, needle: str) -> int:
    return text.split("\n")[line - 1].index(needle) + 1


@pytest.mark.parametrize(
    "written",
    [
        "      - Knock. -> desk if not knoked do tea += 1",
        "      - 'Knock, it''s late. -> desk if not knoked do tea += 1'",
        '      - "Knock: \\"now\\". -> desk if not knoked do tea += 1"',
        '      - "Knock \\u00e9. -> desk if not knoked do tea += 1"',
    ],
    ids=["plain", "single-quoted", "double-quoted", "escape"],
)
def test_a_bad_condition_is_reported_at_its_column_in_the_line(tmp_path, written):
    text = SHORT.replace("      - Leave. -> out canon", written + "\n      - Leave. -> out canon")
    diags = diagnostics(tmp_path, text)
    [d] = [d for d in diags if d.code == "unknown-flag"]
    line = text.split("\n").index(written) + 1
    assert (d.pos.line, d.pos.col) == (line, col_of(text, line, "not knoked"))
    assert "choice 4 of node 'desk'" in d.message


def test_a_condition_folded_onto_the_next_line_is_found_there(tmp_path):
    text = SHORT.replace(
        "      - Leave. -> out canon",
        "      - Knock and wait. -> desk\n        if not knoked\n      - Leave. -> out canon",
    )
    [d] = [d for d in diagnostics(tmp_path, text) if d.code == "unknown-flag"]
    line = text.split("\n").index("        if not knoked") + 1
    assert (d.pos.line, d.pos.col) == (line, 12)


def test_each_part_points_at_itself(tmp_path):
    """An unknown node, an effect that does not parse, a second canon: each at its own word."""
    text = SHORT.replace(
        "      - Leave. -> out canon",
        "      - Leave. -> out canon\n      - Run. -> ot canon do tea += 1, tea == 2",
    )
    diags = {d.code: d for d in diagnostics(tmp_path, text)}
    line = len(SHORT.split("\n")[: SHORT.split("\n").index("      - Leave. -> out canon")]) + 2
    row = text.split("\n")[line - 1]
    assert row.startswith("      - Run.")
    assert (diags["unknown-node"].pos.line, diags["unknown-node"].pos.col) == (line, row.index("ot") + 1)
    assert (diags["canon-ambiguous"].pos.line, diags["canon-ambiguous"].pos.col) == (line, row.index("canon") + 1)
    bad = diags.get("expr-syntax") or diags.get("expr-type")
    assert bad is not None and (bad.pos.line, bad.pos.col) == (line, row.index("tea == 2") + 1)


def test_a_bad_line_is_a_positioned_choice_line_error_and_no_traceback(tmp_path):
    text = SHORT.replace("      - Back to the desk. -> desk", "      - Back to the desk. -> Desk")
    [d] = diagnostics(tmp_path, text)
    line = text.split("\n").index("      - Back to the desk. -> Desk") + 1
    assert (d.code, d.pos.line, d.pos.col) == ("choice-line", line, col_of(text, line, "Desk"))
    assert d.message == (
        "choice 1 of node 'stacks': 'Desk' is not a node id (lower-case letters and digits, words joined by '-')"
    )


def test_a_string_without_an_arrow_fails_the_schema_with_the_form(tmp_path):
    text = SHORT.replace("      - Back to the desk. -> desk", "      - Back to the desk.")
    [d] = diagnostics(tmp_path, text)
    assert d.code == "schema" and "not a choice on one line (TEXT -> NODE" in d.message
    assert d.pos.line == text.split("\n").index("      - Back to the desk.") + 1


def test_the_cache_keeps_the_positions(tmp_path):
    leave = "      - Leave. -> out canon"
    text = SHORT.replace(leave, "      - Knock. -> desk if not knoked\n" + leave)
    root = write_story(tmp_path / "cached", {"archive": text}, flags=FLAGS, title="The Archive")
    runs = []
    for _ in range(2):  # the second run reads the documents from the cache
        _story, diags = compile_story(root)
        runs.append([(d.code, d.pos.line, d.pos.col) for d in diags])
    assert (root / ".cache" / "chronicle").is_dir()
    [(code, line, col)] = runs[0]
    assert runs[1] == runs[0] and code == "unknown-flag" and col == col_of(text, line, "not knoked")


# ---- the schema ---------------------------------------------------------------------------


def test_the_published_schema_accepts_both_forms_and_refuses_a_line_without_a_way():
    schema = schema_for("chapter")
    plain = Draft202012Validator(schema)  # as an editor reads it
    assert not list(plain.iter_errors(yaml.safe_load(SHORT)))
    assert not list(plain.iter_errors(yaml.safe_load(LONG)))
    bad = yaml.safe_load(SHORT.replace("Back to the desk. -> desk", "Back to the desk."))
    assert [e.validator for e in plain.iter_errors(bad)] == ["pattern"]
    choice = schema["$defs"]["choice"]
    assert set(choice["type"]) == {"string", "object"} and "TEXT -> NODE" in choice["description"]
    assert validate(load_text(SHORT, "short.yaml"), "chapter") == []


def test_the_tour_carries_the_new_schema():
    from pathlib import Path

    tour = Path(__file__).parent / "stories" / "tour" / "schemas" / "chapter.schema.json"
    assert json.loads(tour.read_text())["$defs"]["choice"]["type"] == ["string", "object"]


# ---- a property of the loader: any way YAML writes a line, the parts land where they are ---------

_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.!?'\"éü-", min_size=1, max_size=30).filter(
    lambda t: t.strip() and not re.search(r"(?<!\S)->(?!\S)", t)
)
_ids = st.from_regex(r"[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,4})?", fullmatch=True).filter(
    lambda x: x not in choiceline.KEYWORDS
)
_conds = st.sampled_from(["lit", "not lit and n > 1", 'mood == "in a rage"', 'visits("hall") < 2', "n >= 0"])
_effects = st.lists(st.sampled_from(["n += 1", "lit = true", 'mood = "calm, then"', "n = n * 2"]), max_size=3)


def _yaml_forms(line: str) -> list[str]:
    forms = [
        json.dumps(line, ensure_ascii=False),  # double-quoted
        json.dumps(line, ensure_ascii=True),  # double-quoted, with \u escapes
        "'" + line.replace("'", "''") + "'",
        yaml.safe_dump([line], allow_unicode=True, width=24)[2:].rstrip("\n"),  # the dumper's choice, folded
    ]
    return forms


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_words, _ids, st.booleans(), st.booleans(), st.one_of(st.none(), _conds), _effects, st.data())
def test_every_part_of_a_line_is_marked_where_it_is_written(text, node, call, canon, cond, effects, data):
    text = " ".join(text.split())
    line = f"{text} -> {node}" + (" ->" if call else "") + (" canon" if canon else "")
    line += f" if {cond}" if cond else ""
    line += " do " + ", ".join(effects) if effects else ""
    written = data.draw(st.sampled_from(_yaml_forms(line)))
    src = f"id: c\nnodes:\n  hall:\n    choices:\n      - {written}\n"
    try:
        doc = load_text(src, "c.yaml")
    except ChronicleError:
        return  # a form PyYAML's dumper wrote that the YAML 1.2 reader reads differently
    if doc.data["nodes"]["hall"]["choices"][0] != line:
        return
    assert choiceline.expand(doc, src) == []
    got = doc.data["nodes"]["hall"]["choices"][0]
    want = {"text": text, ("call" if call else "goto"): node}
    if canon:
        want["canon"] = True
    if cond:
        want["if"] = cond
    if effects:
        want["do"] = list(effects)
    assert got == want
    rows = src.split("\n")
    cpath = ("nodes", "hall", "choices", 0)

    def written_at(path: tuple, value: str) -> None:
        line_no, col = doc.marks[cpath + path]
        at = rows[line_no - 1][col - 1 :]
        first = value.split()[0]
        # the mark is at the first character of the part as written (an escape begins with \)
        assert at.startswith(first[:1]) or at.startswith("\\"), (path, at, value)

    order = [(("text",), text), (("call",) if call else ("goto",), node)]
    order += [(("if",), cond)] if cond else []
    order += [(("do", m), e) for m, e in enumerate(effects)]
    for path, value in order:
        written_at(path, value)
    marks = [doc.marks[cpath + path] for path, _ in order]
    assert marks == sorted(marks) and len(set(marks)) == len(marks)


def test_the_documented_surprises_are_what_happens(tmp_path):
    """docs/choice-lines.md's table of lines that say something else than meant: each row is true."""
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "choice-lines.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `- (.+?)` \| (.+?) \|", page, re.M)
    assert len(rows) >= 6
    for i, (written, read_as) in enumerate(rows):
        line = written.replace("porch", "desk")
        text = SHORT.replace("      - Back to the desk. -> desk", f"      - {line}")
        codes = {d.code for d in diagnostics(tmp_path, text, f"row{i}")}
        want = re.match(r"`([a-z-]+)`", read_as)
        assert codes == ({want.group(1)} if want else set()), (written, codes)


# ---- a property over generated stories: written on one line, the same story -------------------


def as_line(c: dict) -> str | None:
    """The one-line form of the long-form choice `c`, or None where the line cannot say it."""
    if set(c) - {"text", "goto", "call", "if", "do", "canon"} or re.search(r"(?<!\S)->(?!\S)", c["text"]):
        return None
    way = f"{c['call']} ->" + (f" {c['goto']}" if c.get("goto") else "") if c.get("call") else c["goto"]
    line = f"{c['text']} -> {way}" + (" canon" if c.get("canon") else "")
    line += f" if {c['if']}" if c.get("if") is not None else ""
    do = [c["do"]] if isinstance(c.get("do"), str) else c.get("do") or []
    line += " do " + ", ".join(do) if do else ""
    want = {k: v for k, v in c.items() if v is not False and k != "do"} | ({"do": do} if do else {})
    try:
        return line if choiceline.parse(line).mapping() == want else None
    except choiceline.ChoiceLineError:
        return None


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(story_specs(max_chapters=2, max_nodes=5, guard_p=0.6, ink=True, calls=True), st.randoms())
def test_a_generated_story_written_on_one_line_is_the_same_story(spec, rnd):
    everything = json.dumps(spec)
    for ch in spec["chapters"].values():  # an id nothing counts is left out (a line has no `id`)
        for nid, node in ch["nodes"].items():
            for c in node.get("choices") or ():
                if c.get("id") and f"{nid}.{c['id']}" not in everything:
                    del c["id"]
    short = copy.deepcopy(spec)
    lines = 0
    for ch in short["chapters"].values():
        for node in ch["nodes"].values():
            for k, c in enumerate(node.get("choices") or ()):
                line = as_line(c)
                if line is not None and rnd.random() < 0.7:
                    node["choices"][k] = line
                    lines += 1
    with tempfile.TemporaryDirectory() as where:
        long_story, _ = compile_spec(spec, where + "/long")
        short_story, _ = compile_spec(short, where + "/short")
    assert without_places(compiled.to_json(short_story)) == without_places(compiled.to_json(long_story)), lines


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -> ifdocanon,\"'()=\n\t{}#:é")), max_size=60), st.booleans())
def test_any_line_is_read_or_refused_with_a_message_at_a_place_in_it(line, quoted):
    src = f"id: c\nnodes:\n  hall:\n    choices:\n      - {json.dumps(line) if quoted else line}\n"
    try:
        doc = load_text(src, "c.yaml")
    except ChronicleError:
        return
    choices = doc.data.get("nodes", {}).get("hall", {}).get("choices") if isinstance(doc.data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], str):
        return
    for d in choiceline.expand(doc, src):
        assert d.code == "choice-line" and d.pos.file == "c.yaml" and d.pos.line is not None and d.pos.line >= 5

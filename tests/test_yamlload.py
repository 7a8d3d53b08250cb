"""engine.yamlload: YAML -> plain values with positions, and every way a file can be refused."""

from __future__ import annotations

import math

import pytest
import yaml
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import yamlload
from engine.codes import CODES
from engine.diagnostics import ChronicleError, Pos
from engine.yamlload import Document, load_file, load_text


def refused(text, file="f.yaml") -> ChronicleError:
    with pytest.raises(ChronicleError) as info:
        load_text(text, file)
    return info.value


def only(err: ChronicleError):
    assert len(err.diagnostics) == 1, err
    return err.diagnostics[0]


def where(d) -> tuple[str, int, int]:
    return (d.pos.file, d.pos.line, d.pos.col)


# ---- good files: values and positions -------------------------------------------

CHAPTER = """\
# a comment
id: riyadh-1980
period: {from: 1980-06, to: 1980-12}
nodes:
  majlis:
    date: 1980-08-02
    text: |
      Prose.
    choices:
      - text: Ask.
        do: [asked = true, nerve += 1]
        goto: embassy
        canon: true
"""


def test_values_of_a_chapter():
    doc = load_text(CHAPTER, "chapters/riyadh-1980.yaml")
    assert isinstance(doc, Document)
    assert doc.file == "chapters/riyadh-1980.yaml"
    assert doc.data == {
        "id": "riyadh-1980",
        "period": {"from": "1980-06", "to": "1980-12"},
        "nodes": {
            "majlis": {
                "date": "1980-08-02",
                "text": "Prose.\n",
                "choices": [{"text": "Ask.", "do": ["asked = true", "nerve += 1"], "goto": "embassy", "canon": True}],
            }
        },
    }


def test_positions_of_values_and_keys():
    doc = load_text(CHAPTER, "c.yaml")
    assert doc.pos(()) == Pos("c.yaml", 2, 1)
    assert doc.pos(("id",)) == Pos("c.yaml", 2, 5)
    assert doc.key_pos(("id",)) == Pos("c.yaml", 2, 1)
    assert doc.pos(("period", "to")) == Pos("c.yaml", 3, 29)
    assert doc.key_pos(("period", "to")) == Pos("c.yaml", 3, 25)
    assert doc.key_pos(("nodes", "majlis")) == Pos("c.yaml", 5, 3)
    assert doc.pos(("nodes", "majlis", "date")) == Pos("c.yaml", 6, 11)
    assert doc.pos(("nodes", "majlis", "choices", 0)) == Pos("c.yaml", 10, 9)
    assert doc.pos(("nodes", "majlis", "choices", 0, "do", 1)) == Pos("c.yaml", 11, 28)
    assert doc.key_pos(("nodes", "majlis", "choices", 0, "goto")) == Pos("c.yaml", 12, 9)
    assert doc.marks[("nodes", "majlis", "choices", 0, "canon")] == (13, 16)


def test_pos_falls_back_to_the_nearest_ancestor():
    doc = load_text(CHAPTER, "c.yaml")
    # no such value: the nearest ancestor that has a position
    assert doc.pos(("nodes", "majlis", "choices", 0, "if")) == doc.pos(("nodes", "majlis", "choices", 0))
    assert doc.pos(("nope", 3)) == doc.pos(())
    # key_pos without a key (a list item) falls back to pos
    assert doc.key_pos(("nodes", "majlis", "choices", 0)) == doc.pos(("nodes", "majlis", "choices", 0))
    # any iterable of keys works (jsonschema hands over deques)
    from collections import deque

    assert doc.pos(deque(["id"])) == doc.pos(("id",))


def test_marks_are_plain_tuples():
    doc = load_text(CHAPTER, "c.yaml")
    assert all(type(k) is tuple and type(v) is tuple for k, v in doc.marks.items())
    assert all(type(v) is tuple for v in doc.key_marks.values())


@pytest.mark.parametrize(
    "text, value",
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("FALSE", False),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("~", None),
        ("", None),
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("+3", 3),
        ("0042", 42),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        # YAML 1.1 would turn these into bools, dates, sexagesimals or octals; 1.2 core keeps them text
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("Yes", "Yes"),
        ("1980-08-02", "1980-08-02"),
        ("1980-08", "1980-08"),
        ("1957/1959", "1957/1959"),
        ("1:20", "1:20"),
        ("0x1F", "0x1F"),
        ("0o17", "0o17"),
        ("1_000", "1_000"),
        (".inf", ".inf"),
        (".nan", ".nan"),
        ("tRUE", "tRUE"),
        ("nul", "nul"),
        ("'true'", "true"),
        ('"12"', "12"),
        ("'1980'", "1980"),
        ("'~'", "~"),
        ("''", ""),
        ("|\n  12\n", "12\n"),
        (">-\n  true\n", "true"),
        ("!!str 12", "12"),
        ("!!str true", "true"),
        ("!!int '12'", 12),
        ("!!int 0x1F", 31),
        ("!!float 3", 3.0),
        ("!!float '.inf'", math.inf),
        ("!!bool 'false'", False),
        ("!!null ''", None),
        ("! 12", "12"),
    ],
)
def test_scalar_types_follow_yaml_1_2_core(text, value):
    got = load_text(f"v: {text}", "f.yaml").data["v"]
    assert got == value and type(got) is type(value)


def test_explicit_collection_tags_are_allowed():
    assert load_text("a: !!map {x: 1}\nb: !!seq [1]\n", "f").data == {"a": {"x": 1}, "b": [1]}


def test_keys_are_text_as_written():
    doc = load_text("1980: a\ntrue: b\n1.50: c\n~: d\n'x': e\n", "f")
    assert doc.data == {"1980": "a", "true": "b", "1.50": "c", "~": "d", "x": "e"}
    assert all(type(k) is str for k in doc.data)


def test_a_bom_is_fine():
    assert load_text(b"\xef\xbb\xbfa: 1\n", "f").data == {"a": 1}
    assert load_text("\ufeffa: 1\n", "f").data == {"a": 1}
    assert load_text(b"\xef\xbb\xbfa: 1\n", "f").pos(("a",)) == Pos("f", 1, 4)


def test_unicode_columns_count_characters():
    doc = load_text("place: \u0627\u0644\u0631\u064a\u0627\u0636\nb: [\u00e9\u00e9, x]\n", "f")
    assert doc.pos(("b", 1)) == Pos("f", 2, 9)


def test_load_file_reads_and_names_the_file(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_bytes(CHAPTER.encode())
    doc = load_file(p)
    assert doc.file == str(p)
    assert doc.data["id"] == "riyadh-1980"
    assert load_file(str(p), display="chapters/c.yaml").pos(("id",)) == Pos("chapters/c.yaml", 2, 5)


# ---- anchors and aliases ---------------------------------------------------------


def test_aliases_reuse_the_value_and_point_at_the_alias():
    doc = load_text("a: &x {p: 1, q: [1, 2]}\nb: *x\nc: [*x]\n", "f")
    assert doc.data["b"] is doc.data["a"] and doc.data["c"][0] is doc.data["a"]
    assert doc.pos(("b",)) == Pos("f", 2, 4)
    # values inside an aliased subtree fall back to the alias
    assert doc.pos(("b", "q", 1)) == Pos("f", 2, 4)
    assert doc.pos(("c", 0, "p")) == Pos("f", 3, 5)
    assert doc.pos(("a", "q", 1)) == Pos("f", 1, 21)


def test_an_anchor_may_be_redefined():
    assert load_text("a: &x 1\nb: *x\nc: &x 2\nd: *x\n", "f").data == {"a": 1, "b": 1, "c": 2, "d": 2}


def test_too_many_aliases():
    text = "a: &x 1\nb: [" + ", ".join(["*x"] * 101) + "]\n"
    d = only(refused(text))
    assert d.code == "yaml-alias-limit" and "100" in d.message
    assert where(d)[1] == 2
    load_text("a: &x 1\nb: [" + ", ".join(["*x"] * 100) + "]\n", "f")  # 100 is fine


def test_billion_laughs_fails_fast_with_bounded_memory():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    d = only(refused("\n".join(lines) + "\n"))
    assert d.code == "yaml-alias-limit"
    assert "expand" in d.message


def test_expansion_counts_nested_aliases():
    # 8 levels of doubling with 16 aliases: fine below the limit, refused above it
    lines = ["a0: &a0 [" + ",".join(["x"] * 1000) + "]"]
    for i in range(1, 11):
        lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]")
    d = only(refused("\n".join(lines)))  # 2 + 4 + ... + 2**10 copies of 1001 values > 1,000,000
    assert d.code == "yaml-alias-limit"
    load_text("\n".join(lines[:9]), "f")


def test_undefined_and_recursive_aliases():
    d = only(refused("a: 1\nb: *nope\n"))
    assert (d.code, where(d)) == ("yaml-syntax", ("f.yaml", 2, 4))
    assert "nope" in d.message
    d = only(refused("a: &x [1, *x]\n"))
    assert d.code == "yaml-alias-limit" and where(d) == ("f.yaml", 1, 11)


# ---- refusals: each with its code, file, line and column -----------------------------


def test_duplicate_key_points_at_the_second_and_names_the_first():
    d = only(refused("id: a\ntitle: T\nid: b\n", "c.yaml"))
    assert (d.code, where(d)) == ("yaml-duplicate-key", ("c.yaml", 3, 1))
    assert "'id'" in d.message and "line 1" in d.message


def test_duplicate_keys_in_nested_and_flow_mappings():
    d = only(refused("n:\n  m: {a: 1, b: 2, a: 3}\n"))
    assert (d.code, where(d)) == ("yaml-duplicate-key", ("f.yaml", 2, 19))
    d = only(refused("a: 1\n'a': 2\n"))  # the same key, quoted
    assert d.code == "yaml-duplicate-key"


def test_all_duplicate_and_tag_problems_come_together():
    text = "a: 1\nb: !!python/object/apply:os.system [ls]\na: 2\nc:\n  x: !custom 1\n  x: 2\nd: !!binary aGk=\n"
    err = refused(text)
    got = [(d.code, d.pos.line, d.pos.col) for d in err.diagnostics]
    assert got == [
        ("yaml-tag", 2, 4),
        ("yaml-duplicate-key", 3, 1),
        ("yaml-tag", 5, 6),
        ("yaml-duplicate-key", 6, 3),
        ("yaml-tag", 7, 4),
    ]
    assert "!!python/object/apply:os.system" in err.diagnostics[0].message


def test_unsafe_tags_are_never_constructed(tmp_path):
    marker = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    d = only(refused(text))
    assert d.code == "yaml-tag"
    assert not marker.exists()


@pytest.mark.parametrize(
    "text", ["a: !!int abc\n", "a: !!bool yes\n", "a: !!float x\n", "a: !!null 0\n", "a: !!map [1]\n", "a: !!str [1]\n"]
)
def test_a_standard_tag_on_the_wrong_value(text):
    assert only(refused(text)).code == "yaml-tag"


def test_depth_limit():
    ok = "[" * 64 + "]" * 64
    load_text(ok, "f")
    d = only(refused("[" * 65 + "]" * 65))
    assert (d.code, where(d)) == ("yaml-depth", ("f.yaml", 1, 65))


def test_ten_thousand_levels_fail_cleanly_and_fast():
    for text in (
        "[" * 10_000 + "]" * 10_000,
        "{a: " * 10_000 + "}" * 10_000,
        "".join(" " * i + "- \n" for i in range(0, 2000, 2)),
    ):
        d = only(refused(text))
        assert d.code == "yaml-depth"


def test_depth_counts_aliased_subtrees():
    deep = "[" * 40 + "]" * 40
    d = only(refused(f"a: &x {deep}\nb: " + "[" * 30 + "*x" + "]" * 30 + "\n"))
    assert (d.code, where(d)[1]) == ("yaml-depth", 2)


def test_more_than_one_document():
    d = only(refused("a: 1\n---\nb: 2\n"))
    assert (d.code, where(d)) == ("yaml-multi-document", ("f.yaml", 2, 1))
    assert only(refused("a: 1\n...\n---\n")).code == "yaml-multi-document"
    assert load_text("---\na: 1\n...\n", "f").data == {"a": 1}  # one explicit document is fine


@pytest.mark.parametrize(
    "text", ["", "   \n\n", "# only a comment\n  # another\n", "---\n", "--- # hi\n...\n", b"", b"\xef\xbb\xbf"]
)
def test_empty_files(text):
    d = only(refused(text, "c.yaml"))
    assert (d.code, d.pos.file) == ("yaml-empty", "c.yaml")


def test_not_utf8_names_line_and_column_of_the_first_bad_byte():
    d = only(refused(b"id: a\ntitle: caf\xe9 au lait\n", "c.yaml"))
    assert (d.code, where(d)) == ("yaml-encoding", ("c.yaml", 2, 11))
    d = only(refused("a: \u00e9\u00e9\nb: ".encode() + b"\xff", "c.yaml"))
    assert (d.code, where(d)) == ("yaml-encoding", ("c.yaml", 2, 4))
    d = only(refused("a: 1\n".encode("utf-16"), "c.yaml"))
    assert d.code == "yaml-encoding" and "UTF-16" in d.message


def test_control_characters():
    d = only(refused("a: 1\nb: x\x07y\n"))
    assert (d.code, where(d)) == ("yaml-character", ("f.yaml", 2, 5))
    assert "U+0007" in d.message


def test_a_list_or_mapping_as_a_key():
    d = only(refused("? [a, b]\n: 1\n"))
    assert (d.code, where(d)) == ("yaml-key", ("f.yaml", 1, 3))
    assert only(refused("a: &k {x: 1}\n*k : 2\n")).code == "yaml-key"


@pytest.mark.parametrize(
    "text, line, col, words",
    [
        ("a: b: c\n", 1, 5, "':'"),
        ("a:\n  - x\n b: 2\n", 3, 2, "key"),
        ("a: [1, 2\nb: 3\n", 2, 2, "']'"),
        ("a: 'unclosed\n", 2, 1, "ends before"),
        ("a:\n\tb: 1\n", 2, 1, "tab"),
        ("- a\nb: 1\n", 2, 1, "list"),
        ("a: @x\n", 1, 4, "cannot start"),
        ('key: "abc" def\n', 1, 12, "key"),
    ],
)
def test_syntax_errors_in_plain_words(text, line, col, words):
    d = only(refused(text, "c.yaml"))
    assert (d.code, where(d)) == ("yaml-syntax", ("c.yaml", line, col))
    assert words in d.message
    assert "<" not in d.message and "while parsing" not in d.message
    assert d.hint
    if words == "tab":
        assert "spaces" in d.hint


def test_syntax_error_comes_with_problems_found_before_it():
    err = refused("a: 1\na: 2\nb: [\n")
    assert [d.code for d in err.diagnostics] == ["yaml-duplicate-key", "yaml-syntax"]


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ChronicleError) as info:
        load_file(tmp_path / "nope.yaml", display="chapters/nope.yaml")
    d = only(info.value)
    assert (d.code, d.pos.file) == ("file-missing", "chapters/nope.yaml")
    with pytest.raises(ChronicleError) as info:
        load_file(tmp_path)
    assert only(info.value).code == "file-missing"


def test_files_over_32_mib_are_refused(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(yamlload.MAX_BYTES + 1)
    with pytest.raises(ChronicleError) as info:
        load_file(big, display="big.yaml")
    d = only(info.value)
    assert (d.code, d.pos.file) == ("file-too-large", "big.yaml")
    assert "32 MiB" in d.message


def test_oversized_text_is_refused(monkeypatch):
    monkeypatch.setattr(yamlload, "MAX_BYTES", 100)
    assert only(refused("a: " + "x" * 200)).code == "file-too-large"
    assert only(refused(b"a: " + b"x" * 200)).code == "file-too-large"
    assert only(refused("a: " + "\u00e9" * 60)).code == "file-too-large"  # 123 bytes in UTF-8


def test_a_huge_number_is_a_clean_error():
    d = only(refused("a: " + "9" * 5000 + "\n"))
    assert d.code == "yaml-syntax" and "digits" in d.message


def test_every_code_used_here_is_in_the_catalogue():
    import re
    from pathlib import Path

    text = Path(yamlload.__file__).read_text()
    used = set(re.findall(r'"((?:yaml|file)-[a-z-]+)"', text))
    assert used and used <= set(CODES), used - set(CODES)
    assert {c.area for k, c in CODES.items() if k in used} == {"load"}


# ---- speed ------------------------------------------------------------------------


def test_a_large_chapter_loads_quickly():
    nodes = "".join(
        f"  n{i}:\n    date: 1980-08-{i % 28 + 1:02d}\n    text: |\n      The majlis is quiet tonight, and the radio from Baghdad says nothing new.\n"
        f"    choices:\n      - text: Wait.\n        do: [nerve += 1]\n        goto: n{i + 1}\n      - {{text: Leave., goto: end}}\n"
        for i in range(2000)
    )
    text = "id: big\nnodes:\n" + nodes
    doc = load_text(text, "big.yaml")
    assert len(doc.data["nodes"]) == 2000
    assert doc.pos(("nodes", "n1999", "choices", 1, "goto")) == Pos("big.yaml", 2 + 1999 * 9 + 9, 30)


# ---- properties -------------------------------------------------------------------

YAMLISH = st.text(alphabet="ab1-:[]{},&*!|>'\"#?%@ \n\t.~", max_size=60)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), YAMLISH))
def test_junk_text_raises_only_chronicle_error(text):
    try:
        doc = load_text(text, "junk.yaml")
    except ChronicleError as e:
        assert e.diagnostics and all(d.code in CODES and d.pos.file == "junk.yaml" for d in e.diagnostics)
    else:
        assert doc.file == "junk.yaml"


@settings(max_examples=examples(300), deadline=None)
@given(st.binary(max_size=200))
def test_junk_bytes_raise_only_chronicle_error(data):
    try:
        load_text(data, "junk.yaml")
    except ChronicleError as e:
        assert e.diagnostics and all(d.code in CODES for d in e.diagnostics)


_RESOLVER = yaml.resolver.Resolver()


def _dumper_and_loader_agree(s: str) -> bool:
    """PyYAML's dumper follows YAML 1.1: it writes '09' or '1e3' unquoted, which YAML
    1.2 core (and so our loader) reads as numbers. Those strings cannot round-trip
    through yaml.safe_dump; everything else must."""
    if yamlload._plain(s) == s and type(yamlload._plain(s)) is str:
        return True
    return _RESOLVER.resolve(yaml.ScalarNode, s, (True, False)) != "tag:yaml.org,2002:str"


# NEL, LS and PS are line breaks to YAML 1.1, and PyYAML's emitter writes them raw
# inside plain scalars, where every reader folds them: a dumper quirk, not ours.
_chars = st.characters(exclude_characters="\x85\u2028\u2029", exclude_categories=("Cs",))
_text = st.text(_chars, max_size=20).filter(_dumper_and_loader_agree)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
)
_data = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(_chars, max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=examples(150), deadline=None)
@given(_data, st.booleans())
def test_safe_dump_round_trips(value, flow):
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    doc = load_text(text, "rt.yaml")
    assert doc.data == value
    assert _same_types(doc.data, value)


def _same_types(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return all(_same_types(x, y) for x, y in zip(a, b))
    return True


def test_the_yaml_1_1_dumper_differences_are_real():
    # Documents the filter above: these strings come back as numbers.
    for s in ("09", "1e3", "1.5e3"):
        assert yaml.safe_dump(s).startswith(s)
        assert type(load_text(yaml.safe_dump(s), "f").data) is not str


# ---- without libyaml --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\r\nb: [x, y]\r\n",
        "a: 1\nb: 2\na: 3\nc: !x 1\n",
        "---\n",
        "a: 1\n---\nb: 2\n",
        "[" * 65 + "]" * 65,
        "a: b: c\n",
        "? [a]\n: 1\n",
        "a: &x [1]\nb: *x\n",
        "x: ! 12\ny: 'q'\nz: |\n  t\nw: 1.5\nv: yes\n",
    ],
)
def test_the_pure_python_parser_gives_the_same_answers(text, monkeypatch):
    def outcome():
        try:
            d = load_text(text, "f")
            return (d.data, d.marks, d.key_marks)
        except ChronicleError as e:
            return [(x.code, x.pos) for x in e.diagnostics]

    with_libyaml = outcome()
    monkeypatch.setattr(yamlload, "Loader", yaml.SafeLoader)
    assert outcome() == with_libyaml

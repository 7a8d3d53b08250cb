"""Continuity in the prose itself (issue 22): a fact's `mentions:`/`mentions_not:` hold every
text a reader can see to the history of its path, marked or not, at the very word."""

from __future__ import annotations

import re

import pytest
from conftest import examples, no_cache, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import mentions as mn
from engine import runtime as rt
from engine.check import check_story
from engine.compile import compile_story, load_story

HISTORY = """\
facts: []
story_facts:
  - id: hashim-went-to-syria
    date: 1984
    statement: Major Hashim al-Saffar goes to Syria as Baghdad's missile officer.
    holds: not iraq_stayed_out
    instead: Hashim stays in Baghdad; Iraq keeps its missiles at home.
    mentions: ["(went|go|going) to Syria", "home from Syria", "the? volunteers in Syria"]
    mentions_not: ["never went to Syria", "stayed out of Syria"]
"""

MANIFEST = """\
title: The Volunteers
intro: {intro}
chapters: [one]
flags:
  iraq_stayed_out: {{type: bool, default: false, doc: Iraq sent nobody to Syria}}
  grief: {{type: int, default: 0, min: 0, max: 2, doc: How much the widows grieve}}
epilogue:
{epilogue}
"""

CHAPTER = """\
id: one
title: Baghdad
start: office
nodes:
  office:
    text: The telephone rings in the ministry.
    choices:
      - text: Send the officers.
        goto: farewell
      - text: Keep Iraq out of it.
        do: iraq_stayed_out = true
        goto: farewell
  farewell:
    text:
{farewell}
    choices:
{choices}
  done:
    text: The year turns.
    ending: {{title: {title}}}
"""

PLAIN_CHOICES = """\
      - text: Go on.
        goto: done
"""


def story(
    tmp_path,
    farewell="      - Nothing more is said.",
    choices=PLAIN_CHOICES,
    epilogue="  - It was a long decade.",
    intro="A story of 1984.",
    title="The Year Turns",
    history=HISTORY,
):
    root = tmp_path / "s"
    (root / "story").mkdir(parents=True)
    (root / "chapters").mkdir()
    (root / "story" / "story.yaml").write_text(MANIFEST.format(intro=intro, epilogue=epilogue))
    (root / "story" / "history.yaml").write_text(history)
    (root / "chapters" / "one.yaml").write_text(CHAPTER.format(farewell=farewell, choices=choices, title=title))
    return root


def check(root):
    with no_cache():
        s, diags = compile_story(root)
    assert s is not None, [d.render() for d in diags]
    return [d for d in check_story(s).diagnostics if d.code != "flag-unread"]  # (`grief` is only read here and there)


def continuity(root):
    return [d for d in check(root) if d.code == "continuity"]


def line_col(d):
    return (d.pos.line, d.pos.col)


def at(root, needle, file="chapters/one.yaml"):
    """(line, col) of the only occurrence of `needle` in the file, counted independently."""
    text = (root / file).read_text()
    assert text.count(needle) == 1, needle
    i = text.index(needle)
    return (text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1)


# ---- the patterns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, text, words",
    [
        ("went to Syria", "the men who WENT TO syria in 1984", "WENT TO syria"),
        ("went to Syria", "they went\nto Syria", "went\nto Syria"),
        ("went to Syria", "a wentto Syria", None),
        ("Syria", "a Syrian officer", None),
        ("Syria", "Syria's border", "Syria"),
        ("went to Syria | fought in Syria", "they fought in Syria", "fought in Syria"),
        ("(went|travelled) to Syria", "who travelled to Syria", "travelled to Syria"),
        ("the? volunteers", "our volunteers", "volunteers"),
        ("the? volunteers", "the volunteers", "the volunteers"),
        ("(did not)? come home", "did not come home", "did not come home"),
        ("the * launchers", "the three launchers", "the three launchers"),
        ("the * launchers", "the launchers", None),
        ("Baghdad's men", "Baghdad’s men", "Baghdad’s men"),
        ("went to Syria", "went to\n\nSyria", None),  # not across a paragraph break
    ],
)
def test_pattern_syntax(pattern, text, words):
    p = mn.parse(pattern)
    m = p.regex.search(text)
    assert (m.group() if m else None) == words
    if m:  # the cheap test that lets the check skip the regex never skips a text it matches
        assert mn.may_match(p.anchors, mn.fold(text))


def test_the_cheap_test_knows_every_letter_that_matches_an_ascii_one():
    """`fold` must turn every character IGNORECASE matches to an ASCII letter or digit into that
    letter, or `may_match` could skip a text whose words a pattern does match."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    for a in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-":
        missed = [c for c in re.findall(re.escape(a), every, re.IGNORECASE) if a.lower() not in mn.fold(c)]
        assert missed == [], (a, missed)


_WORDS = ["Syria", "went", "to", "Baghdad's", "al-Saffar", "the", "men", "Kuwait", "sıria", "ſyria", "\u212auwait"]


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_WORDS[:7] + ["*", "(went | the)"]), st.booleans()), min_size=1, max_size=4
    ).filter(lambda items: not all(opt for _w, opt in items)),
    st.lists(st.sampled_from(_WORDS + ["SYRIA", "WENT", "Baghdad’s", "AL-SAFFAR", "\n", ",", "."]), max_size=8),
)
def test_the_cheap_test_never_skips_a_text_a_pattern_matches(items, words):
    pattern = " ".join(w + ("?" if opt else "") for w, opt in items)
    p = mn.parse(pattern)
    text = " ".join(words)
    if p.regex.search(text):
        assert mn.may_match(p.anchors, mn.fold(text)), (pattern, text, p.anchors)


@pytest.mark.parametrize("bad", ["went.*", "Syria$", "(a (b))", "(a", "a)", "? a", "a | | b", "a? b?", "[x]", ""])
def test_pattern_mistakes_are_refused_never_run_as_regex(bad):
    with pytest.raises(mn.PatternError):
        mn.parse(bad)


def test_a_bad_pattern_is_mention_syntax_where_it_is_written(tmp_path):
    root = story(tmp_path, history=HISTORY.replace('"home from Syria"', '"home from (Syria"'))
    with no_cache():
        s, diags = compile_story(root)
    bad = [d for d in diags if d.code == "mention-syntax"]
    assert len(bad) == 1 and bad[0].is_error
    assert "home from (Syria" in bad[0].message and "never closed" in bad[0].message
    assert (bad[0].pos.file.endswith("history.yaml"), bad[0].pos.line) == (True, 8)


# ---- every text a reader can see ---------------------------------------------------------------


def test_a_clean_story_stays_clean(tmp_path):
    assert check(story(tmp_path)) == []


def test_an_unmarked_sentence_inside_an_inline_part_is_caught_at_its_word(tmp_path):
    farewell = '      - "The widows {grief > 0: weep|wait} for the men who did not come home from Syria."'
    root = story(tmp_path, farewell=farewell)
    (d,) = continuity(root)
    assert d.is_error and "'hashim-went-to-syria'" in d.message and '"home from Syria"' in d.message
    assert "iraq_stayed_out=true" in d.message
    assert line_col(d) == at(root, "home from Syria")
    assert d.replay.endswith("--replay 2")


def test_only_the_branch_that_says_it_is_judged(tmp_path):
    # the claim is in the inline branch shown only where Hashim went: no slip
    farewell = '      - "{not iraq_stayed_out: They went to Syria in the spring.|They stayed home.}"'
    assert continuity(story(tmp_path, farewell=farewell)) == []
    # ...and in the branch shown where he did not: a slip, at the word inside the branch
    farewell = '      - "{iraq_stayed_out: They went to Syria in the spring.|They stayed home.}"'
    root = story(tmp_path / "b", farewell=farewell)
    (d,) = continuity(root)
    assert line_col(d) == at(root, "went to Syria")


def test_else_and_sequences_are_scanned(tmp_path):
    farewell = """\
      - if: grief > 0
        text: The widows weep.
        else: "{&Tea is poured.|Someone says the volunteers in Syria wrote home.}"
"""
    root = story(tmp_path, farewell=farewell.rstrip("\n"))
    (d,) = continuity(root)
    assert "the `else` of text part 1 of node 'farewell'" in d.message and '"the volunteers in Syria"' in d.message
    assert line_col(d) == at(root, "the volunteers in Syria")


def test_choice_text_static_and_inline_are_scanned(tmp_path):
    choices = """\
      - text: Write to the men who went to Syria.
        goto: done
      - text: "Pray{iraq_stayed_out: for those going to Syria}."
        goto: done
"""
    root = story(tmp_path, choices=choices)
    found = continuity(root)
    assert {d.message.split(" says")[0] for d in found} == {
        "the text of choice 1 of node 'farewell'",
        "the text of choice 2 of node 'farewell'",
    }
    assert sorted(line_col(d) for d in found) == sorted([at(root, "went to Syria"), at(root, "going to Syria}")])


def test_say_is_judged_after_its_choice_s_effects(tmp_path):
    # said as the choice makes it true: no slip; said as the choice breaks it: a slip
    choices = """\
      - text: Sign the order.
        do: iraq_stayed_out = false
        say: The order sends the officers going to Syria.
        goto: done
      - text: Tear up the order.
        do: iraq_stayed_out = true
        say: You tear up the order sending them going to Syria.
        goto: done
"""
    root = story(tmp_path, choices=choices)
    (d,) = continuity(root)
    assert "the `say:` of choice 2 of node 'farewell'" in d.message
    line, col = at(root, "them going to Syria")
    assert line_col(d) == (line, col + len("them "))


def test_ending_title_epilogue_and_intro_are_scanned(tmp_path):
    root = story(
        tmp_path,
        title="Home from Syria",
        epilogue='  - "Years on, {grief > 0: the widows|the town} still speak of the volunteers in Syria."',
        intro="1984. Iraq never went to Syria.",
    )
    found = {d.message.split(" says")[0]: d for d in continuity(root)}
    assert set(found) == {"the title of ending 'done'", "epilogue part 1", "the intro"}
    assert line_col(found["epilogue part 1"]) == at(root, "the volunteers in Syria", "story/story.yaml")
    assert "did not happen" in found["the intro"].message  # a `mentions_not` where it holds
    assert line_col(found["the intro"]) == at(root, "never went to Syria", "story/story.yaml")
    assert found["the title of ending 'done'"].pos.line == at(root, "Home from Syria")[0]


def test_a_denial_inside_a_claim_is_the_denial(tmp_path):
    # "never went to Syria" holds "went to Syria": it is one denial, judged as one
    farewell = """\
      - if: iraq_stayed_out
        text: Hashim never went to Syria.
        else: Hashim went to Syria.
"""
    assert continuity(story(tmp_path, farewell=farewell.rstrip("\n"))) == []


def test_a_marked_part_is_judged_by_its_mark(tmp_path):
    farewell = """\
      - text: They say Hashim went to Syria, but it was another man.
        denies: [hashim-went-to-syria]
"""
    (d,) = continuity(story(tmp_path, farewell=farewell.rstrip("\n")))
    assert "denies story fact 'hashim-went-to-syria'" in d.message and "says" not in d.message


def test_a_hypothetical_allowed_is_not_caught_and_a_stale_allow_is_reported(tmp_path):
    farewell = """\
      - text: Had Baghdad said yes, he would go to Syria with the rest.
        allow: [mention]
"""
    assert [d.code for d in check(story(tmp_path, farewell=farewell.rstrip("\n")))] == []
    farewell = """\
      - text: The telephone stops ringing.
        allow: [mention]
"""
    root = story(tmp_path / "b", farewell=farewell.rstrip("\n"))
    (d,) = check(root)
    assert d.code == "allow-unused" and "allows 'mention'" in d.message
    assert d.pos.line == at(root, "text: The telephone stops")[0]


def test_the_replay_shows_the_words(tmp_path):
    farewell = '      - "The widows {grief > 0: weep|wait} for the men who did not come home from Syria."'
    root = story(tmp_path, farewell=farewell)
    (d,) = continuity(root)
    args = d.replay.split()[2:]  # after "chronicle play"
    proc = run_cli("play", "--story", str(root), *[a.strip('"') for a in args])
    assert proc.returncode == 0, proc.stderr
    assert "home from Syria" in proc.stdout


def test_a_story_from_compiled_json_still_checks_mentions(tmp_path):
    from engine.export import compiled

    farewell = '      - "The widows {grief > 0: weep|wait} for the men who did not come home from Syria."'
    s = load_story(story(tmp_path, farewell=farewell))
    path = tmp_path / "s.json"
    path.write_text(compiled.dumps(s))
    again = compiled.load(path)
    found = [d for d in check_story(again).diagnostics if d.code == "continuity"]
    assert len(found) == 1 and found[0].pos.file.endswith("one.yaml")
    assert rt.start(again, "one") is not None


UNMARKED_HISTORY = """\
facts: []
story_facts:
  - id: iraq-sends-volunteers
    date: 1984
    statement: Iraq sends volunteers to Syria to help it in its war with Israel.
    holds: not iraq_stayed_out
"""


def test_an_unmarked_claim_in_a_fact_s_own_words_is_a_warning_when_asked_for(tmp_path):
    farewell = '      - "{iraq_stayed_out: They remember the volunteers who went to Syria in 1984.|Nothing.}"'
    root = story(tmp_path, farewell=farewell, history=UNMARKED_HISTORY)
    assert check(root) == []  # not asked for: the story has no `style: {unmarked_claims: true}`
    manifest = root / "story" / "story.yaml"
    manifest.write_text(manifest.read_text() + "style: {unmarked_claims: true}\n")
    (d,) = check(root)
    assert (d.code, d.severity) == ("unmarked-claim", "warning")
    assert "'iraq-sends-volunteers'" in d.message and "iraq_stayed_out=true" in d.message
    assert line_col(d) == at(root, "volunteers who went to Syria")
    # shown only where the fact holds: nothing to say
    farewell = '      - "{not iraq_stayed_out: They remember the volunteers who went to Syria in 1984.|Nothing.}"'
    (root / "chapters" / "one.yaml").write_text(CHAPTER.format(farewell=farewell, choices=PLAIN_CHOICES, title="End"))
    assert check(root) == []

"""The story keeps its house style (docs/house-style.md): one spelling for each word,
one mark for each job, across chapters/ and story/.

Only prose is read: every string in the YAML except ids, expressions and the seed's own
words (a fact's source quote, a reading's source, and double-quoted words in a note, which
quote the seed). A failure names file:line and the variant, so an author can fix it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from engine import choiceline

ROOT = Path(__file__).parent.parent
FILES = sorted((ROOT / "chapters").glob("*.yaml")) + sorted((ROOT / "story").glob("*.yaml"))

# Keys whose strings are not prose: ids, flag names, expressions, dates, the seed's words.
NOT_PROSE = {
    "id",
    "if",
    "do",
    "goto",
    "holds",
    "date",
    "period",
    "refs",
    "records",
    "diverges",
    "asserts",
    "denies",
    "kind",
    "type",
    "values",
    "default",
    "chapters",
    "source",
    "quote",
    "next",
    "at",
    "set",
    "when",
    "requires",
    "min",
    "max",
}
# A note in history.yaml quotes the seed in double quotes; those words keep the seed's spelling.
QUOTES_SEED = {"note"}

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
OFFICIAL_DEFENSE = re.compile(r"Ministry of Defense and Aviation|Department of Defense|Israel Defense Forces")
IZE_STEMS = (
    "real|organ|recogn|apolog|civil|author|emphas|special|character|memor|critic|symbol|"
    "sympath|util|minim|maxim|mobil|neutral|normal|legal|central|stabil|subsid|summar|"
    "familiar|categor|jeopard|patron|prior|agon|terror|modern|colon|national|capital|"
    "fertil|formal|general|equal|visual|ideal|tantal|scrutin|harmon|item|idol|final|"
    "radical|rational|revolution|sanit|hospital|vandal|vocal|moral|polar|fantas|sermon|"
    "evangel|militar|victim|mesmer|hypnot|synchron|improv|energ|proselyt|romantic|"
    "sensit|spiritual|pulver|cauter|ostrac|baptiz|canon|demoral|desensit|legitim"
)

# (pattern, what to write instead). Each is a variant the house style rules out.
RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(p), fix)
    for p, fix in [
        # names and transliteration
        (r"\b(Quran|Koran)\b|Qur’an", "Qur'an"),
        (r"\b(Shiite|Shi'ite|Shi'a|Shiah)s?\b", "Shia"),
        (r"\bMoslems?\b", "Muslim"),
        (r"\b(Makkah|Madinah|Hijaz)\b", "Mecca, Medina, the Hejaz"),
        (r"\b(Jiddah|Jidda|Riyad)\b", "Jeddah, Riyadh"),
        (r"\bHafr al-Batin\b|\bNuwaisib\b", "Hafar al-Batin, Nuwaiseeb"),
        (r"\b(Qasim|Kassem|Kassim)\b", "Qassim"),
        (r"\bKianuri\b", "Kianouri"),
        (r"\b(Teheran|Mashad|Meshed|Qum|Esfahan|Ahwaz)\b", "Tehran, Mashhad, Qom, Isfahan, Ahvaz"),
        (r"\bBandar-[Ee]-? ?Abbas\b", "Bandar Abbas"),
        (r"(?<=[a-z,;:] )Al-(?=[A-Z])", "al- (lower case inside a sentence)"),
        (r"[āīūēōḥṣṭẓḍġʿʾ]", "no diacritics in transliteration"),
        # borrowed words
        (r"\b[Aa]ttache(s|'s)?\b", "attaché"),
        (r"\b[Cc]harge d['’][Aa]ffaires\b", "chargé d'affaires"),
        (r"\b[Cc]ommunique(s)?\b", "communiqué"),
        (r"\b[Cc]afe(s)?\b", "café"),
        (r"\b[Ee]migre(s)?\b", "émigré"),
        (r"\b[Dd]etente\b", "détente"),
        (r"\bcoup d'etat\b", "coup d'état"),
        (r"\b[Rr]égime", "regime"),
        # British spelling
        (r"\b[Dd]efense\b", "Defence (Defense only in official names)"),
        (r"\b[Oo]ffense\b", "offence"),
        (
            r"\b(colo|favo|hono|harbo|armo|rumo|neighbo|behavio|odo|vapo|savo|flavo|splendo|valo|ardo|"
            r"clamo|humo|rigo|endeavo|parlo)r(s|ed|ing|less|ful|ably|able)?\b",
            "-our",
        ),
        (
            r"\b(cent|theat|kilomet|centimet|millimet|lit|fib|sab|somb|calib|lust|spect|manoeuv|sepulch)"
            r"er(s|ed)?\b",
            "-re",
        ),
        (r"\b[Gg]ray(s|er|ish|ing)?\b", "grey"),
        (rf"(?i)\b({IZE_STEMS})iz(e|es|ed|ing|ation|ations)\b", "-ise"),
        (r"(?i)\b(anal|paral|catal)yz(e|es|ed|ing)\b", "-yse"),
        (
            r"\b(travel|cancel|label|model|level|signal|fuel|dial|quarrel|marvel|total|counsel|channel|"
            r"tunnel|shovel|jewel|duel|pedal|panel|funnel|gravel|revel|swivel|unravel)(ed|ing|er|ers)\b",
            "-ll-",
        ),
        (
            r"\b(program|programs|jewelry|aluminum|pajamas|mustache|skeptic|skeptical|catalog|maneuver"
            r"|maneuvers|maneuvered|plow|plowed|gotten)\b",
            "programme, jewellery, aluminium, pyjamas, moustache, sceptic, catalogue, manoeuvre, plough, got",
        ),
        (r"\b(toward|afterward)\b", "towards, afterwards"),
        (r"%|\b[Pp]ercent\b", "per cent"),
        # punctuation
        (r"\s-{1,2}\s|--|–", "a closed em dash '—' (not a spaced hyphen, a double hyphen or an en dash)"),
        (r"\s—|—\s", "'—' closed up: no space or line break either side (the player joins wrapped lines with a space)"),
        (r"[‘’“”]", "straight quotes and apostrophes"),
        (r"…", "three full stops"),
        # dates and numbers
        (rf"\b({MONTHS}) \d{{1,2}}(st|nd|rd|th)?\b(?!\d)", "day month year: 24 July 1980"),
        (rf"\b\d{{1,2}}(st|nd|rd|th) (of )?({MONTHS})\b", "day month year, no ordinal: 24 July 1980"),
        (r"\d{4}'s\b|'\d0s\b|(?<![\w'])[1-9]0s\b", "the 1980s / the eighties"),
        (r"(?<![\d,.\-/])\d{5,}\b", "a comma in thousands: 12,500"),
    ]
]


def prose(node, key=None, path=()):
    """(line, style, key, text) for every prose string under a composed YAML node."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value not in NOT_PROSE:
                yield from prose(v, k.value, path + (k.value,))
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield from prose(v, key, path)
    elif isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str"):
        text = node.value
        if key == "choices":  # a choice on one line: its prose is the text before ` -> `
            text = choiceline.parse(text).text.src
        if key in QUOTES_SEED:
            text = re.sub(r'"[^"]*"', '""', text)
        yield node.start_mark.line + 1, node.style, key, text


def violations(path: Path) -> list[tuple[int, str, str, str]]:
    """(line, key, variant, what to write) for each variant the house style rules out."""
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    found = []
    for line, style, key, text in prose(root):
        for pattern, fix in RULES:
            for m in pattern.finditer(text):
                at = line + 1 + text.count("\n", 0, m.start()) if style == "|" else line
                near = text[max(0, m.start() - 12) : m.end() + 16]
                if fix.startswith("Defence") and OFFICIAL_DEFENSE.search(near):
                    continue
                found.append((at, key, m.group(0), fix))
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_story_keeps_the_house_style(path):
    found = [
        f"{path.relative_to(ROOT)}:{line} ({key}): {variant!r} -> {fix}" for line, key, variant, fix in violations(path)
    ]
    assert not found, "house style (docs/house-style.md):\n" + "\n".join(found)


def _check(text: str, tmp_path: Path) -> list:
    f = tmp_path / "x.yaml"
    f.write_text(text, encoding="utf-8")
    return violations(f)


@pytest.mark.parametrize(
    "bad",
    [
        "He keeps a Quran on the stand.",
        "the assistant military attache",
        "the charge d'affaires, alone",
        "the whole garden - the plane trees - smells",
        "the whole garden -- the plane trees",
        "the whole garden—\nthe plane trees",
        "the Ministry of Defense, Bab al-Mu'azzam",
        "the center of town",
        "He did not realize it.",
        "the smell of the harbor",
        "They gave him a grey and then a gray coat.",
        "Shiite militias",
        "He rode toward Basra.",
        "on July 24, 1980",
        "since the 80s",
        "the communiques call it a skirmish",
        "“Yes,” he says.",
        "Hafar Al-Batin",
    ],
)
def test_each_variant_is_caught(bad, tmp_path):
    assert _check(f"text: {yaml.safe_dump(bad).strip()}\n", tmp_path), bad


@pytest.mark.parametrize(
    "good",
    [
        "He keeps a Qur'an on the stand.",
        "the assistant military attaché and the chargé d'affaires",
        "the whole garden—the plane trees—smells of a kitchen fire",
        "Ministry of Defense and Aviation, Riyadh",
        "the Ministry of Defence, Bab al-Mu'azzam",
        "Al-Rawi comes to your room. He sees the size of it.",
        "on 24 July 1980, in the 1980s, a T-55 at 1,000 metres",
        "a parking meter; forty-one; the travel order",
    ],
)
def test_house_style_passes_its_own_examples(good, tmp_path):
    assert not _check(f"text: {yaml.safe_dump(good).strip()}\n", tmp_path), good


def test_expressions_and_seed_quotes_are_not_prose(tmp_path):
    doc = (
        'holds: "gulf_tension - 1 > 0"\n'
        'source: {paragraph: 4, quote: "By 1998, Ahvaz and Mashad had fallen"}\n'
        'note: The source says "the late 50s" and "Mashad".\n'
    )
    assert not _check(doc, tmp_path)
    assert _check("note: Mashad fell in the 80s.\n", tmp_path)


# ---- one spelling per name ---------------------------------------------------------------------

# Pairs that a transliteration-blind comparison puts together but that are two words or two
# people: Abu Salem the fisherman and Salim al-Saadi; Evin prison; a wadi and to wade.
DISTINCT = [{"Salem", "Salim"}, {"Even", "Evin"}, {"Wade", "Wadi"}]


def _name_key(word: str) -> str:
    """A name with the differences transliteration makes taken out: ou/u, q/k, kh/k, dh/d, e/i,
    an apostrophe or a possessive."""
    w = re.sub(r"'s$", "", word).lower().replace("'", "")
    for a, b in (("ou", "u"), ("kh", "k"), ("dh", "d"), ("q", "k"), ("e", "i")):
        w = w.replace(a, b)
    return w


def test_one_spelling_per_name_across_the_story():
    """The same name is spelled one way in every chapter and in story/ (Nuri, never also Nouri)."""
    spellings: dict[str, dict[str, str]] = {}
    for path in FILES:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        for line, _style, _key, text in prose(root):
            for m in re.finditer(r"\b[A-Z][a-z]+(?:'[a-z]+)?\b", text):
                word = re.sub(r"'s$", "", m.group(0))
                spellings.setdefault(_name_key(word), {}).setdefault(word, f"{path.relative_to(ROOT)}:{line}")
    clashes = [
        ", ".join(f"{w} ({at})" for w, at in sorted(seen.items()))
        for seen in spellings.values()
        if len(seen) > 1 and set(seen) not in DISTINCT
    ]
    assert not clashes, "one name, two spellings:\n" + "\n".join(clashes)


def test_the_name_check_catches_a_second_spelling():
    assert _name_key("Nouri") == _name_key("Nuri")
    assert _name_key("Souq") == _name_key("Souk")
    assert _name_key("Baluchestan") == _name_key("Baluchistan")
    assert _name_key("Nuri") != _name_key("Noura")


def test_no_text_part_is_empty():
    """Every text part (and its else) has words in it: an empty part prints a blank paragraph."""
    empty = []
    for path in FILES:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        for line, _style, key, text in prose(root):
            if key in ("text", "else", "say") and not text.strip():
                empty.append(f"{path.relative_to(ROOT)}:{line} ({key})")
    assert not empty, "empty text parts:\n" + "\n".join(empty)


# ---- routes every reader takes (issue 30 points 17 and 20) --------------------------------------


def _chapter(name: str) -> dict:
    """A chapter as plain data, its one-line choices (`- Knock. -> porch`) in the long form."""
    ch = yaml.safe_load((ROOT / "chapters" / f"{name}.yaml").read_text(encoding="utf-8"))
    for node in ch["nodes"].values():
        if "choices" in node:
            node["choices"] = [choiceline.parse(c).mapping() if isinstance(c, str) else c for c in node["choices"]]
    return ch


def _plain_text(node: dict) -> str:
    text = node.get("text")
    parts = [text] if isinstance(text, str) else text or []
    shown = [p if isinstance(p, str) else p.get("text", "") for p in parts if isinstance(p, str) or "if" not in p]
    return " ".join(shown)


def test_the_first_narrator_is_named_on_every_route():
    """Chapter 1's start node, which every route reads, names Mansour in text no condition hides."""
    ch = _chapter("riyadh-1980")
    assert "Mansour" in _plain_text(ch["nodes"][ch["start"]])


def test_no_ending_of_chapter_one_comes_after_fewer_than_four_choices():
    """Counted on the node graph (conditions can only make a route longer): the shortest way to
    each ending of chapter 1 takes at least four clicks (the refugee ledger's took three), so no
    ending arrives before the story has had time to be a chapter."""
    ch = _chapter("riyadh-1980")
    nodes = ch["nodes"]
    depth = {ch["start"]: 0}
    queue = [ch["start"]]
    while queue:
        nid = queue.pop(0)
        for c in nodes[nid].get("choices", []):
            if c["goto"] not in depth:
                depth[c["goto"]] = depth[nid] + 1
                queue.append(c["goto"])
    short = {nid: depth[nid] for nid, n in nodes.items() if "ending" in n and depth.get(nid, 99) < 4}
    assert not short, f"endings reached in fewer than four choices: {short}"


# ---- three voices (issue 27) ---------------------------------------------------------------------
#
# Measured over each chapter's narration: every text part, else and `say:` of its nodes, with
# dialogue (anything in double quotes) taken out, since what other people say is theirs. A
# sentence ends at . ! or ? before a capital; words are counted as `stats` counts them. The
# figures are published in README.md's chapter table.

NUMBER_WORDS = set(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million half dozen first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth twentieth".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')]*\s+(?=[\"'(]?[A-Z0-9])")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def _narration(chapter: dict) -> list[str]:
    out: list[str] = []

    def part(p) -> None:
        if isinstance(p, str):
            out.append(p)
        elif isinstance(p, dict):
            for k in ("text", "else"):
                v = p.get(k)
                if isinstance(v, str):
                    out.append(v)
                elif isinstance(v, dict):
                    part(v)

    for node in chapter["nodes"].values():
        text = node.get("text")
        for p in [text] if isinstance(text, str) else text or []:
            part(p)
        for c in node.get("choices") or []:
            if isinstance(c.get("say"), str):
                out.append(c["say"])
    return out


def _narration_sentences(para: str) -> list[str]:
    """The sentences of a paragraph that are the narrator's: no dialogue in them, and not inside
    a speech that runs over several sentences."""
    out, inside = [], False
    for sentence in _SENTENCE_END.split(para):
        if not inside and '"' not in sentence:
            out.append(sentence)
        inside ^= sentence.count('"') % 2 == 1
    return out


def voice(name: str) -> dict:
    """Median sentence length, per cent of sentences of six words or fewer, and numbers (figures
    and number words) per 1,000 words, over a chapter's narration."""
    lengths: list[int] = []
    words: list[str] = []
    for para in re.split(r"\n\s*\n", "\n\n".join(_narration(_chapter(name)))):
        for sentence in _narration_sentences(" ".join(para.split())):
            w = _WORD.findall(sentence)
            if w:
                lengths.append(len(w))
                words += w
    numbers = sum(
        1 for w in words if re.fullmatch(r"\d[\d,]*\w*", w) or any(p in NUMBER_WORDS for p in w.lower().split("-"))
    )
    lengths.sort()
    mid = len(lengths) // 2
    median = lengths[mid] if len(lengths) % 2 else (lengths[mid - 1] + lengths[mid]) / 2
    return {
        "median": median,
        "short": round(100 * sum(n <= 6 for n in lengths) / len(lengths), 1),
        "numbers": round(1000 * numbers / len(words), 1),
    }


def test_three_voices_are_measurably_distinct():
    """Mansour weighs his words in long, doubled sentences and counts little; Hashim counts, in
    short level sentences; Salim, the attaché, narrates like a cable: the most clipped of the
    three (fragments, items, one-line verdicts), counting less than Hashim and more than
    Mansour. No voice sits between the other two on every figure, and each pair is held apart
    by a margin: Salim before his cable voice (median 14, 22.1 per cent short) fails here on both
    counts. The figures in README.md."""
    mansour, hashim, salim = voice("riyadh-1980"), voice("syrian-front-1984"), voice("tehran-1999")
    assert mansour["median"] >= 15 and mansour["short"] <= 20 and mansour["numbers"] <= 18, mansour
    assert hashim["median"] <= 11 and hashim["short"] >= 28 and hashim["numbers"] >= 28, hashim
    assert salim["median"] <= 8 and salim["short"] >= 38, salim
    assert mansour["median"] >= hashim["median"] + 4 and hashim["median"] >= salim["median"] + 2, (
        mansour,
        hashim,
        salim,
    )
    assert salim["short"] >= hashim["short"] + 8 and hashim["short"] >= mansour["short"] + 8, (mansour, hashim, salim)
    assert hashim["numbers"] >= salim["numbers"] + 5 and salim["numbers"] >= mansour["numbers"] + 5, (
        mansour,
        hashim,
        salim,
    )


def test_the_voice_measure_counts_what_it_says():
    text = 'He counts. "Do not count. Not now," she says. Nine, ten, eleven of them wait by the road in the sun.'
    assert [len(_WORD.findall(s)) for s in _narration_sentences(text)] == [2, 12]


# Tics the three narrators shared in the second draft, and clichés: each now belongs to one
# voice or to none (the count is the most the whole story may have).
TICS = {
    r"which is how (you|he|she) knows?": 1,
    r"says nothing, which": 0,
    r"which is (his|her) way of": 1,
    r"water through a sieve": 0,
    r"crack of light": 0,
    r"colour of the wall": 0,
    r"thousand kilometres": 1,
}


def test_the_shared_tics_are_gone():
    found: dict[str, list[str]] = {p: [] for p in TICS}
    twice: set[str] = set()
    for path in FILES:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        for line, _style, _key, text in prose(root):
            flat = " ".join(text.split())
            for p in TICS:
                found[p] += [f"{path.relative_to(ROOT)}:{line}" for _ in re.finditer(p, flat, re.I)]
            if re.search(r"\bread(s)? (it|them) twice\b", flat, re.I):
                twice.add(path.stem)
    over = {p: at for p, at in found.items() if len(at) > TICS[p]}
    assert not over, over
    assert twice <= {"riyadh-1980"}, f"'reads it twice' is Mansour's, and only his: {twice}"


def test_the_readme_publishes_the_voices_as_measured():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("riyadh-1980", "syrian-front-1984", "tehran-1999"):
        v = voice(name)
        row = re.search(rf"^\| `{name}` \| [^|]+ \| ([\d.]+) \| ([\d.]+) per cent \| ([\d.]+) \|$", readme, re.M)
        assert row, f"README.md's voice table has no row for {name}"
        assert (float(row[1]), float(row[2]), float(row[3])) == (v["median"], v["short"], v["numbers"]), (name, v)

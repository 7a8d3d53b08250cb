"""What the player shows: lines of styled fragments, wrapped to a width.

Every renderer returns a list of lines; a line is a list of (style, text)
fragments, the shape prompt_toolkit's `FormattedText` takes. The terminal UI
prints them styled; line mode and transcripts join the text (`plain()`).

Story text is content, never code: everything that comes from the story or a
save file goes through `engine.textsafe.clean` (escape sequences and control
characters removed) and is only ever placed in fragments, never parsed as
markup, so `<b>` or `\\x1b[2J` in a chapter shows as text or not at all.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterable

from .. import runtime as rt
from .. import transcript as tx
from ..model import Choice, Node, Story
from ..runtime import State
from ..textsafe import clean
from .prompt_input import help_lines
from .session import Arrival, Journal, Page, chapter_label

Line = list  # of (style, text)
MAX_WIDTH = 78  # a comfortable measure for prose, even on a wide terminal
MIN_WIDTH = 20
MAX_PAGES_LISTED = 200  # the journal lists the latest pages; a 100,000-move save would list them all

# prompt_toolkit style rules for the classes used here; restrained: bold, dim, italic, one accent.
STYLE_RULES = {
    "title": "bold",
    "byline": "italic",
    "card": "bold",
    "card.where": "italic",
    "rule": "#888888",
    "prose": "",
    "choice.number": "bold ansicyan",
    "choice": "",
    "chosen": "#888888 italic",
    "menu.detail": "#888888",
    "hint": "italic ansiyellow",
    "notice": "italic",
    "warning": "ansiyellow",
    "error": "ansired",
    "ending": "bold",
    "ending.kind": "italic",
    "heading": "bold",
    "dim": "#888888",
    "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
    "bottom-toolbar.key": "bold",
    "prompt": "bold",
}


# An empty fragment that marks where a list of choices begins: the terminal never splits what
# follows it (nor, when it fits, the whole block it is in) with a "more" pause.
KEEP = ("class:keep", "")


def text_width(columns: int) -> int:
    """The prose measure for a terminal this many columns wide."""
    return max(MIN_WIDTH, min(MAX_WIDTH, columns - 2))


def wrap(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    lines = textwrap.wrap(
        clean(text),
        width=max(width, len(indent) + 8),
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=True,
    )
    return lines or [indent.rstrip()]


def cut(text: str, room: int) -> str:
    """`text` in at most `room` characters, cut at a word with an ellipsis when it must be."""
    if len(text) <= room:
        return text
    if room <= 1:
        return "\u2026"[: max(room, 0)]
    head = text[: room - 1]
    space = head.rfind(" ")
    if space >= room // 2:
        head = head[:space]
    return head.rstrip(" ,;:\u2014\u00b7-") + "\u2026"


def styled(style: str, lines: Iterable[str]) -> list[Line]:
    return [[(f"class:{style}", ln)] for ln in lines]


def plain(lines: list[Line]) -> str:
    return "\n".join("".join(t for _, t in line).rstrip() for line in lines)


def blank() -> Line:
    return []


# ---- the story's pieces ---------------------------------------------------------------------


def title_screen(story: Story, width: int) -> list[Line]:
    out: list[Line] = [blank(), [("class:title", clean(story.title))]]
    if story.byline:
        out += styled("byline", wrap(story.byline, width))
    for p in rt.paragraphs(story.intro or ""):
        out += [blank()] + styled("prose", wrap(p, width))
    return out + [blank()]


def menu(items: list[tuple[str, str, str | None]], width: int) -> list[Line]:
    """Numbered entries: (number, label, detail or None)."""
    out = []
    for number, label, detail in items:
        head = f"  {number}. "
        line = [("class:choice.number", head), ("class:choice", clean(label))]
        if detail:
            line.append(("class:menu.detail", " \u2014 " + clean(detail)))
        if sum(len(t) for _, t in line) <= width:
            out.append(line)
        else:
            out.append(line[:2])
            out += styled("menu.detail", wrap(clean(detail or ""), width, " " * len(head)))
    return out


def from_plain(lines: list[str]) -> list[Line]:
    """Plain text laid out by engine.transcript (line mode, the --transcript file), as lines."""
    return [[("", ln)] for entry in lines for ln in entry.split("\n")]


def chapter_card(story: Story, state: State, scene: tuple[str | None, str | None], width: int) -> list[Line]:
    label = chapter_label(story, state.chapter)
    date, place = scene
    where = " \u00b7 ".join(clean(x) for x in (place, date) if x)
    out = [blank(), [("class:card", clean(label))]]
    where_lines = wrap(where, width) if where else []
    out += styled("card.where", where_lines)
    longest = max([len(clean(label))] + [len(x) for x in where_lines])
    out.append([("class:rule", "\u2500" * min(width, max(12, longest)))])
    return out + [blank()]


def prose(paragraphs: list[str], width: int) -> list[Line]:
    out: list[Line] = []
    for p in paragraphs:
        out += styled("prose", wrap(p, width)) + [blank()]
    return out


# A soft-lock as the player says it: in a game, the reader can take a choice back.
STUCK = tx.STUCK.removesuffix(")") + " Type undo to go back.)"


def stuck(story: Story, state: State) -> str:
    """Where nothing is on offer, as the player says it (with undo to go back)."""
    return tx.stuck_words(story, state).removesuffix(")") + " Type undo to go back.)"


def choices(offered: list[Choice], width: int, stuck: str = STUCK, closed: frozenset = frozenset()) -> list[Line]:
    """The choices listed, numbered; a greyed-out one (its index in `closed`) dimmed and marked."""
    out = []
    for i, c in enumerate(offered, 1):
        head = f"  {i}. "
        grey = c.index in closed
        text = f"{c.text} {tx.GREYED_MARK}" if grey else c.text
        body = wrap(text, width, " " * len(head), first=head)
        style = "dim" if grey else "choice"
        out.append([("class:dim" if grey else "class:choice.number", head), (f"class:{style}", body[0][len(head) :])])
        out += styled(style, body[1:])
    if all(c.index in closed for c in offered):
        out += styled("warning", wrap(stuck, width))
    out[0] = [KEEP, *out[0]]
    return out + [blank()]


def records(story: Story, state: State, width: int) -> list[Line]:
    """The documented events a node records, as every version shows them after its prose
    (`[History: statement (date)]`; a story fact `[In this story: ...]`): engine.transcript's words."""
    out: list[Line] = []
    for text in tx.record_lines(story, state):
        out += styled("dim", wrap(text, width)) + [blank()]
    return out


def chosen(choice: Choice, width: int) -> list[Line]:
    """The choice taken, under the number the reader typed."""
    return styled("chosen", wrap(choice.text, width, "    ", first="  \u2192 ")) + [blank()]


def typed(text: str, width: int) -> list[Line]:
    """What the player typed, as line mode and transcripts echo it."""
    return [[("", "> " + clean(text)[:width])]]


KIND_WORDS = {
    "canon": "A canon ending: history as it is documented.",
    "personal": "A personal ending: history holds, but your own fate is not the documented one.",
    "divergent": "A divergent ending: history breaks here.",
    # stories without history: the author's own word, or none
    "good": "A good ending.",
    "bad": "A bad ending.",
    "neutral": "An ending.",
}


def ending(story: Story, node: Node, width: int, new: bool = False) -> list[Line]:
    e = node.ending
    assert e is not None, "drawn only for an ending node"
    title = clean(e.title)
    out: list[Line] = [[("class:ending", f"\u2500\u2500 {title} \u2500\u2500")]]
    if e.kind is not None:
        out += styled("ending.kind", wrap(KIND_WORDS.get(e.kind, e.kind), width))
    broken = [story.facts[f] for f in e.diverges if f in story.facts]
    # Documented history and the story's own events are told apart, each the right way round.
    for heading, facts in (
        ("History you changed:", [f for f in broken if not f.story]),
        ("Events of this story you changed:", [f for f in broken if f.story]),
    ):
        if facts:
            out += styled("ending.kind", wrap(heading, width))
            for fact in facts:
                out += styled(
                    "prose",
                    wrap(f"{clean(rt.told_broken(fact))} ({fact.date.human()})", width, "    ", first="  \u2022 "),
                )
    if new:
        out += first_time(width)
    return out + [blank()]


def first_time(width: int) -> list[Line]:
    return styled("notice", wrap("You found this ending for the first time.", width))


Found = list[tuple[str, list[tuple[str, str | None]], int]]  # per chapter: label, endings found, endings


def epilogue(story: Story, found: Found, width: int, state=None) -> list[Line]:
    """The epilogue (its parts resolved for `state`, the final ending), then the endings found."""
    out: list[Line] = []
    words = rt.epilogue_text(story, state) if state is not None else rt.paragraphs(story.epilogue or "")
    if words:
        out += [[("class:card", "Epilogue")], blank()]
        out += prose(words, width)
    out += [[("class:title", "THE END")], blank()]
    return out + endings_found(found, width)


def endings_found(found: Found, width: int) -> list[Line]:
    """After THE END: the endings found so far, chapter by chapter."""
    out: list[Line] = []
    got = sum(len(g) for _, g, _ in found)
    total = sum(t for _, _, t in found)
    out.append([("class:heading", f"Endings you have found: {got} of {total}")])
    for label, g, t in found:
        names = ", ".join(f"{clean(title)} ({kind})" for title, kind in g) or "none yet"
        left = t - len(g)
        more = f"; {left} still to find" if left else "; all found"
        out += styled("prose", wrap(f"{clean(label)}: {names}{more}", width, "    ", first="  "))
    return out + [blank()]


def journal(j: Journal, width: int) -> list[Line]:
    out: list[Line] = [[("class:heading", "Journal")], blank()]
    if j.documented:  # a story without documented history never speaks of it
        out.append([("class:heading", "Documented events you have lived through")])
        if not j.events:
            out += styled("dim", wrap("None yet.", width, "  ", first="  "))
        for date, statement, _label in j.events:
            out += styled("prose", wrap(f"{date} \u2014 {statement}", width, "    ", first="  "))
    if j.story_events:  # the story's own events, apart from the documented ones
        out += [blank()] if j.documented else []
        out += [[("class:heading", "Events of this story")]]
        for date, statement, _label in j.story_events:
            out += styled("prose", wrap(f"{date} \u2014 {statement}", width, "    ", first="  "))
    if j.changed:
        out += [blank(), [("class:heading", "History you changed")]]
        for date, told, _label, own in j.changed:
            mark = " (an event of this story, not documented history)" if own else ""
            out += styled("prose", wrap(f"{date} \u2014 {told}{mark}", width, "    ", first="  "))
    out += [blank(), [("class:heading", "The choices that led here")]]
    any_choice = False
    for label, made, end in j.chapters:
        if not made and not end:
            continue
        any_choice = True
        out += styled("card.where", wrap(label, width, "  ", first="  "))
        for date, text in made:
            lead = f"{date} \u2014 " if date else ""
            out += styled("prose", wrap(f"{lead}{text}", width, "      ", first="    "))
        if end:
            kind = f" ({end[1]})" if end[1] else ""
            out += styled("ending.kind", wrap(f"Ending: {end[0]}{kind}", width, "      ", first="    "))
    if not any_choice:
        out += styled("dim", wrap("None yet.", width, "  ", first="  "))
    return out + [blank()]


def journal_pages(pages: list[Page], width: int) -> list[Line]:
    """The pages of this playthrough, one line each, for the journal."""
    out: list[Line] = [[("class:heading", "Pages")]]
    out += styled(
        "dim",
        wrap(
            "Type back and a page's number to reread it (back alone, or PageUp, for the page before this one).",
            width,
            "  ",
            first="  ",
        ),
    )
    if len(pages) > MAX_PAGES_LISTED:
        out += styled(
            "dim",
            wrap(
                f"({len(pages) - MAX_PAGES_LISTED:,} earlier pages are not listed here; "
                "back and a number shows any of them.)",
                width,
                "  ",
                first="  ",
            ),
        )
    for p in pages[-MAX_PAGES_LISTED:]:
        where = ", ".join(clean(x) for x in (p.place, p.date) if x)
        first = clean(p.paragraphs[0]) if p.paragraphs else ""
        head = f"  {p.number}. ".rjust(len(str(len(pages))) + 4)  # numbers right-aligned, text in one column
        text = " \u2014 ".join(x for x in (where, first) if x)
        out.append([("class:choice.number", head), ("class:prose", cut(text, width - len(head)))])
    return out + [blank()]


def page(p: Page, total: int, width: int, plain_mode: bool = False) -> list[Line]:
    """A page reread with `back`: as it was read, with the choice made on it."""
    where = " \u00b7 ".join(clean(x) for x in (p.place, p.date) if x)
    head = f"Rereading page {p.number} of {total}"
    out: list[Line] = [[("class:heading", f"== {head} ==" if plain_mode else head)]]
    out += styled("card.where", wrap(" \u00b7 ".join(x for x in (clean(p.chapter), where) if x), width))
    out += [blank()] + prose(p.paragraphs, width)
    if p.taken:
        out += styled("chosen", wrap(p.taken, width, "    ", first="  \u2192 ")) + [blank()]
    if p.ending:
        out += [
            [
                (
                    "class:ending",
                    f"*** {clean(p.ending[0])} ***"
                    if plain_mode
                    else f"\u2500\u2500 {clean(p.ending[0])} \u2500\u2500",
                )
            ],
            blank(),
        ]
    return out


def unclear(message: str, options: tuple, after: str, width: int) -> list[Line]:
    """A reply to what could not be read, with the candidates listed by number, one a line."""
    out = styled("hint", wrap(message, width))
    for number, text in options:
        head = f"  {number}. "
        body = wrap(text, width, " " * len(head), first=head)
        out.append([("class:choice.number", head), ("class:choice", body[0][len(head) :])])
        out += styled("choice", body[1:])
    if after:
        out += styled("hint", wrap(after, width))
    return out + [blank()]


def shown_value(flag, value, plain_mode: bool = False) -> str:
    """A shown flag's value as the reader sees it: a gauge, or a word."""
    if flag.show.as_ == "bar" and flag.min is not None and flag.max is not None:
        span = max(flag.max - flag.min, 1)
        cells = min(span, 10)
        filled = round((value - flag.min) * cells / span)
        gauge = "" if plain_mode else "\u25a0" * filled + "\u25a1" * (cells - filled) + "  "
        return f"{gauge}{value} of {flag.max}" if flag.min == 0 else f"{gauge}{value} ({flag.min} to {flag.max})"
    return clean(flag.shown(value))


def dossier(rows: list, width: int, plain_mode: bool = False) -> list[Line]:
    """(flag, value, when last learned) for what the player knows, one line each, with the date
    it was last learned beside it when there is room (and under it when there is not)."""
    out: list[Line] = [[("class:heading", "Dossier")]]
    if not rows:
        empty = "Nothing yet: what you learn of the people and the stakes is kept here."
        return out + styled("dim", wrap(empty, width, "  ", first="  ")) + [blank()]
    col = min(max(len(clean(f.show.label)) for f, *_ in rows) + 4, width // 2)
    for f, v, *rest in rows:
        when = rest[0] if rest else None
        label = cut(clean(f.show.label), col - 4)
        value = shown_value(f, v, plain_mode)
        since = f"  (since {clean(when)})" if when else ""
        line = [("class:choice", f"  {label}".ljust(col)), ("class:prose", cut(value, max(width - col, 8)))]
        if since and col + len(value) + len(since) <= width:
            line.append(("class:dim", since))
            since = ""
        out.append(line)
        if since:
            out += styled("dim", wrap(since.strip(), width, " " * col, first=" " * col))
    return out + [blank()]


def dossier_changes(changes: list, width: int) -> list[Line]:
    """The line under an ending banner: which shown flags this chapter changed."""
    if not changes:
        return []
    parts = [
        f"{clean(f.show.label)}: {clean(f.shown(a)) if f.show.as_ == 'word' else a} \u2192 "
        f"{clean(f.shown(b)) if f.show.as_ == 'word' else b}"
        for f, a, b in changes
    ]
    return styled("notice", wrap("Your dossier changed. " + "; ".join(parts) + ".", width)) + [blank()]


def endings_register(chapters: list, width: int, plain_mode: bool = False) -> list[Line]:
    """Every ending found in any playthrough; for the rest, how many are left and, in a chapter
    the player has reached, the author's hints (a chapter not reached gives nothing away)."""
    got = sum(e.found for _, entries, _ in chapters for e in entries)
    total = sum(len(entries) for _, entries, _ in chapters)
    out: list[Line] = [[("class:heading", f"Endings found: {got} of {total}")], blank()]
    for label, entries, reached in chapters:
        n = sum(e.found for e in entries)
        if not reached:
            out += styled("card.where", wrap(f"{label}: not reached yet", width, "    ", first="  "))
            out += styled("dim", wrap(f"{len(entries)} endings to find", width, "      ", first="    "))
            out.append(blank())
            continue
        out += styled("card.where", wrap(f"{label}: {n} of {len(entries)} found", width, "    ", first="  "))
        for e in entries:
            if not e.found:
                continue
            out += [
                [
                    ("class:choice.number", "    \u2022 "),
                    ("class:choice", clean(e.title)),
                    ("class:menu.detail", f" ({e.kind})" if e.kind else ""),
                ]
            ]
            for told, date in e.broke:
                out += styled(
                    "prose", wrap(clean(told) + (f" ({date})" if date else ""), width, "        ", first="      ")
                )
        left = [e for e in entries if not e.found]
        if left:
            hints = [e.hint for e in left if e.hint]
            word = "ending" if len(left) == 1 else "endings"
            lead = f"{len(left)} {word} left" + (": hints for them" if hints else "")
            out += styled("dim", wrap(lead, width, "      ", first="    "))
            for h in hints:
                out += styled("hint", wrap(clean(h), width, "        ", first="      \u2022 "))
        else:
            out += styled("dim", wrap("All found.", width, "      ", first="    "))
        out.append(blank())
    return out


def arrivals(found: list[Arrival], story: Story, width: int) -> list[Line]:
    """The chapters reached, each arrival with what it carried: the shown flags, the ending before."""
    out: list[Line] = [[("class:heading", "Start from a chapter you have reached")]]
    out += styled("dim", wrap("Each line is one way you arrived, with what you carried into the chapter.", width))
    for i, a in enumerate(found, 1):
        head = f"  {i}. "
        shown = [(f, a.flags[f.name]) for f in story.flags if f.show is not None and f.name in a.flags]
        bits = [f"after {clean(a.after)}"] if a.after else []
        bits += [f"{clean(f.show.label)}: {shown_value(f, v, plain_mode=True)}" for f, v in shown if f.show]
        out.append([("class:choice.number", head), ("class:choice", clean(a.label))])
        if bits:
            out += styled("menu.detail", wrap("; ".join(bits), width, " " * len(head), first=" " * len(head)))
    return out + [blank()]


def help_text(
    width: int, debug: bool = False, allowed: set[str] | None = None, at_ending: bool = False, tab: bool = True
) -> list[Line]:
    if at_ending:
        lead = "Press Enter to go on. You can also type:"
    else:
        lead = (
            "Choose by typing a choice's number, or its first words"
            + (" (Tab completes them)" if tab else "")
            + ". You can also type:"
        )
    out = styled("notice", wrap(lead, width))
    rows = help_lines(debug, allowed)
    col = max(len(u) for u, _ in rows) + 4
    for usage, doc in rows:
        out += [
            [("class:choice.number", f"  {usage}".ljust(col)), ("class:prose", d)]
            for d in wrap(doc, max(width - col, 20))[:1]
        ]
        out += styled("prose", [" " * col + d for d in wrap(doc, max(width - col, 20))[1:]])
    out += styled("dim", wrap("Ctrl-C or Ctrl-D leaves at any time; the game is autosaved after every choice.", width))
    return out + [blank()]


def note(text: str, width: int, style: str = "notice") -> list[Line]:
    return styled(style, wrap(text, width))


def saves_list(slots, width: int, now: float | None = None) -> list[Line]:
    """The saves, one line each: name, chapter, in-world date, when saved; cut at a word to the
    width there is, never wrapped."""
    if not slots:
        return note("There are no saved games yet.", width) + [blank()]
    col = min(max(len(s.name) for s in slots), 20) + 2
    out = [[("class:heading", "Saved games")]]
    for i, s in enumerate(slots, 1):
        head = f"  {i}. ".ljust(6)
        room = width - len(head) - col
        detail: str | None
        if s.data is None:
            detail = f"damaged: {s.problem}"
        else:
            # the place tells apart two saves of one date (as the page's list does); when the line
            # is too narrow, the chapter's title gives way first, then the place is shortened
            saved = f"saved {when(s.mtime, now)}"
            short = {k: v for k, v in s.summary.items() if k != "chapter_title"}
            numbered = isinstance(s.summary.get("chapter"), int)
            forms = [" \u00b7 ".join([describe(s.summary, sep=" \u00b7 "), saved])]
            if numbered:
                forms += [
                    " \u00b7 ".join([f"{word} {s.summary['chapter']}", describe(short, sep=" \u00b7 "), saved])
                    for word in ("Chapter", "Ch.")
                ]
            detail = next((f for f in forms if len(clean(f)) <= room), None) or _place_cut(s, room, now)
            if detail is None:  # no room for a few letters of the place: the date and the time stay whole
                bare = {k: v for k, v in short.items() if k != "place"}
                number = [f"Ch. {s.summary['chapter']}"] if numbered else []
                detail = " \u00b7 ".join([*number, describe(bare, sep=" \u00b7 "), saved])
        out.append(
            [
                ("class:choice.number", head),
                ("class:choice", s.name.ljust(col)),
                ("class:menu.detail", cut(clean(detail or ""), room)),
            ]
        )
    return out + [blank()]


def _place_cut(slot, room: int, now: float | None) -> str | None:
    """A save's line with its place shortened to fit `room`, when that leaves a few of its letters."""
    summary = slot.summary
    place = summary.get("place")
    if not isinstance(place, str) or not isinstance(summary.get("chapter"), int):
        return None
    others = {k: v for k, v in summary.items() if k not in ("chapter_title", "place")}
    parts = [f"Ch. {summary['chapter']}", describe(others, sep=" \u00b7 "), f"saved {when(slot.mtime, now)}"]
    rest = len(" \u00b7 ".join(parts)) + 3
    if room - rest < 8:
        return None
    parts.insert(1, cut(clean(place), room - rest))
    return " \u00b7 ".join(parts)


def describe(summary: dict, place: bool = True, sep: str = ", ") -> str:
    """'Chapter 2: The Morning After, The quay, 13 October 1901' from a save's summary (untrusted)."""
    parts = []
    if isinstance(summary.get("chapter"), int) and isinstance(summary.get("chapter_title"), str):
        parts.append(f"Chapter {summary['chapter']}: {cut(summary['chapter_title'], 100)}")
    for key in ("place", "date") if place else ("date",):
        if isinstance(summary.get(key), str):
            parts.append(cut(summary[key], 60))
    if isinstance(summary.get("ending"), str):
        parts.append(f"ending: {cut(summary['ending'], 60)}")
    return clean(sep.join(parts)) or "(no details)"


def when(mtime: float, now: float | None = None) -> str:
    now = time.time() if now is None else now
    t, n = time.localtime(mtime), time.localtime(now)
    if now - mtime < 60:
        return "just now"
    if t[:3] == n[:3]:
        return time.strftime("today %H:%M", t)
    if 0 < now - mtime < 6 * 86400:
        return time.strftime("%A %H:%M", t)
    return time.strftime("%d %b %Y %H:%M", t).lstrip("0")


def flags(rows: list[tuple[str, object, str]], width: int) -> list[Line]:
    out = [[("class:heading", "Flags")]]
    col = max((len(n) for n, _, _ in rows), default=4) + 4
    for name, value, doc in rows:
        v = "true" if value is True else "false" if value is False else str(value)
        out.append(
            [
                ("class:choice.number", f"  {name}".ljust(col)),
                ("class:prose", clean(v)),
                ("class:dim", f"  {clean(doc)}"[: max(0, width - col - len(v))]),
            ]
        )
    return out + [blank()]


def diagnostics(rendered: list[str], width: int) -> list[Line]:
    out = []
    for text in rendered:
        first, *rest = clean(text).split("\n")
        out += styled("error", wrap(first, width, "    ", first=""))
        for r in rest:
            out += styled("dim", wrap(r.strip(), width, "    ", first="  "))
    return out + [blank()]


def toolbar(
    story: Story,
    state: State,
    scene: tuple[str | None, str | None],
    columns: int,
    keys: str = "help",
    short_keys: str | None = None,
) -> list[tuple[str, str]]:
    """The status line: chapter, place, in-world date, and a reminder of keys on the right.

    When it does not fit, it gives way in this order: the reminder's long form (to
    `short_keys`), the place (shortened at a word, with an ellipsis, never below a few
    characters), the reminder, the chapter's title (the number stays), and only then the
    place and the end of the date. A reminder is shown whole or not at all, never cut to a
    word like "Enter:"."""
    date, place = scene
    number = f"Chapter {[c.id for c in story.chapters].index(state.chapter) + 1}"
    title = clean(story.chapter(state.chapter).title)
    place = clean(place) if place else None
    date = clean(date) if date else None
    sep = "  \u2502  "
    short = short_keys if short_keys is not None else (keys.split(" \u00b7 ")[0] if keys else keys)
    least = 8  # characters of a shortened place, its ellipsis included: less says nothing

    def left(head: str, where: str | None) -> str:
        return " " + sep.join(x for x in (head, where, date) if x) + " "

    def fitted(head: str, k: str, shorten: bool) -> tuple[str, str] | None:
        right = f" {k} " if k else ""
        if len(left(head, place)) + len(right) <= columns:
            return left(head, place), right
        if place and shorten:
            room = columns - len(right) - len(left(head, "")) - len(sep)
            if room >= least:
                return left(head, cut(place, room)), right
        return None

    full = f"{number}: {title}"
    tries = [(full, keys, False), (full, short, True), (full, "", True), (number, short, True), (number, "", True)]
    for head, k, shorten in tries:
        got = fitted(head, k, shorten)
        if got:
            text, right = got
            break
    else:
        right = ""
        text = left(number, None)
        if len(text) > columns:
            text = text[: max(columns - 1, 0)] + "\u2026"
    pad = max(0, columns - len(text) - len(right))
    return [("class:bottom-toolbar", text + " " * pad), ("class:bottom-toolbar.key", right)]

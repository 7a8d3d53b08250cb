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
from typing import Iterable

from .. import runtime as rt
from ..model import Choice, Node, Story
from ..runtime import State
from ..textsafe import clean
from .commands import help_lines
from .session import Journal, chapter_label

Line = list  # of (style, text)
MAX_WIDTH = 78  # a comfortable measure for prose, even on a wide terminal
MIN_WIDTH = 20

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


def text_width(columns: int) -> int:
    """The prose measure for a terminal this many columns wide."""
    return max(MIN_WIDTH, min(MAX_WIDTH, columns - 2))


def wrap(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    lines = textwrap.wrap(clean(text), width=max(width, len(indent) + 8), initial_indent=indent if first is None else first,
                          subsequent_indent=indent, break_on_hyphens=False, break_long_words=True)
    return lines or [indent.rstrip()]


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


def chapter_card(story: Story, state: State, scene: tuple[str | None, str | None], width: int,
                 plain_mode: bool = False) -> list[Line]:
    label = chapter_label(story, state.chapter)
    date, place = scene
    where = " \u00b7 ".join(clean(x) for x in (place, date) if x)
    if plain_mode:
        out = [[("", f"== {clean(label)} ==")]]
        if where:
            out.append([("", where)])
        return out + [blank()]
    out = [blank(), [("class:card", clean(label))]]
    if where:
        out += styled("card.where", wrap(where, width))
    out.append([("class:rule", "\u2500" * min(width, max(12, len(clean(label)))))])
    return out + [blank()]


def prose(paragraphs: list[str], width: int) -> list[Line]:
    out: list[Line] = []
    for p in paragraphs:
        out += styled("prose", wrap(p, width)) + [blank()]
    return out


def choices(offered: list[Choice], width: int) -> list[Line]:
    out = []
    for i, c in enumerate(offered, 1):
        head = f"  {i}. "
        body = wrap(c.text, width, " " * len(head), first=head)
        out.append([("class:choice.number", head), ("class:choice", body[0][len(head):])])
        out += styled("choice", body[1:])
    if not offered:
        out += styled("warning", wrap("(No choice is available here: the story is stuck. "
                                      "`chronicle check` reports this as a soft-lock. Type undo to go back.)", width))
    return out + [blank()]


def chosen(choice: Choice, number: int, width: int, plain_mode: bool = False) -> list[Line]:
    if plain_mode:
        return styled("chosen", wrap(f"> {number}. {choice.text}", width)) + [blank()]
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


def ending(story: Story, node: Node, width: int, new: bool = False, plain_mode: bool = False) -> list[Line]:
    e = node.ending
    title = clean(e.title)
    out: list[Line] = [[("class:ending", f"*** {title} ***" if plain_mode else f"\u2500\u2500 {title} \u2500\u2500")]]
    if e.kind is not None:
        out += styled("ending.kind", wrap(KIND_WORDS.get(e.kind, e.kind), width))
    if e.diverges:
        out += styled("ending.kind", wrap("This branch changed what history records:", width))
        for fid in e.diverges:
            fact = story.facts.get(fid)
            statement = fact.statement if fact else fid
            date = f" ({fact.date.human()})" if fact else ""
            out += styled("prose", wrap(statement + date, width, "    ", first="  \u2022 "))
    if new:
        out += styled("notice", wrap("You found this ending for the first time.", width))
    return out + [blank()]


def epilogue(story: Story, found: list[tuple[str, list[tuple[str, str]], int]], width: int,
             plain_mode: bool = False) -> list[Line]:
    out: list[Line] = []
    if story.epilogue:
        out += [[("class:card", "== Epilogue ==" if plain_mode else "Epilogue")], blank()]
        out += prose(rt.paragraphs(story.epilogue), width)
    out += [[("class:title", "THE END")], blank()]
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
    out.append([("class:heading", "Documented events you have lived through")])
    if not j.events:
        out += styled("dim", wrap("None yet.", width, "  ", first="  "))
    for date, statement, _label in j.events:
        out += styled("prose", wrap(f"{date} \u2014 {statement}", width, "    ", first="  "))
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


def help_text(width: int, debug: bool = False, allowed: set[str] | None = None, at_ending: bool = False,
              tab: bool = True) -> list[Line]:
    if at_ending:
        lead = "Press Enter to go on. You can also type:"
    else:
        lead = ("Choose by typing a choice's number, or its first words" + (" (Tab completes them)" if tab else "")
                + ". You can also type:")
    out = styled("notice", wrap(lead, width))
    rows = help_lines(debug, allowed)
    col = max(len(u) for u, _ in rows) + 4
    for usage, doc in rows:
        out += [[("class:choice.number", f"  {usage}".ljust(col)), ("class:prose", d)]
                for d in wrap(doc, max(width - col, 20))[:1]]
        out += styled("prose", [" " * col + d for d in wrap(doc, max(width - col, 20))[1:]])
    out += styled("dim", wrap("Ctrl-C or Ctrl-D leaves at any time; the game is autosaved after every choice.",
                              width))
    return out + [blank()]


def note(text: str, width: int, style: str = "notice") -> list[Line]:
    return styled(style, wrap(text, width))


def saves_list(slots, width: int, now: float | None = None) -> list[Line]:
    """The saves, one line each: name, where in the story, when saved (cut to fit, never wrapped)."""
    if not slots:
        return note("There are no saved games yet.", width) + [blank()]
    col = min(max(len(s.name) for s in slots), 20) + 2
    out = [[("class:heading", "Saved games")]]
    for i, s in enumerate(slots, 1):
        head = f"  {i}. "
        if s.data is None:
            detail = f"damaged: {s.problem}"
        else:
            detail = f"{when(s.mtime, now)} \u2014 " + describe(s.summary, place=False)
        room = width - len(head) - col
        detail = clean(detail)
        if len(detail) > room:
            detail = detail[:max(room - 1, 0)] + "\u2026"
        out.append([("class:choice.number", head), ("class:choice", s.name.ljust(col)), ("class:menu.detail", detail)])
    return out + [blank()]


def describe(summary: dict, place: bool = True) -> str:
    """'Chapter 2: The Morning After, The quay, 13 October 1901' from a save's summary (untrusted)."""
    parts = []
    if isinstance(summary.get("chapter"), int) and isinstance(summary.get("chapter_title"), str):
        parts.append(f"Chapter {summary['chapter']}: {summary['chapter_title'][:60]}")
    for key in ("place", "date") if place else ("date",):
        if isinstance(summary.get(key), str):
            parts.append(summary[key][:40])
    if isinstance(summary.get("ending"), str):
        parts.append(f"ending: {summary['ending'][:40]}")
    return clean(", ".join(parts)) or "(no details)"


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
        out.append([("class:choice.number", f"  {name}".ljust(col)), ("class:prose", clean(v)),
                    ("class:dim", f"  {clean(doc)}"[:max(0, width - col - len(v))])])
    return out + [blank()]


def diagnostics(rendered: list[str], width: int) -> list[Line]:
    out = []
    for text in rendered:
        first, *rest = clean(text).split("\n")
        out += styled("error", wrap(first, width, "    ", first=""))
        for r in rest:
            out += styled("dim", wrap(r.strip(), width, "    ", first="  "))
    return out + [blank()]


def toolbar(story: Story, state: State, scene: tuple[str | None, str | None], columns: int,
            keys: str = "help") -> list[tuple[str, str]]:
    """The status line: chapter, place, in-world date, and a reminder of keys on the right.

    When it does not fit, it gives way in this order: the chapter's title (the number
    stays), the reminder (down to its first word), then the end of the place name."""
    date, place = scene
    number = f"Chapter {[c.id for c in story.chapters].index(state.chapter) + 1}"
    title = clean(story.chapter(state.chapter).title)
    place = clean(place) if place else None
    date = clean(date) if date else None
    sep = "  \u2502  "

    def left(head: str, where: str | None) -> str:
        return " " + sep.join(x for x in (head, where, date) if x) + " "

    tries = [(f"{number}: {title}", place, keys), (number, place, keys),
             (number, place, keys.split()[0] if keys else keys)]
    for head, where, k in tries:
        text, right = left(head, where), f" {k} " if k else ""
        if len(text) + len(right) <= columns:
            break
    else:
        head, right = number, ""
        room = columns - len(left(head, "")) - len(sep)
        if place and room >= 4:
            text = left(head, place[:room - 1] + "\u2026") if len(place) > room else left(head, place)
        else:
            text = left(head, None)
        if len(text) > columns:
            text = text[:max(columns - 1, 0)] + "\u2026"
    pad = max(0, columns - len(text) - len(right))
    return [("class:bottom-toolbar", text + " " * pad), ("class:bottom-toolbar.key", right)]

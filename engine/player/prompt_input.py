"""What a person types at the choice prompt: a choice (by number or first words) or a command.

`parse()` turns a line into a `Pick`, a `Command` or an `Unclear` (a short,
friendly hint). `completions()` offers the choices and commands that fit what
has been typed so far. Both UIs use them, so they accept exactly the same input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Choice
from ..textsafe import clean
from .saves import SAVE_NAME_RULE

# name -> (argument kind or None, usage, what it does). The order is the order `help` lists them.
COMMANDS = {
    "save": ("slot", "save [name]", "save your game (to 'quicksave' without a name)"),
    "load": ("slot", "load [name]", "load a saved game (without a name: list the saves)"),
    "undo": ("count", "undo [n]", "take back your last choice (or the last n)"),
    "back": ("page", "back [page]", "reread the page before this one (or page n; PageUp too), undoing nothing"),
    "journal": (None, "journal", "the history you have lived through, your choices, and the pages"),
    "dossier": (None, "dossier", "what the story lets you see of where you stand"),
    "endings": (None, "endings", "the endings you have found, and hints for the rest"),
    "restart": (None, "restart", "start a new game from the beginning"),
    "help": (None, "help", "this list"),
    "quit": (None, "quit", "leave the game (it is autosaved)"),
}
DEBUG_COMMANDS = {
    "flags": (None, "flags", "every flag's value here"),
    "goto": ("node", "goto NODE", "jump to a node (or CHAPTER:NODE), flags kept"),
}
ALIASES = {
    "?": "help",
    "h": "help",
    "q": "quit",
    "exit": "quit",
    "bye": "quit",
    "u": "undo",
    "j": "journal",
    "history": "journal",
    "restore": "load",
}

_WORD = re.compile(r"[\w']+")
MAX_DIGITS = 9  # a number typed at the prompt; anything longer is no choice and no count of steps


def number(text: str) -> int | None:
    """A whole number typed by a player, or None. Decimal digits of any script count
    (an Arabic reader may type ١), but not superscripts or circled digits, which
    `isdigit()` accepts and `int()` refuses; and never so many digits that `int()` balks."""
    t = text.strip()
    if not t or len(t) > MAX_DIGITS or not t.isdecimal():
        return None
    return int(t)


def numeric(text: str) -> bool:
    """Looks like a number to a reader (digits of any kind, however many), so the reply
    should be about numbers, not words."""
    t = text.strip()
    return bool(t) and all(c.isdigit() or c.isdecimal() or c.isnumeric() for c in t)


def shown_number(text: str) -> str:
    t = clean(text.strip())
    return t if len(t) <= 12 else t[:6] + "…" + t[-3:]


@dataclass(frozen=True)
class Pick:
    choice: Choice
    number: int  # as the player sees it (1-based)


@dataclass(frozen=True)
class Command:
    name: str
    arg: str | None = None


@dataclass(frozen=True)
class Unclear:
    message: str
    options: tuple = ()  # lines listed under the message, one each (the choices it could be)
    after: str = ""  # said after the options


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def command_table(debug: bool = False) -> dict:
    return {**COMMANDS, **DEBUG_COMMANDS} if debug else dict(COMMANDS)


def _command(text: str, debug: bool, allowed: set[str] | None) -> Command | Unclear | None:
    parts = text.split()
    name = ALIASES.get(parts[0].lower(), parts[0].lower())
    table = command_table(debug)
    if name not in table or (allowed is not None and name not in allowed):
        return None
    kind, usage, _ = table[name]
    args = parts[1:]
    if not args:
        return Command(name)
    if kind in ("count", "page") and len(args) == 1:
        n = number(args[0])
        if n is not None and n >= 1:
            return Command(name, str(n))
        if numeric(args[0]) and args[0].isascii() and args[0].strip("0"):  # only too long: as far back as it goes
            return Command(name, str(10**MAX_DIGITS))
        if kind == "page":
            return Unclear(f"{name} takes a page number, like: {name} 2 (the journal lists the pages)")
        return Unclear(f"{name} takes a number of choices, like: {name} 2")
    if kind in ("slot", "node") and len(args) == 1:
        return Command(name, args[0])
    if kind == "slot":
        joined = "-".join(a.lower() for a in args)
        return Unclear(
            f"A save name is one word, so '{clean(' '.join(args))[:40]}' cannot be one "
            f"({SAVE_NAME_RULE}). Try: {name} {clean(joined)[:40]}"
        )
    return Unclear(f"Type it as: {usage}")


def match_choices(text: str, offered: list[Choice]) -> list[int]:
    """Indices (into `offered`) of the choices whose text begins with these words.
    Every typed word but the last must be whole; the last may be the start of a word."""
    typed = words(text)
    if not typed:
        return []
    out = []
    for i, c in enumerate(offered):
        cw = words(c.text)
        if len(cw) < len(typed):
            continue
        if cw[: len(typed) - 1] == typed[:-1] and cw[len(typed) - 1].startswith(typed[-1]):
            out.append(i)
    if len(out) > 1:  # a full, exact match wins over longer choices that start the same way
        exact = [i for i in out if words(offered[i].text) == typed]
        if len(exact) == 1:
            return exact
    return out


def parse(
    text: str, offered: list[Choice], *, debug: bool = False, allowed: set[str] | None = None
) -> Pick | Command | Unclear | None:
    """Read one line typed at the prompt. None for an empty line."""
    t = text.strip()
    if not t:
        return None
    n = len(offered)
    if numeric(t.rstrip(".")):
        k = number(t.rstrip("."))
        if k is not None and 1 <= k <= n:
            return Pick(offered[k - 1], k)
        if n == 0:
            return Unclear("There are no choices to make here.")
        shown = shown_number(t.rstrip(".")) if k is None else str(k)
        return Unclear(
            f"There is no choice {shown} here; choose 1 to {n}." if n > 1 else "There is only choice 1 here."
        )
    cmd = _command(t, debug, allowed)
    if isinstance(cmd, Command):
        return cmd
    hits = match_choices(t, offered)
    if len(hits) == 1:
        return Pick(offered[hits[0]], hits[0] + 1)
    if len(hits) > 1:
        return Unclear(
            "That could be:",
            tuple((str(i + 1), clean(offered[i].text)) for i in hits),
            "Type more of it, or its number.",
        )
    if cmd is not None:
        return cmd
    if n == 0:
        return Unclear("Type help to see what you can do here.")
    numbers = "1" if n == 1 else f"a number from 1 to {n}"
    return Unclear(f"Type {numbers} or the first words of a choice (help lists the commands).")


MAX_COMPLETE = 200  # characters: longer than any choice's first words; beyond it, completion stays out of the way


def completions(
    text: str,
    offered: list[Choice],
    *,
    debug: bool = False,
    allowed: set[str] | None = None,
    nodes: Sequence[str] = (),
    slots: Sequence[str] = (),
    requested: bool = False,
) -> list[tuple[str, str]]:
    """(text to put on the line, what the menu shows) for what has been typed so far.
    `requested`: the player pressed Tab, so an empty line offers everything."""
    t = text.lstrip()
    if len(t) > MAX_COMPLETE or numeric(t):
        return []
    table = command_table(debug)
    if not t:
        if not requested:
            return []
        out = [(clean(c.text), f"{i}. {clean(c.text)}") for i, c in enumerate(offered, 1)]
        return out + [(name, table[name][1]) for name in table if allowed is None or name in allowed]
    low = t.lower()
    if slots and low.startswith("load ") and (allowed is None or "load" in allowed):
        part = low[5:].strip()
        return [(f"load {n}", n) for n in slots if n.startswith(part)]
    out = []
    for i in match_choices(t, offered) if t.strip() else []:
        out.append((clean(offered[i].text), f"{i + 1}. {clean(offered[i].text)}"))
    if " " not in low:
        for name in table:
            if name.startswith(low) and (allowed is None or name in allowed):
                out.append((name, table[name][1]))
    elif debug and low.startswith("goto "):
        part = low[5:]
        out += [(f"goto {n}", n) for n in nodes if n.lower().startswith(part)]
    return out


def help_lines(debug: bool = False, allowed: set[str] | None = None) -> list[tuple[str, str]]:
    """(usage, what it does) for every command, in order."""
    table = command_table(debug)
    return [(usage, doc) for name, (_, usage, doc) in table.items() if allowed is None or name in allowed]

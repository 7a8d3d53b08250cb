"""What a person types at the choice prompt: a choice (by number or first words) or a command.

`parse()` turns a line into a `Pick`, a `Command` or an `Unclear` (a short,
friendly hint). `completions()` offers the choices and commands that fit what
has been typed so far. Both UIs use them, so they accept exactly the same input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Choice
from ..textsafe import clean

# name -> (argument kind or None, usage, what it does). The order is the order `help` lists them.
COMMANDS = {
    "save": ("slot", "save [name]", "save your game (to 'quicksave' without a name)"),
    "load": ("slot", "load [name]", "load a saved game (without a name: list the saves)"),
    "undo": ("count", "undo [n]", "take back your last choice (or the last n)"),
    "journal": (None, "journal", "the history you have lived through, and your choices"),
    "restart": (None, "restart", "start a new game from the beginning"),
    "help": (None, "help", "this list"),
    "quit": (None, "quit", "leave the game (it is autosaved)"),
}
DEBUG_COMMANDS = {
    "flags": (None, "flags", "every flag's value here"),
    "goto": ("node", "goto NODE", "jump to a node (or CHAPTER:NODE), flags kept"),
}
ALIASES = {"?": "help", "h": "help", "q": "quit", "exit": "quit", "bye": "quit", "u": "undo", "back": "undo",
           "j": "journal", "history": "journal", "restore": "load"}

_WORD = re.compile(r"[\w']+")


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
    if kind == "count" and len(args) == 1:
        if args[0].isdigit() and int(args[0]) >= 1:
            return Command(name, args[0])
        return Unclear(f"{name} takes a number of choices, like: {name} 2")
    if kind in ("slot", "node") and len(args) == 1:
        return Command(name, args[0])
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
        if cw[:len(typed) - 1] == typed[:-1] and cw[len(typed) - 1].startswith(typed[-1]):
            out.append(i)
    if len(out) > 1:  # a full, exact match wins over longer choices that start the same way
        exact = [i for i in out if words(offered[i].text) == typed]
        if len(exact) == 1:
            return exact
    return out


def parse(text: str, offered: list[Choice], *, debug: bool = False,
          allowed: set[str] | None = None) -> Pick | Command | Unclear | None:
    """Read one line typed at the prompt. None for an empty line."""
    t = text.strip()
    if not t:
        return None
    n = len(offered)
    if t.rstrip(".").isdigit():
        k = int(t.rstrip("."))
        if 1 <= k <= n:
            return Pick(offered[k - 1], k)
        if n == 0:
            return Unclear("There are no choices to make here.")
        return Unclear(f"There is no choice {k} here; choose 1 to {n}." if n > 1 else f"There is only choice 1 here.")
    cmd = _command(t, debug, allowed)
    if isinstance(cmd, Command):
        return cmd
    hits = match_choices(t, offered)
    if len(hits) == 1:
        return Pick(offered[hits[0]], hits[0] + 1)
    if len(hits) > 1:
        shown = " or ".join(f"{i + 1}. {clean(offered[i].text)}" for i in hits[:3])
        return Unclear(f"That could be {shown}. Type more of it, or its number.")
    if cmd is not None:
        return cmd
    if n == 0:
        return Unclear("Type help to see what you can do here.")
    numbers = "1" if n == 1 else f"a number from 1 to {n}"
    return Unclear(f"Type {numbers} or the first words of a choice (help lists the commands).")


def completions(text: str, offered: list[Choice], *, debug: bool = False,
                allowed: set[str] | None = None, nodes: list[str] = ()) -> list[tuple[str, str]]:
    """(text to put on the line, what the menu shows) for what has been typed so far."""
    t = text.lstrip()
    if not t or t.strip().isdigit():
        return []
    out = []
    for i in match_choices(t, offered) if t.strip() else []:
        out.append((clean(offered[i].text), f"{i + 1}. {clean(offered[i].text)}"))
    low = t.lower()
    table = command_table(debug)
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

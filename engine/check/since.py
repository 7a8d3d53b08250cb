"""`chronicle check --since REV|DIR`: which saves of an older version of the story an edit breaks.

A save names each step by the node it was taken at and the choice's key (engine/savefile.py),
so it resumes exactly in an edited story when, step by step, the same key is on offer at the
same node and leads to the same node with the same flag values. This module plays the old
version and the new one side by side, from every state the old one can reach (breadth-first
over pairs of states, so the first time a change is met its saved path is a shortest one),
and reports every place where a save of the old version would stop resuming exactly:

  * node-removed      the node a save stands at, or steps from, is gone (or its chapter is);
  * choice-gone       no choice with the step's key at that node any more;
  * choice-guarded    the choice is there but not on offer in a state where a save took it;
  * choice-retargeted the choice now leads to another node;
  * effects-changed   it leads to the same node, but with other flag values;
  * ending-changed    a save went on into the next chapter from a node that is no longer an ending;
  * flag-changed      a flag's type or range no longer holds a value the old version gives it.

Each finding counts the old version's states it affects and carries one saved path that
shows it. Flags the new version adds or drops are not changes a save notices (they take
their defaults, or are dropped), so only flags declared in both, alike, are compared.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from .. import files
from .. import runtime as rt
from ..diagnostics import Pos
from ..model import Chapter, Flag, Story
from ..savefile import NEXT_CHAPTER

SINCE_FORMAT_VERSION = 1
DEFAULT_MAX_PAIRS = 500_000

KIND_WORDS = {
    "node-removed": "node removed",
    "choice-gone": "choice gone",
    "choice-guarded": "choice newly guarded",
    "choice-retargeted": "choice leads elsewhere",
    "effects-changed": "effects changed",
    "ending-changed": "ending changed",
    "flag-changed": "flag's type or range changed",
}


class SinceError(Exception):
    """The older version cannot be had or compiled; the message says why."""


@dataclass
class Break:
    kind: str
    chapter: str
    node: str
    message: str
    pos: Pos | None
    states: int = 0  # old states where a save would stop resuming exactly here
    steps: list = field(default_factory=list)  # one saved path that shows it (format-2 steps)
    numbers: list = field(default_factory=list)  # the same path as the choice numbers of the old version
    start_chapter: str = ""

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "chapter": self.chapter,
            "node": self.node,
            "message": self.message,
            "file": self.pos.file if self.pos else None,
            "line": self.pos.line if self.pos else None,
            "col": self.pos.col if self.pos else None,
            "states": self.states,
            "saved_steps": self.steps,
        }


@dataclass
class SinceReport:
    breaks: list
    old_states: int
    complete: bool


# ---- getting the older version ----------------------------------------------------------------


def old_version_root(story_root: Path, since: str, workdir: Path) -> Path:
    """The story folder of the older version: `since` itself when it is a folder holding a
    story, else a git revision of the repository `story_root` lies in, unpacked into workdir."""
    as_dir = Path(since)
    if (as_dir / "story" / "story.yaml").is_file():
        return as_dir
    if since.startswith("-"):  # git would take it for an option (`--output=FILE` writes a file)
        raise SinceError(f"'{since}' is neither a story folder nor a git revision (a revision never starts with '-')")
    root = story_root.resolve()
    try:
        top, prefix = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel", "--show-prefix"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split("\n")[:2]
        # from the top of the repository, `REV:folder` is the story folder as that revision had it
        tar = subprocess.run(
            ["git", "-C", top, "archive", "--format=tar", "--end-of-options", f"{since}:{prefix}"],
            capture_output=True,
            timeout=120,
            check=True,
        ).stdout
    except FileNotFoundError:
        raise SinceError(
            f"'{since}' is not a story folder, and git is not installed to read it as a revision"
        ) from None
    except subprocess.CalledProcessError as exc:
        why = (exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else exc.stderr or "").strip()
        raise SinceError(
            f"'{since}' is neither a story folder nor a git revision of {story_root}"
            + (f" ({why.splitlines()[-1]})" if why else "")
        ) from None
    except subprocess.TimeoutExpired:
        raise SinceError(f"git took too long to read revision '{since}'") from None
    dest = workdir / "old"
    files.make_folder(dest)
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        # the revision's regular files only, written through the one writer; git archive never
        # holds a name outside the folder, but a link or an odd name is skipped all the same
        for member in t:
            parts = Path(member.name).parts
            if not member.isfile() or not parts or Path(member.name).is_absolute() or ".." in parts:
                continue
            got = t.extractfile(member)
            if got is not None:
                files.write(dest.joinpath(*parts), got.read(), parents=True, durable=False)
    return dest


# ---- comparing --------------------------------------------------------------------------------


def _dead_slots(story: Story) -> dict[tuple[str, str], tuple]:
    """(chapter, node) -> the slots no condition, effect or conditional text can read from there on."""
    from .explore import prepare

    out = {}
    for ch in story.chapters:
        g = prepare(story, ch)
        for ni, nid in enumerate(g.ids):
            out[(ch.id, nid)] = g.dead[ni]
    return out


def _same_decl(a: Flag, b: Flag) -> bool:
    return a.type == b.type and a.min == b.min and a.max == b.max and tuple(a.values) == tuple(b.values)


def _shared_flags(old_ch: Chapter, new_ch: Chapter) -> list[tuple[Flag, Flag]]:
    out = []
    for f in old_ch.layout:
        g = new_ch.flag(f.name)
        if g is not None and _same_decl(f, g):
            out.append((f, g))
    return out


def _new_start(old: Story, new: Story, s: rt.State) -> rt.State | None:
    """The new version's state a save starting at old state `s` starts at (flags mapped by name;
    a value the new declaration refuses takes the default, as loading a save does)."""
    if not new.has_chapter(s.chapter):
        return None
    ch = new.chapter(s.chapter)
    if s.node not in ch.nodes:
        return None
    # From the values play entered the node with, as a save records them: entering it again
    # applies its count and `do:` once (its arrived values would have them applied twice).
    values = s.entry if s.entry is not None else s.values
    flags = {}
    for f in old.chapter(s.chapter).layout:
        g = ch.flag(f.name)
        v = values[f.slot]
        if g is not None and g.accepts(v):
            flags[f.name] = v
    return rt.start(new, s.chapter, s.node, flags)


def compare(old: Story, new: Story, *, max_pairs: int = DEFAULT_MAX_PAIRS) -> SinceReport:
    """Every edit from `old` to `new` that would stop a save of `old` from resuming exactly."""
    found: dict[tuple, Break] = {}
    counted: dict[tuple, set] = {}
    # As the explorer does, a flag no condition or effect can read again from a node on is reset
    # on arrival there: it cannot change what play offers or where it leads, so states differing
    # only in such flags merge. (A flag only prose reads is one of them; an edit to an effect on
    # it is still found, by comparing the effects as written.)
    dead = {"old": _dead_slots(old), "new": _dead_slots(new)}

    def settle(s: rt.State | None, which: str) -> rt.State | None:
        if s is None:
            return None
        slots = dead[which].get((s.chapter, s.node))
        if not slots:
            return s
        story = old if which == "old" else new
        layout = story.chapter(s.chapter).layout
        values = list(s.values)
        for k in slots:
            values[k] = layout[k].default
        return rt.State(s.chapter, s.node, tuple(values), s.seen, s.path, stack=s.stack)

    def key_of(s: rt.State) -> tuple:
        return (s.chapter, s.node, s.values, s.seen)

    # breadth-first over pairs (old state, new state); parent links give the saved path
    first = rt.start(old)
    pairs: list[tuple[rt.State, rt.State | None]] = []
    parent: list[int] = []
    seen_pairs: dict[tuple, int] = {}
    old_seen: set = set()
    queue: deque[int] = deque()

    def push(old_state: rt.State, new_state: rt.State | None, p: int) -> None:
        o, n = settle(old_state, "old"), settle(new_state, "new")
        assert o is not None, "settling a state keeps it a state"
        k = (key_of(o), key_of(n) if n is not None else None)
        if k in seen_pairs or len(pairs) >= max_pairs:
            return
        seen_pairs[k] = len(pairs)
        pairs.append((o, n))
        parent.append(p)
        old_seen.add(key_of(o))
        queue.append(len(pairs) - 1)

    def note(
        kind: str, i: int, o: rt.State, message: str, pos: Pos | None, at: str | None = None, then: str | None = None
    ) -> None:
        k = (kind, o.chapter, at or o.node, message)
        counted.setdefault(k, set()).add(key_of(o))
        if k not in found:
            steps = _steps(old, pairs, parent, i) + ([then] if then else [])
            found[k] = Break(
                kind,
                o.chapter,
                at or o.node,
                message,
                pos,
                steps=steps,
                numbers=_numbers(old, pairs, parent, i, then),
                start_chapter=pairs[_root(parent, i)][0].chapter,
            )

    start_new = _new_start(old, new, first)
    push(first, start_new, -1)
    complete = True
    while queue:
        i = queue.popleft()
        o, n = pairs[i]
        old_ch = old.chapter(o.chapter)
        if n is None:
            new_has = new.has_chapter(o.chapter)
            note(
                "node-removed",
                i,
                o,
                f"'{o.node}' is gone from {o.chapter}" if new_has else f"chapter {o.chapter} is gone",
                old_ch.nodes[o.node].pos,
            )
            continue
        onode = old_ch.nodes[o.node]
        nnode = new.chapter(n.chapter).nodes[n.node]
        if onode.is_ending:
            if old.next_chapter(o.chapter) is None:
                continue
            o2 = rt.advance(old, o)
            if not nnode.is_ending:
                note(
                    "ending-changed",
                    i,
                    o,
                    f"'{o.node}' is no longer an ending, so a save cannot go on from it into the next chapter",
                    nnode.pos,
                    then=NEXT_CHAPTER,
                )
                continue
            nxt = new.next_chapter(n.chapter)
            if nxt is None or nxt.id != o2.chapter:
                note(
                    "node-removed",
                    i,
                    o,
                    f"chapter {o2.chapter} no longer follows {o.chapter}",
                    nnode.pos,
                    then=NEXT_CHAPTER,
                )
                continue
            n2 = rt.advance(new, n)
            push(o2, n2, i)
            continue
        new_choices = {c.key: c for c in nnode.choices}
        for c in rt.available(old, o):
            step = f"{o.node}:{c.key}"
            o2 = rt.choose(old, o, c)
            d = new_choices.get(c.key)
            if d is None:
                note("choice-gone", i, o, f"choice '{c.text}' ({c.key}) of '{o.node}' is gone", c.pos, then=step)
                continue
            if d.test is not None and not d.test(n.values, n.seen):
                note(
                    "choice-guarded",
                    i,
                    o,
                    f"choice '{d.text}' ({d.key}) of '{o.node}' is no longer on offer where "
                    f"a save took it (it now needs `{d.condition_src}`)",
                    d.pos,
                    then=step,
                )
                continue
            if tuple(e.src for e in c.effects) != tuple(e.src for e in d.effects):
                note(
                    "effects-changed",
                    i,
                    o,
                    f"choice '{d.text}' ({d.key}) of '{o.node}' now does "
                    f"[{', '.join(e.src for e in d.effects)}], not [{', '.join(e.src for e in c.effects)}]",
                    d.pos,
                    then=step,
                )
                continue
            n2 = rt.choose(new, n, d)
            if n2.node != o2.node:
                note(
                    "choice-retargeted",
                    i,
                    o,
                    f"choice '{d.text}' ({d.key}) of '{o.node}' now leads to '{n2.node}', not '{o2.node}'",
                    d.pos,
                    then=step,
                )
                continue
            shared = _shared_flags(old.chapter(o2.chapter), new.chapter(n2.chapter))
            live_old = dead["old"].get((o2.chapter, o2.node), ())
            live_new = dead["new"].get((n2.chapter, n2.node), ())
            differ = [
                f.name
                for f, g in shared
                if f.slot not in live_old and g.slot not in live_new and o2.values[f.slot] != n2.values[g.slot]
            ]
            if differ:
                note(
                    "effects-changed",
                    i,
                    o,
                    f"choice '{d.text}' ({d.key}) of '{o.node}' leaves {', '.join(differ)} other than it did",
                    d.pos,
                    then=step,
                )
                continue
            push(o2, n2, i)
        if len(pairs) >= max_pairs:
            complete = False
    breaks = list(found.values())
    for k, b in zip(found, breaks):
        b.states = len(counted[k])
    breaks += _flag_changes(old, new, old_seen)
    breaks.sort(
        key=lambda b: (
            [c.id for c in old.chapters].index(b.chapter) if old.has_chapter(b.chapter) else 0,
            b.node,
            b.kind,
        )
    )
    return SinceReport(breaks, len(old_seen), complete and not queue)


def _flag_changes(old: Story, new: Story, old_states: set) -> list[Break]:
    out = []
    for och in old.chapters:
        if not new.has_chapter(och.id):
            continue
        nch = new.chapter(och.id)
        for f in och.layout:
            g = nch.flag(f.name)
            if g is None or _same_decl(f, g):
                continue
            bad = sum(1 for (cid, _n, values, _s) in old_states if cid == och.id and not g.accepts(values[f.slot]))
            if bad:
                out.append(
                    Break(
                        "flag-changed",
                        och.id,
                        och.start,
                        f"flag {f.name} was {f.describe()} and is now "
                        f"{g.describe()}: {bad:,} saved state{'s' if bad != 1 else ''} hold a value it refuses, "
                        "and a loaded save starts it at its default",
                        g.pos,
                        bad,
                    )
                )
    return out


def _root(parent: list[int], i: int) -> int:
    while parent[i] >= 0:
        i = parent[i]
    return i


def _chain(parent: list[int], i: int) -> list[int]:
    out = [i]
    while parent[i] >= 0:
        i = parent[i]
        out.append(i)
    return out[::-1]


def _steps(old: Story, pairs, parent, i) -> list[str]:
    chain = [pairs[k][0] for k in _chain(parent, i)]
    from ..savefile import steps_of

    return steps_of(old, chain)


def _numbers(old: Story, pairs, parent, i, then: str | None) -> list[int]:
    """The path as the choice numbers a player of the old version sees (`--replay`)."""
    chain = [pairs[k][0] for k in _chain(parent, i)]
    out = []
    for a, b in zip(chain, chain[1:]):
        if b.path[-1] != rt.CONTINUE:
            out.append(rt.number_of(old, a, rt.node_of(old, a).choices[b.path[-1]]))
    last = chain[-1]
    if then and then != NEXT_CHAPTER:
        key = then.split(":", 1)[1]
        c = next(c for c in rt.node_of(old, last).choices if c.key == key)
        out.append(rt.number_of(old, last, c))
    return out


# ---- rendering ------------------------------------------------------------------------------


def render_text(report: SinceReport, since: str, old_arg: str | None) -> str:
    lines = []
    for b in report.breaks:
        where = f"{b.pos.file}:{b.pos.line}:{b.pos.col}: " if b.pos and b.pos.line else ""
        lines.append(f"{where}{KIND_WORDS[b.kind]}: {b.message}; {b.states:,} old state{'s' if b.states != 1 else ''}")
        if b.steps or b.kind != "flag-changed":
            lines.append(f"  saved steps: {', '.join(b.steps) if b.steps else '(none: at the start)'}")
        if old_arg and b.kind != "flag-changed":
            lines.append(
                f"  replay (old version): chronicle play --story {old_arg} --replay "
                f"{','.join(map(str, b.numbers)) if b.numbers else chr(34) * 2}"
            )
    if report.breaks:
        n = len(report.breaks)
        lines.append(
            f"\ncheck --since {since}: {n} edit{'s stop' if n != 1 else ' stops'} saves of that version from "
            f"resuming exactly ({report.old_states:,} of its states explored"
            + ("" if report.complete else ", exploration incomplete")
            + ")"
        )
    else:
        lines.append(
            f"check --since {since}: every save of that version resumes exactly in this one "
            f"({report.old_states:,} of its states explored"
            + ("" if report.complete else "; exploration stopped at its bound, so not proven")
            + ")"
        )
    return "\n".join(lines) + "\n"


def render_json(report: SinceReport, since: str) -> dict:
    return {
        "version": SINCE_FORMAT_VERSION,
        "since": since,
        "old_states": report.old_states,
        "complete": report.complete,
        "ok": not report.breaks and report.complete,
        "breaks": [b.to_json() for b in report.breaks],
    }

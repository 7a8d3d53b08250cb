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
import sys
import tarfile
import time
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
# What the memory bound counts per pair of states (old, new) met, by this module's own count (as
# the explorer keeps one, see explore.held_bytes): the two states (a runtime State each, with its
# path and stack), the pair's key in the table of pairs met (two keys of four), the old state's
# key in the set of old states, the pair's place in the list, the parent list and the queue; and
# per pair two tuples of flag values (see _values_bytes). Measured with tracemalloc on the real story
# (90,640 pairs: 1,599 bytes a pair at the peak; counted: 1,636).
PAIR_BYTES = 900
BOUND_WORDS = {"pairs": "pair bound", "memory": "memory bound", "time": "time bound"}
BOUND_OPTIONS = {"pairs": "--max-pairs", "memory": "--max-memory", "time": "--max-seconds"}
_LOOK_EVERY = 1024  # pairs expanded between looks at the count and the clock

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
    stopped_by: str | None = None  # "pairs" | "memory" | "time": the bound that stopped it
    pairs: int = 0  # pairs of (old, new) states explored
    # For a git revision (unpacked into a folder that is gone when `check` ends): the command that
    # unpacks it again, and the folder that command makes, so the replays can be run by a person.
    old_unpack: str | None = None
    old_folder: str | None = None


# ---- getting the older version ----------------------------------------------------------------


def old_version_root(story_root: Path, since: str, workdir: Path) -> Path:
    """The story folder of the older version: `since` itself when it is a folder holding a
    story, else a git revision of the repository `story_root` lies in, unpacked into workdir."""
    as_dir = Path(since)
    if (as_dir / "story" / "story.yaml").is_file():
        return as_dir
    if since.startswith("-"):  # git would take it for an option (`--output=FILE` writes a file)
        raise SinceError(f"'{since}' is neither a story folder nor a git revision (a revision never starts with '-')")
    try:
        top, prefix = git_location(story_root)
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


def git_location(story_root: Path) -> tuple[str, str]:
    """(the repository's top folder, the story folder's path inside it, '' or ending in '/');
    subprocess.CalledProcessError when `story_root` is not inside a git repository."""
    top, prefix = subprocess.run(
        ["git", "-C", str(story_root.resolve()), "rev-parse", "--show-toplevel", "--show-prefix"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split("\n")[:2]
    return top, prefix


def name_revision_files(report: SinceReport, old_root: Path, story_root: Path, since: str) -> None:
    """Name the old version's files as git does (`REV:chapters/storm.yaml`, which `git show`
    opens), not by the temporary folder they were unpacked into, and say how to unpack that
    revision again so its replays run."""
    top, prefix = git_location(story_root)
    base = str(old_root)
    for b in report.breaks:
        if b.pos and b.pos.file and b.pos.file.startswith(base):
            rel = Path(b.pos.file).relative_to(old_root).as_posix()
            b.pos = Pos(f"{since}:{prefix}{rel}", b.pos.line, b.pos.col)
    folder = f"/tmp/chronicle-{_slug(since)}"
    report.old_folder = folder
    report.old_unpack = (
        f"mkdir -p {folder} && git -C {_shell(top)} archive --format=tar --end-of-options "
        f"{_shell(since + ':' + prefix)} | tar -x -C {folder}"
    )


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text).strip("-.")
    return out[:40] or "old"


def _shell(text: str) -> str:
    import shlex

    return shlex.quote(text)


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


def _values_bytes(story: Story) -> int:
    """What one state's flag values cost the memory bound (see PAIR_BYTES): a tuple as wide as
    the widest chapter's flags."""
    return sys.getsizeof((0,) * max((len(ch.layout) for ch in story.chapters), default=0))


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


def compare(
    old: Story,
    new: Story,
    *,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    max_memory_mib: float | None = None,
    deadline: float | None = None,
) -> SinceReport:
    """Every edit from `old` to `new` that would stop a save of `old` from resuming exactly.

    Stops at whichever bound comes first: `max_pairs` pairs of states, the pairs held costing
    `max_memory_mib` by this module's own count (PAIR_BYTES; never the process's size, so the
    same stories give the same result in any process), or time.perf_counter() passing
    `deadline`. The report says which (`stopped_by`); what was found before stays found."""
    if max_memory_mib is None:
        from .explore import DEFAULT_MAX_MEMORY_MIB

        max_memory_mib = DEFAULT_MAX_MEMORY_MIB
    max_bytes = int(max_memory_mib * 1024 * 1024)
    pair_bytes = PAIR_BYTES + _values_bytes(old) + _values_bytes(new)
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

    stopped: list[str] = []  # the bound that stopped it, once one has

    def push(old_state: rt.State, new_state: rt.State | None, p: int) -> None:
        o, n = settle(old_state, "old"), settle(new_state, "new")
        assert o is not None, "settling a state keeps it a state"
        k = (key_of(o), key_of(n) if n is not None else None)
        if k in seen_pairs:
            return
        if len(pairs) >= max_pairs:
            stopped[:] = stopped or ["pairs"]
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

    # Flags compared after a step, per (old chapter, old node, new chapter, new node): the ones
    # declared alike in both versions and live at both nodes (computed once per pair of nodes,
    # not once per pair of states).
    compared: dict[tuple, list[tuple[str, int, int]]] = {}
    shared_of: dict[tuple[str, str], list[tuple[Flag, Flag]]] = {}

    def to_compare(o2: rt.State, n2: rt.State) -> list[tuple[str, int, int]]:
        at = (o2.chapter, o2.node, n2.chapter, n2.node)
        out = compared.get(at)
        if out is None:
            chs = (o2.chapter, n2.chapter)
            shared = shared_of.get(chs)
            if shared is None:
                shared = shared_of[chs] = _shared_flags(old.chapter(o2.chapter), new.chapter(n2.chapter))
            dead_old = dead["old"].get((o2.chapter, o2.node), ())
            dead_new = dead["new"].get((n2.chapter, n2.node), ())
            out = compared[at] = [
                (f.name, f.slot, g.slot) for f, g in shared if f.slot not in dead_old and g.slot not in dead_new
            ]
        return out

    start_new = _new_start(old, new, first)
    push(first, start_new, -1)
    expanded = 0
    while queue:
        expanded += 1
        if expanded % _LOOK_EVERY == 0:
            if len(pairs) * pair_bytes > max_bytes:
                stopped[:] = stopped or ["memory"]
            elif deadline is not None and time.perf_counter() > deadline:
                stopped[:] = stopped or ["time"]
            if stopped and stopped[0] != "pairs":
                break
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
                note("choice-gone", i, o, _gone(c, o.node), c.pos, then=step)
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
            ov, nv = o2.values, n2.values
            differ = [name for name, a, b in to_compare(o2, n2) if ov[a] != nv[b]]
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
    complete = not stopped and not queue
    return SinceReport(breaks, len(old_seen), complete, stopped[0] if stopped else None, len(pairs))


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


def _gone(c, node: str) -> str:
    """A choice a save took is gone: what it was, and how the next edit of this kind keeps saves."""
    said = f"choice '{c.text}' ({c.key}) of '{node}' is gone"
    if c.id is None:
        return (
            f"{said}; without an `id:` a choice is known by where it leads, so a new `goto:` or a reorder "
            f"among same-way siblings loses its saves: give the choice an `id:` (here, in the release "
            f"players have) before such an edit"
        )
    return f"{said}; saves know it by its `id: {c.id}`: keep a choice with that id in '{node}' and saves find it"


# ---- rendering ------------------------------------------------------------------------------


def render_text(report: SinceReport, since: str, old_arg: str | None) -> str:
    lines = []
    replay_on = old_arg or report.old_folder
    if report.old_unpack and any(b.kind != "flag-changed" for b in report.breaks):
        lines.append(f"the old version ({since}) unpacks, for its replays, with: {report.old_unpack}")
    for b in report.breaks:
        where = f"{b.pos.file}:{b.pos.line}:{b.pos.col}: " if b.pos and b.pos.line else ""
        lines.append(f"{where}{KIND_WORDS[b.kind]}: {b.message}; {b.states:,} old state{'s' if b.states != 1 else ''}")
        if b.steps or b.kind != "flag-changed":
            lines.append(f"  saved steps: {', '.join(b.steps) if b.steps else '(none: at the start)'}")
        if replay_on and b.kind != "flag-changed":
            lines.append(
                f"  replay (old version): chronicle play --story {replay_on} --replay "
                f"{','.join(map(str, b.numbers)) if b.numbers else chr(34) * 2}"
            )
    if report.breaks:
        n = len(report.breaks)
        lines.append(
            f"\ncheck --since {since}: {n} edit{'s stop' if n != 1 else ' stops'} saves of that version from "
            f"resuming exactly ({report.old_states:,} of its states explored)"
            + ("" if report.complete else f"; not proven beyond them: {_stop_words(report)}")
        )
    else:
        lines.append(
            f"check --since {since}: every save of that version resumes exactly in this one "
            f"({report.old_states:,} of its states explored)"
            if report.complete
            else f"check --since {since}: not proven that every save of that version resumes exactly in this one, "
            f"though none of the {report.old_states:,} states explored breaks: {_stop_words(report)}"
        )
    return "\n".join(lines) + "\n"


def _stop_words(report: SinceReport) -> str:
    bound = report.stopped_by or "pairs"
    return (
        f"stopped at the {BOUND_WORDS[bound]} after {report.pairs:,} pairs of old and new states; "
        f"raise {BOUND_OPTIONS[bound]} to compare them all"
    )


def render_json(report: SinceReport, since: str) -> dict:
    return {
        "version": SINCE_FORMAT_VERSION,
        "since": since,
        "old_states": report.old_states,
        "complete": report.complete,
        "stopped_by": report.stopped_by,
        "pairs": report.pairs,
        "ok": not report.breaks and report.complete,
        "unpack": report.old_unpack,  # a git revision: the command that unpacks it for the replays
        "breaks": [b.to_json() for b in report.breaks],
    }

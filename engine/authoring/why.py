"""`chronicle why CHAPTER:NODE[:CHOICE]`: how play gets there, or what stops it.

When the node (or choice) is reached, the answer is the shortest choice
sequence that gets there (breadth-first exploration finds it), the flag values
on arrival, and a `chronicle play ... --replay` command that plays it. When it
is not, the answer walks back along every choice that leads there and says
which condition blocks it: the condition, the values its flags actually take
in the states that reach its node, and the values that would make it true.

Chapter N is explored from every story-wide state an ending of chapter N-1 can
hand on, exactly as `chronicle check` does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from .. import calls
from .. import expr as ex
from .. import runtime as rt
from ..check import Replayer
from ..check.explore import DEFAULT_MAX_STATES, Exploration
from ..check.reach import explore_story
from ..diagnostics import did_you_mean
from ..model import AUTO, Chapter, Choice, Flag, Story
from . import AuthoringError

MAX_DEPTH = 4  # how far back an unreachable chain is explained before pointing at another `why`
MAX_COMBOS = 20_000


@dataclass
class Step:
    node: str
    number: int  # as offered to the player
    index: int  # in the node's list of choices (0-based)
    text: str
    condition: str | None
    effects: tuple


@dataclass
class Answer:
    target: str  # "chapter:node" or "chapter:node:choice"
    chapter: str
    node: str
    choice: int | None  # 1-based position in the node's list, when asked about a choice
    reached: bool
    steps: list = field(default_factory=list)  # Steps of the shortest path (reached)
    start_flags: dict = field(default_factory=dict)  # story-wide flags that differ from their defaults at the start
    start_from: str | None = None  # "chapter:ending" an earlier chapter leaves those flags at
    arrival: dict = field(default_factory=dict)  # flag values at the node
    after: dict | None = None  # flag values after taking the choice (choice targets)
    history: list = field(default_factory=list)  # (fact id, holds on arrival, "asserts"/"denies", site) its words name
    replay: str | None = None
    reasons: list = field(default_factory=list)  # lines explaining what blocks it (not reached)
    complete: bool = True
    sets: dict = field(default_factory=dict)  # the --set values the answer starts from

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "reached": self.reached,
            "complete": self.complete,
            "steps": [s.__dict__ | {"effects": list(s.effects)} for s in self.steps],
            "start_flags": self.start_flags,
            "start_from": self.start_from,
            "arrival": self.arrival,
            "after": self.after,
            "replay": self.replay,
            "reasons": self.reasons,
            "history": [{"fact": f, "holds": h, "said": said, "by": site} for f, h, said, site in self.history],
        }


def parse_target(story: Story, target: str) -> tuple[Chapter, str, int | None]:
    parts = target.split(":")
    if len(parts) == 1 or (len(parts) == 2 and parts[1].isdigit()):
        # NODE or NODE:CHOICE, when the node id is unique in the story
        owners = [c for c in story.chapters if parts[0] in c.nodes]
        if len(owners) != 1:
            raise AuthoringError(
                f"write the target as CHAPTER:NODE[:CHOICE], like {_example(story)}"
                + (f" ('{parts[0]}' is a node of {', '.join(c.id for c in owners)})" if owners else ""),
                2,
            )
        parts = [owners[0].id] + parts
    if len(parts) not in (2, 3):
        raise AuthoringError(f"write the target as CHAPTER:NODE[:CHOICE], like {_example(story)}", 2)
    cid, nid = parts[0], parts[1]
    if not story.has_chapter(cid):
        raise AuthoringError(f"there is no chapter '{cid}' (chapters: {', '.join(c.id for c in story.chapters)})", 2)
    ch = story.chapter(cid)
    if nid not in ch.nodes:
        hint = did_you_mean(nid, ch.nodes)
        raise AuthoringError(f"chapter '{cid}' has no node '{nid}'" + (f"; {hint}" if hint else ""), 2)
    choice = None
    if len(parts) == 3:
        node = ch.nodes[nid]
        if not parts[2].isdigit() or not 1 <= int(parts[2]) <= len(node.choices):
            have = f"choices 1 to {len(node.choices)}" if node.choices else "no choices (it is an ending)"
            raise AuthoringError(
                f"node '{nid}' has {have}; CHOICE is its position in the node's list, not '{parts[2]}'", 2
            )
        choice = int(parts[2])
    return ch, nid, choice


def _example(story: Story) -> str:
    if story.chapters:
        ch = story.chapters[0]
        return f"{ch.id}:{ch.start} or {ch.id}:{ch.start}:1"
    return "chapter:node"


def why(
    story: Story,
    target: str,
    story_arg: str | None = None,
    max_states: int = DEFAULT_MAX_STATES,
    sets: dict | None = None,
) -> Answer:
    """`sets`: story-wide flag values (name -> value, or its text as typed) the chapter starts
    with, as `play --set` gives them: the answer is about the states play reaches from there."""
    ch, nid, choice = parse_target(story, target)
    ans = Answer(f"{ch.id}:{nid}" + (f":{choice}" if choice else ""), ch.id, nid, choice, False)
    reach = explore_story(story, until=ch.id, max_states=max_states)
    ans.complete = reach.complete
    exp = reach.exploration(ch.id)
    if sets and exp is not None:
        exp = _explore_with(story, ch, exp, _start_values(story, ch, sets), max_states)
        ans.complete = ans.complete and exp.complete
        ans.sets = dict(sets)
    if exp is None:
        assert reach.cut_off is not None, "a chapter goes unexplored only after a cut-off"
        prev = story.chapters[[c.id for c in story.chapters].index(reach.cut_off) - 1]
        ans.reasons.append(
            f"nothing leads into chapter '{ch.id}': play never reaches an ending of chapter "
            f"'{prev.id}', so no chapter after it is played (`chronicle check` says why)"
        )
        return ans
    ni = exp.graph.index[nid]
    sid = exp.first_at_node.get(ni) if choice is None else exp.offered.get((ni, choice - 1))
    if sid is not None:
        _explain_reached(story, exp, sid, choice, ans, reach, story_arg)
    else:
        ans.reasons = _explain_blocked(story, exp, nid, choice, depth=0, visited=set())
    return ans


def _start_values(story: Story, ch: Chapter, sets: dict) -> dict:
    """`--set` values by flag name, parsed and checked against the story-wide flags."""
    out = {}
    for name, value in sets.items():
        f = ch.flag(name)
        if f is None:
            raise AuthoringError(f"there is no flag '{name}' in chapter '{ch.id}'", 2)
        if f.scope != "story":
            raise AuthoringError(
                f"'{name}' is chapter '{ch.id}'s own flag, which every playthrough starts at its default "
                f"({_show(f.default)}): --set names a story-wide flag, which earlier chapters hand on",
                2,
            )
        if isinstance(value, str) and not (f.type == "enum" and value in f.values):
            try:
                value = f.parse_value(value)
            except ValueError as exc:
                raise AuthoringError(str(exc), 2) from None
        if not f.accepts(value):
            raise AuthoringError(f"{value!r} is not a valid value for {name} ({f.describe()})", 2)
        out[name] = value
    return out


def _explore_with(story: Story, ch: Chapter, exp: Exploration, values: dict, max_states: int) -> Exploration:
    """The chapter explored from the starts play hands on that have these values; from the
    defaults with these values set (as `play --set` starts) when no start play gives has them."""
    from ..check.explore import explore

    n = len(story.flags)
    slots = {name: ch.flag(name).slot for name in values}  # type: ignore[union-attr]
    starts = [s[:n] for s in exp.starts if all(s[slots[k]] == v for k, v in values.items())]
    if not starts:
        start = list(story.story_defaults)
        for k, v in values.items():
            start[slots[k]] = v
        starts = [tuple(start)]
    return explore(story, ch, sorted(set(starts), key=repr), max_states=max_states)


# ---- reached: the shortest path ---------------------------------------------------------------


def _explain_reached(
    story: Story, exp: Exploration, sid: int, choice: int | None, ans: Answer, reach, story_arg: str | None
) -> None:
    ch = exp.chapter
    start, numbers, indices = exp.path(sid)
    start_values = exp.starts[start]
    then = exp.number_of(sid, choice - 1) if choice else None
    ans.reached = True
    ans.replay = Replayer(story, story_arg).command(exp, sid, then)
    ans.start_flags = {f.name: start_values[f.slot] for f in story.flags if start_values[f.slot] != f.default}
    if ans.start_flags:
        ans.start_from = _which_ending_leaves(story, reach, ch, start_values[: len(story.flags)])
    # Replay through the runtime, as the command will: the real (unmasked) values on arrival.
    draws = [x for x in exp.replay_items(sid)[1] if not isinstance(x, int)]  # (as the replay fixes them)
    first = rt.start(story, ch.id, None, ans.start_flags, draws=draws)
    moves = numbers + ([then] if then else [])
    states = rt.replay_numbers(story, first, moves, draws)
    nodes = [s.node for s in states]
    for k, (number, index) in enumerate(zip(moves, indices + ([choice - 1] if choice else []))):
        c = ch.nodes[nodes[k]].choices[index]
        ans.steps.append(Step(nodes[k], number, index, c.text, c.condition_src, tuple(e.src for e in c.effects)))
    at = states[len(numbers)]
    # play goes on through a `next:` node by itself: the replay stops where the player next acts
    # (and through a returning node, back to where its call returns)
    passing = ch.nodes[ans.node].flows
    assert at.node == ans.node or passing, (at.node, ans.node)
    ans.arrival = rt.flag_values(story, at)
    if choice:
        ans.after = rt.flag_values(story, states[-1])
    # What the words here say about history (asserts/denies), against this path's history.
    # Only words shown on this path: a part its own `if:` hides here says nothing here.
    from ..check.continuity import sites

    for site in sites(ch.nodes[ans.node], story):
        if choice and site.what.startswith("choice") and not site.what.startswith(f"choice {choice} "):
            continue
        if not site.shown(at.values, at.seen):
            continue
        for said, ids in (("asserts", site.asserts), ("denies", site.denies)):
            for fid in ids:
                ans.history.append((fid, story.facts[fid].holds_in(at.values), said, site.what))


def _which_ending_leaves(story: Story, reach, ch: Chapter, story_values: tuple) -> str | None:
    ids = [c.id for c in story.chapters]
    k = ids.index(ch.id)
    if k == 0:
        return None
    prev = reach.exploration(ids[k - 1])
    if prev is None:
        return None
    n = len(story.flags)
    for s in prev.ending_states:  # breadth-first order: the first is the nearest
        if prev.keys[s][1][:n] == story_values:
            return f"{prev.chapter.id}:{prev.node_of(s)}"
    return None


# ---- not reached: what blocks it ------------------------------------------------------------


def _explain_blocked(
    story: Story, exp: Exploration, nid: str, choice: int | None, depth: int, visited: set
) -> list[str]:
    ch = exp.chapter
    pad = "  " * depth
    ni = exp.graph.index[nid]
    if choice is not None:
        c = ch.nodes[nid].choices[choice - 1]
        if ni not in exp.first_at_node:
            return [
                f"{pad}choice {choice} of '{nid}' is never offered because '{nid}' itself is never reached:"
            ] + _explain_blocked(story, exp, nid, None, depth + 1, visited)
        return [pad + line for line in _condition_report(story, exp, nid, c)]
    if nid in visited:
        return [f"{pad}('{nid}' again: a loop that play never enters)"]
    visited.add(nid)
    if depth > MAX_DEPTH:
        return [f"{pad}... and further back: run `chronicle why {ch.id}:{nid}`"]
    ways_in = [(pid, c) for pid, p in ch.nodes.items() for c in p.choices if c.target == nid]
    # the branches of conditional `next:`s (and calls from flow) that go into it, each as the move
    # the explorer makes: taken where its `if` holds and no earlier branch's does
    ways_in += [
        (pid, replace(b, index=AUTO - 1 - k))
        for pid, p in ch.nodes.items()
        for k, b in enumerate(calls.first_true(p.branches))
        if b.target == nid
    ]
    flows_in = [pid for pid, p in ch.nodes.items() if p.next == nid]  # `next:` nodes that go on into it
    returns_in = [pid for pid, p in ch.nodes.items() if nid in p.return_to]  # returning nodes that come back here
    if (flows_in or returns_in) and not ways_in:
        how = " and ".join(
            x
            for x in (
                "by `next:`" if flows_in else "",
                "returning from a call" if returns_in else "",
            )
            if x
        )
        lines = [
            f"{pad}'{nid}' follows only after "
            + ", ".join(f"'{p}'" for p in flows_in + returns_in)
            + f" ({how}), which play never reaches:"
        ]
        flows_in = flows_in + returns_in
        for pid in flows_in:
            lines += _explain_blocked(story, exp, pid, None, depth + 1, visited)
        return lines
    if not ways_in:
        return [f"{pad}no choice in chapter '{ch.id}' leads to '{nid}'"]
    lines = [
        f"{pad}'{nid}' is reached only through "
        + (
            "this choice, which is never taken:"
            if len(ways_in) == 1
            else f"these {len(ways_in)} choices, and none is ever taken:"
        )
    ]
    for pid, c in ways_in:
        pni = exp.graph.index[pid]
        branch = c.index < AUTO  # (a branch k of a `next:` is numbered AUTO - 1 - k here)
        head = (
            f"{pad}- branch {AUTO - c.index} of '{pid}''s `next:`"
            if branch
            else f"{pad}- choice {c.index + 1} of '{pid}' ('{_short(c.text)}')"
        )
        if pni not in exp.first_at_node:
            lines.append(f"{head}: '{pid}' is never reached either, because")
            lines += _explain_blocked(story, exp, pid, None, depth + 1, visited)
        elif branch and c.condition is None:
            lines.append(f"{head}: it is taken, but exploration stopped before following it")
        elif not branch and (pni, c.index) in exp.offered:
            lines.append(f"{head}: it is offered, but exploration stopped before following it")
        else:
            report = _condition_report(story, exp, pid, c)
            lines.append(f"{head} {report[0]}")
            lines += [f"{pad}  {x}" for x in report[1:]]
    return lines


def _short(text: str, width: int = 50) -> str:
    t = " ".join(text.split())
    return t if len(t) <= width else t[: width - 1] + "…"


def _declared(ch: Chapter, name: str) -> Flag:
    """The flag a compiled condition names: the compiler has checked it is declared."""
    flag = ch.flag(name)
    assert flag is not None, f"flag '{name}' of a compiled condition is declared"
    return flag


def _condition_report(story: Story, exp: Exploration, nid: str, c: Choice) -> list[str]:
    """Why choice c of node nid is never offered: its condition, the values its flags take there,
    and what would make it true."""
    ch = exp.chapter
    ni = exp.graph.index[nid]
    states = [sid for sid, key in enumerate(exp.keys) if key[0] == ni]
    names = sorted(ex.names_in(c.condition)) if c.condition is not None else []
    seen_names = sorted(ex.seen_in(c.condition)) if c.condition is not None else []
    observed: dict[str, set] = {n: set() for n in names}
    seen_obs: dict[str, set] = {n: set() for n in seen_names}
    for sid in states:
        _ni, vals, seen, _rec = exp.keys[sid]
        for n in names:
            observed[n].add(vals[_declared(ch, n).slot])
        for n in seen_names:
            seen_obs[n].add(bool(seen & ch.seen_bits.get(n, 0)))
    first = (
        f"needs `{c.condition_src}`, which is false in all {len(states):,} states that reach '{nid}':"
        if len(states) != 1
        else f"needs `{c.condition_src}`, which is false in the one state that reaches '{nid}':"
    )
    lines = [first]
    for n in names:
        lines.append(f"  {n} is {_describe_values(_declared(ch, n), observed[n])} there")
    if len(names) > 1:
        combos = sorted({tuple(exp.keys[sid][1][_declared(ch, n).slot] for n in names) for sid in states}, key=repr)
        if len(combos) <= 6:
            lines.append(
                "  together, only "
                + ", ".join("{" + ", ".join(f"{n}={_show(v)}" for n, v in zip(names, combo)) + "}" for combo in combos)
            )
    for n in seen_names:
        v = seen_obs[n]
        lines.append(f'  seen("{n}") is {"always " + str(v.pop()).lower() if len(v) == 1 else "true or false"} there')
    lines.append("  " + _what_would_do(ch, c, names, seen_names, observed))
    return lines


def _describe_values(flag, values: set) -> str:
    vals = sorted(values, key=lambda v: (str(type(v)), v))
    if flag.type == "bool":
        return f"always {str(vals[0]).lower()}" if len(vals) == 1 else "true or false"
    if flag.type == "enum":
        return f'always "{vals[0]}"' if len(vals) == 1 else "only " + " or ".join(f'"{v}"' for v in vals)
    if len(vals) == 1:
        return f"always {vals[0]}"
    return "only ever " + _int_ranges(vals)


def _int_ranges(vals: list[int], joiner: str = ", ") -> str:
    out, run = [], [vals[0]]
    for v in vals[1:]:
        if v == run[-1] + 1:
            run.append(v)
        else:
            out.append(run)
            run = [v]
    out.append(run)
    return joiner.join(f"{r[0]}..{r[-1]}" if len(r) > 2 else joiner.join(map(str, r)) for r in out)


def _int_literals(e) -> set[int]:
    out, stack = set(), [e]
    while stack:
        x = stack.pop()
        if isinstance(x, ex.Lit) and type(x.value) is int:
            out.add(x.value)
        elif isinstance(x, (ex.Not, ex.Neg)):
            stack.append(x.operand)
        elif isinstance(x, ex.BoolOp):
            stack.extend(x.operands)
        elif isinstance(x, (ex.Compare, ex.Arith)):
            stack.extend((x.left, x.right))
    return out


def _domain(flag, observed: set, literals: set[int]) -> list:
    if flag.type == "bool":
        return [False, True]
    if flag.type == "enum":
        return list(flag.values)
    lo = flag.min if flag.min is not None else min(list(observed) + [x - 1 for x in literals] or [0])
    hi = flag.max if flag.max is not None else max(list(observed) + [x + 1 for x in literals] or [0])
    if hi - lo > 1000:
        near = set(observed) | {x + d for x in literals for d in (-1, 0, 1)}
        return sorted(v for v in near if lo <= v <= hi)
    return list(range(lo, hi + 1))


def _what_would_do(ch: Chapter, c: Choice, names: list, seen_names: list, observed: dict) -> str:
    """The flag values that would make the condition true, from the flags' declared types."""
    if c.condition is None:
        return "(it has no condition)"
    literals = _int_literals(c.condition)
    domains = [_domain(_declared(ch, n), observed[n], literals) for n in names] + [[False, True] for _ in seen_names]
    total = 1
    for d in domains:
        total *= max(len(d), 1)
    if total > MAX_COMBOS:
        return "(too many combinations of its flags to say which values would make it true)"
    good = []
    for combo in itertools.product(*domains):
        env = dict(zip(names, combo[: len(names)]))
        seen = dict(zip(seen_names, combo[len(names) :]))
        if ex.evaluate(c.condition, env.__getitem__, seen.__getitem__):
            good.append(combo)
    if not good:
        types = ", ".join(f"{n}: {_declared(ch, n).describe()}" for n in names)
        return f"no values its flags can hold make it true ({types}): it can never be offered"
    keys = names + [f'seen("{n}")' for n in seen_names]
    if len(keys) == 1:
        flag = ch.flag(names[0]) if names else None
        vals = [g[0] for g in good]
        if flag is not None and flag.type == "int":
            shown = _int_ranges(sorted(vals), " or ")
        else:
            shown = " or ".join(_show(v) for v in vals)
        return f"it would need {keys[0]} to be {shown}"
    examples = ["{" + ", ".join(f"{k}={_show(v)}" for k, v in zip(keys, g)) + "}" for g in good[:3]]
    more = f" (and {len(good) - 3} more combinations)" if len(good) > 3 else ""
    return "it would be true with, e.g., " + ", ".join(examples) + more


def _show(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


# ---- text -----------------------------------------------------------------------------------------


def render_text(ans: Answer) -> str:
    out = []
    what = f"{ans.chapter}:{ans.node}" + (f" choice {ans.choice}" if ans.choice else "")
    if ans.reached:
        n = len(ans.steps) - (1 if ans.choice else 0)
        if ans.choice:
            out.append(f"{what} is first offered after {n} choice{'s' if n != 1 else ''} (a shortest path):")
        else:
            out.append(f"{what} is reached in {n} choice{'s' if n != 1 else ''} (a shortest path):")
        if ans.start_flags:
            src = f", as ending {ans.start_from} leaves them" if ans.start_from else ""
            out.append(
                f"  start of '{ans.chapter}' with "
                + ", ".join(f"{k}={_show(v)}" for k, v in ans.start_flags.items())
                + src
            )
        width = max((len(s.node) for s in ans.steps), default=0)
        for k, s in enumerate(ans.steps):
            last = ans.choice and k == len(ans.steps) - 1
            extra = []
            if s.number != s.index + 1:
                extra.append(f"choice {s.index + 1} in the file")
            if s.condition:
                extra.append(f"if {s.condition}")
            if s.effects:
                extra.append("do " + "; ".join(s.effects))
            tail = f"  [{'; '.join(extra)}]" if extra else ""
            if last:
                out += _wrapped(f"  flags at '{ans.node}': ", _flags(ans.arrival))
            out.append(f"  at {s.node:<{width}}  {s.number}. {s.text}{tail}")
        if ans.choice:
            out += _wrapped("  flags after it: ", _flags(ans.after or {}))
        else:
            out += _wrapped("  flags on arrival: ", _flags(ans.arrival))
        for fid, holds, said, site in ans.history:
            ok = holds == (said == "asserts")
            out.append(
                f"  {site} {said} '{fid}', which {'holds' if holds else 'is broken'} on this path"
                + ("" if ok else " - a continuity error wherever these words are shown")
            )
        out.append(f"replay: {ans.replay}")
    else:
        verb = "offered" if ans.choice else "reached"
        if ans.complete:
            out.append(f"{what} is never {verb} in play:")
        else:
            out.append(
                f"{what} is not {verb} in the states explored (exploration stopped at its bound, so it may "
                f"still be {verb} in play):"
            )
        out += ["  " + r for r in ans.reasons]
    return "\n".join(out) + "\n"


def _wrapped(head: str, text: str, width: int = 100) -> list[str]:
    import textwrap

    return textwrap.wrap(
        text, width, initial_indent=head, subsequent_indent="    ", break_on_hyphens=False, break_long_words=False
    )


def _flags(values: dict) -> str:
    return ", ".join(f"{k}={_show(v)}" for k, v in values.items()) or "(no flags)"

"""`chronicle play`: the game, or a scripted / canonical / replayed transcript."""

from __future__ import annotations

import secrets
import sys

from .. import files
from .. import runtime as rt
from ..canonpath import canon_states
from ..player.options import add_options as add_player_options  # argparse only: light to import
from ..textsafe import clean
from ..transcript import TextPlayer
from .common import add_story_arg, fail, open_story, parse_sets, usage_error

MAX_SCRIPT = 4 * 1024 * 1024  # bytes: a script of choice numbers, one a line, is never near this
REPLAY_HELP = "--replay takes choice numbers and fixed draws separated by commas, like 2,1,roll=4,3"


def register(sub) -> None:
    p = sub.add_parser(
        "play",
        help="play the story (the default command)",
        description="Play the story. With --script, --canon or --replay, print a plain transcript instead.",
    )
    add_story_arg(p)
    p.add_argument("--chapter", metavar="ID", help="start at this chapter")
    p.add_argument("--at", metavar="NODE", help="start at this node of the chapter (with --chapter)")
    p.add_argument("--set", metavar="FLAG=VALUE", action="append", help="start with this flag value (repeatable)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--script",
        metavar="FILE",
        help="play the choice numbers in FILE, one per line ('-' for stdin); a line FLAG=N fixes the next random draw",
    )
    mode.add_argument("--canon", action="store_true", help="print the canonical playthrough (history as documented)")
    mode.add_argument(
        "--replay",
        metavar="N,N,...",
        help="replay these choice numbers and print the transcript; an item FLAG=N fixes the next random draw",
    )
    p.add_argument(
        "--seed",
        metavar="N",
        type=_seed,
        help="seed the random draws and shuffles (default: 0 for --script, --replay and --canon; a fresh one "
        "for each new game)",
    )
    add_player_options(p)
    p.set_defaults(func=run)


def _seed(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > 0xFFFFFFFF:
        raise ValueError(text)  # argparse words it: "invalid _seed value"
    return int(text)


def first_state(story, args, draws: list | None = None, seed: int | None = None) -> rt.State:
    if args.at and not args.chapter:
        usage_error("--at needs --chapter")
    sets = parse_sets(args.set)
    if seed is None:
        seed = getattr(args, "seed", None) or 0
    try:
        state = rt.start(story, args.chapter, args.at, sets, seed=seed, draws=draws)
    except rt.PlayError as exc:
        usage_error(str(exc))
    if sets and not args.canon:
        warn_impossible_start(story, state, list(sets), args.at)
    return state


def warn_impossible_start(story, state: rt.State, names: list[str], at: str | None) -> None:
    """Say on stderr when the --set values are a start no way through the story gives."""
    from ..check.starts import judge_start

    verdict = judge_start(story, state.chapter, state.values, names, at)
    if not verdict.possible:
        print(clean(f"warning: {verdict.message} Trying it anyway."), file=sys.stderr)


def run(args) -> int:
    story = open_story(args)
    if args.canon:
        return play_canon(story, args)
    if args.replay is not None:
        numbers: list[int] = []
        draws: list = []
        for x in args.replay.replace(" ", "").split(","):
            if not x:
                continue
            item = replay_item(x)
            if item is None:
                usage_error(f"{REPLAY_HELP} (not '{clean(args.replay[:40])}')")
            if isinstance(item, int):
                numbers.append(item)
            else:
                draws.append(item)
        return play_numbers(story, args, numbers, draws)
    if args.script is not None:
        return play_script(story, args, args.script)
    seed = args.seed if args.seed is not None else secrets.randbits(32)  # a new game: fresh chance
    return play_interactive(story, first_state(story, args, seed=seed), args)


def replay_item(text: str) -> int | tuple[str, int] | None:
    """One item of a replay: a choice number, or FLAG=N (a fixed draw); None when it is neither."""
    name, sep, value = text.partition("=")
    if sep:
        value = value.strip()
        digits = value[1:] if value[:1] == "-" else value
        if not (name.strip().isidentifier() and digits.isascii() and digits.isdigit() and len(digits) <= 10):
            return None
        return (name.strip(), int(value))
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None


def play_numbers(story, args, numbers: list[int], draws: list | None = None) -> int:
    """The transcript of playing `numbers` from the start `args` name, with `draws` fixed (the
    start's first: they are taken in the order play draws)."""
    draws = list(draws or [])
    first = first_state(story, args, draws)
    queue = list(numbers)
    player = TextPlayer(story, sys.stdout, draws=draws)
    _, code = player.run(first, lambda s: queue.pop(0) if queue else None, lambda: bool(queue))
    unused = rt.unused_draws(player.draws)
    if code == 0 and unused:
        return fail(unused)
    return code


def play_script(story, args, name: str) -> int:
    try:
        text = sys.stdin.read(MAX_SCRIPT + 1) if name == "-" else files.read_text(name, limit=MAX_SCRIPT)
    except files.FileError as exc:
        return fail(f"cannot read script {name}: {exc.why}")
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"cannot read script {name}: {getattr(exc, 'strerror', None) or exc}")
    if len(text) > MAX_SCRIPT:
        return fail(f"cannot read script {name}: it is over the {MAX_SCRIPT // (1024 * 1024)} MiB a script may hold")
    numbers: list[int] = []
    draws: list = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        # ASCII digits only: '²' passes isdigit() but not int(), and a 5,000-digit line passes
        # neither int() nor sense (issue 15.1). Shown cut short, and cleaned of escapes.
        item = replay_item(line)
        if item is None:
            shown = clean(line if len(line) <= 20 else line[:12] + "\u2026")
            return fail(
                f"{name}:{lineno}:1: a script holds one choice number per line, not '{shown}' (or FLAG=N, "
                "a fixed random draw)"
            )
        if isinstance(item, int):
            numbers.append(item)
        else:
            draws.append(item)
    return play_numbers(story, args, numbers, draws)


def play_canon(story, args) -> int:
    if args.chapter and not story.has_chapter(args.chapter):
        usage_error(f"there is no chapter '{args.chapter}'")
    states, problem = canon_states(story, args.chapter)
    if args.chapter:
        states = [s for s in states if s.chapter == args.chapter]
    if not states:
        return fail("the canonical path never reaches that chapter")
    first, rest = states[0], states[1:]
    numbers = [
        rt.number_of(story, a, rt.node_of(story, a).choices[b.path[-1]])
        for a, b in zip(states, rest)
        if b.path[-1] != rt.CONTINUE
    ]
    player = TextPlayer(story, sys.stdout, draws=rt.AtLowest())  # (the canonical path draws each at its lowest)
    queue = list(numbers)
    _, code = player.run(first, lambda s: queue.pop(0) if queue else None, lambda: bool(queue))
    if problem:
        return fail(f"the canonical path breaks: {problem}")
    return code


def play_interactive(story, first, args) -> int:
    """The game: the terminal player, or plain line mode when input is not a terminal."""
    from ..player.app import play

    return play(story, first, args, parse_sets(args.set))

"""The terminal player: a prompt_toolkit prompt loop, and `play()`, the entry point.

`chronicle play` calls `play(story, first_state, args)`. In a terminal it runs
the game through `TerminalFrontend`: prose printed with `print_formatted_text`
(always `FormattedText` tuples, never HTML or ANSI, so story text cannot turn
into markup or escape codes), a `PromptSession` prompt with completion over
the choices and commands, and a bottom toolbar with chapter, place and date.
A background task on each prompt notices a resize (the current page is drawn
again at the new width) and, with --watch, a saved story file.

When input is not a terminal (a pipe, a file) or with --plain, the same game
runs in plain line mode (`frontend.LineFrontend`).
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.application import get_app
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.styles import Style

from .. import runtime as rt
from ..model import Story
from ..runtime import State
from ..textsafe import clean
from .frontend import WATCHED, Ask, Frontend, LineFrontend, Transcript
from .game import Game
from .options import Options
from .render import STYLE_RULES
from .saves import SaveStore, default_base
from .session import Session
from .watch import Watcher, recompile

POLL = 0.1  # seconds between checks for a resize (and, every third time, for --watch)
# Lines kept free below a screenful of text before pausing for "more": at the next prompt,
# the prompt line, the room kept for the completion menu and the status line.
PAGE_MARGIN = 6


class Hangup(BaseException):
    """SIGTERM or SIGHUP: leave at once, but through the normal exits, so the terminal is
    given back in the state it was lent (prompt_toolkit restores it on the way out)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _hang_up(signum, _frame):
    raise Hangup(signum)


class _Resized:
    def __init__(self, text: str):
        self.text = text


class _Completer(Completer):
    def __init__(self, source):
        self.source = source

    def get_completions(self, document, complete_event):
        before = document.text_before_cursor
        for text, display in self.source(before):
            yield Completion(text, start_position=-len(before), display=clean(display))


class TerminalFrontend(Frontend):
    def __init__(self, transcript: Transcript | None = None):
        super().__init__(interactive=True, plain=False, transcript=transcript)
        self.style = Style.from_dict(STYLE_RULES)
        self.history = InMemoryHistory()
        self.prompt = PromptSession(style=self.style, history=self.history, complete_while_typing=True,
                                    reserve_space_for_menu=4)
        self.output = self.prompt.output
        self._quiet: PromptSession | None = None  # for yes/no questions, kept out of the history
        self._more: PromptSession | None = None  # the "more" pause when a page is taller than the screen
        self.printed = 0  # lines printed since the player last typed (or the screen was cleared)
        self.typed_ahead = ""  # keys pressed at a "more" pause, handed to the next prompt

    def columns(self) -> int:
        try:
            return max(1, self.output.get_size().columns)
        except Exception:
            return 80

    def write(self, lines) -> None:
        """Print lines; when more than a screenful has come since the player last typed,
        pause with "more" so nothing scrolls away unread."""
        try:
            rows = self.output.get_size().rows
        except Exception:
            rows = 24
        limit = max(rows - PAGE_MARGIN, 5)
        chunk: list = []
        for line in lines:
            if self.printed >= limit:
                self._print(chunk)
                chunk = []
                self.more()
                self.printed = 0
            chunk.append(line)
            self.printed += 1
        self._print(chunk)

    def _print(self, lines) -> None:
        if not lines:
            return
        ft: list = []
        for line in lines:
            ft.extend((style, clean(text)) for style, text in line)
            ft.append(("", "\n"))
        print_formatted_text(FormattedText(ft), style=self.style, output=self.output, end="")

    def more(self) -> None:
        """Wait for any key (the line disappears once pressed)."""
        if self._more is None:
            kb = KeyBindings()

            @kb.add("c-c")
            def _interrupt(event):
                event.app.exit(exception=KeyboardInterrupt)

            @kb.add("c-d")
            def _eof(event):
                event.app.exit(exception=EOFError)

            @kb.add("<any>")
            def _any(event):
                # A key typed ahead of the pause is the start of the player's answer, not
                # just "go on": keep it for the prompt (space and Enter only turn the page).
                if len(event.data) == 1 and event.data.isprintable() and event.data != " ":
                    self.typed_ahead += event.data
                event.app.exit(result="")

            self._more = PromptSession(style=self.style, key_bindings=kb, erase_when_done=True,
                                       reserve_space_for_menu=0)
        self._more.prompt([("class:dim", "  \u2014 more (press a key) \u2014")])

    def new_page(self, clear: bool = False) -> None:
        super().new_page(clear)
        if clear:
            self.clear()

    def clear(self) -> None:
        self.printed = 0
        self.output.erase_screen()
        self.output.cursor_goto(0, 0)
        self.output.flush()

    def redraw(self) -> None:
        """Draw the current page again at the terminal's new width."""
        self.clear()
        width = self.width()
        for render in self.page:
            self.write(render(width))

    def ask(self, q: Ask):
        session = self.prompt if q.history else self._quiet_session()
        session.completer = _Completer(q.complete) if q.complete else None
        toolbar = q.toolbar
        session.bottom_toolbar = (lambda: FormattedText(toolbar(self.columns()))) if toolbar else None
        default = q.default or self.typed_ahead
        self.typed_ahead = ""
        while True:
            self.printed = 0
            result = session.prompt([("class:prompt", q.message)], default=default,
                                    pre_run=lambda: self._start_polling(q))
            if isinstance(result, _Resized):
                default = result.text
                self.redraw()
                continue
            if result is WATCHED:
                return WATCHED
            if self.transcript:
                self.transcript.typed(q.message, result)
            return result

    def _quiet_session(self) -> PromptSession:
        if self._quiet is None:
            self._quiet = PromptSession(style=self.style, reserve_space_for_menu=0)
        return self._quiet

    def _start_polling(self, q: Ask) -> None:
        app = get_app()
        app.create_background_task(self._poll(app, q.watch))

    async def _poll(self, app, watch) -> None:
        size = app.output.get_size()
        tick = 0
        while True:
            await asyncio.sleep(POLL)
            tick += 1
            now = app.output.get_size()
            if now.columns != size.columns:
                await asyncio.sleep(0.15)  # wait for the resize to settle
                if app.output.get_size() == now:
                    self._exit(app, _Resized(app.current_buffer.text))
                    return
                continue
            if watch is not None and tick % 3 == 0 and watch():
                self._exit(app, WATCHED)
                return

    @staticmethod
    def _exit(app, result) -> None:
        try:
            app.exit(result=result)
        except Exception:
            pass


def _is_terminal() -> bool:
    try:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            return False
    except (AttributeError, ValueError):
        return False
    return os.environ.get("TERM", "") not in ("dumb", "unknown")


def play(story: Story, first_state: State, args) -> int:
    """Play `story` from the title screen (or from `first_state` with --chapter/--at/--set)."""
    opts = Options.from_args(args)
    transcript = None
    if opts.transcript:
        try:
            transcript = Transcript(open(opts.transcript, "w", encoding="utf-8"))
        except OSError as exc:
            print(f"chronicle: cannot write the transcript {opts.transcript}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    if opts.plain or not _is_terminal():
        try:
            sys.stdout.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass
        fe: Frontend = LineFrontend(transcript=transcript)
    else:
        fe = TerminalFrontend(transcript)
    # Trying a scene (--chapter/--at/--set) never touches the reader's real saves: without an
    # explicit --save-dir it keeps no saves at all.
    store = None if opts.trial and opts.save_dir is None else SaveStore.for_story(story.title, opts.save_dir)
    session = Session(story, store, trial=opts.trial)
    root = Path(opts.story) if opts.story else Path(story.root)
    watcher = Watcher(root) if opts.watch else None

    def restart(st: Story) -> State:
        from ..commands.common import parse_sets
        return rt.start(st, getattr(args, "chapter", None), getattr(args, "at", None),
                        parse_sets(getattr(args, "set", None)))

    game = Game(session, fe, opts, restart=restart, reload=lambda: recompile(root),
                watch=watcher.changed if watcher else None)
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            previous[sig] = signal.signal(sig, _hang_up)
        except (ValueError, OSError, AttributeError):
            pass
    try:
        return game.run(first_state)
    except Hangup as exc:
        if exc.signum == signal.SIGTERM and session.autosaved:
            try:
                print("\nchronicle: stopped; your game is saved.", file=sys.stderr)
            except OSError:
                pass
        return 128 + exc.signum
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:  # Ctrl-C outside a prompt (the game handles it at one)
        print(file=sys.stderr)
        return 0
    except Exception as exc:
        return _crash(exc, opts, session)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        fe.close()


def _crash(exc: BaseException, opts: Options, session: Session) -> int:
    """No traceback on the player's screen: a short message, and the details in a file."""
    log = None
    try:
        base = opts.save_dir or default_base()
        base.mkdir(parents=True, exist_ok=True)
        log = base / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
        log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    except OSError:
        log = None
    saved = " Your game was autosaved after your last choice." if session.autosaved else ""
    where = f" The details are in {log}." if log else ""
    print(f"\nchronicle: something went wrong that should not have ({type(exc).__name__}).{saved}{where}",
          file=sys.stderr)
    return 70

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
import secrets
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import cast

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.application import get_app
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import Input, create_input
from prompt_toolkit.key_binding import KeyBindings, KeyPress
from prompt_toolkit.keys import Keys
from prompt_toolkit.styles import Style

from .. import files
from .. import runtime as rt
from ..model import Story
from ..runtime import State
from ..textsafe import clean
from .frontend import WATCHED, Ask, Frontend, LineFrontend, OutputGone, Transcript
from .game import Game
from .options import Options
from .render import KEEP, MAX_WIDTH, STYLE_RULES, text_width
from .saves import SaveStore, default_base
from .session import Session
from .watch import Watcher, recompile

POLL = 0.1  # seconds between checks for a resize (and, every third time, for --watch)
# Lines kept free below a screenful of text before pausing for "more": at the next prompt,
# the prompt line, the room kept for the completion menu and the status line.
PAGE_MARGIN = 6
# A terminal this much wider than the reading column gets the column centred (fault 11 of
# issue 12: at 140 columns, text flush left under an empty right half reads like a log).
CENTRE_SPARE = 30
MAX_INPUT = 2000  # characters at the prompt: more than any choice or command, and a bound on a paste


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
        if len(before) > MAX_INPUT:
            return
        for text, display in self.source(before, complete_event.completion_requested):
            yield Completion(text, start_position=-len(before), display=clean(display))


def _prompt_keys(pages: bool) -> KeyBindings:
    """Keys at the choice prompt: PageUp rereads the page before (`back`); typing stops at
    MAX_INPUT characters, so a huge paste cannot bog the prompt down."""
    from prompt_toolkit.filters import Condition

    kb = KeyBindings()
    full = Condition(lambda: len(get_app().current_buffer.text) >= MAX_INPUT)

    @kb.add("<any>", filter=full)
    def _full(event):
        """Swallowed: the line is already longer than any answer (Enter, Backspace and the
        other named keys have bindings of their own and still work)."""

    @kb.add(Keys.BracketedPaste)
    def _paste(event):
        """A paste (bracketed by the terminal, or gathered by _PasteInput) goes in at once, cut
        to what the line can still take; a line break in it is a space, never an Enter."""
        buf = event.app.current_buffer
        room = MAX_INPUT - len(buf.text)
        if room > 0:
            buf.insert_text(event.data[:room].replace("\r\n", " ").replace("\r", " ").replace("\n", " "))

    if pages:

        @kb.add("pageup")
        def _back(event):
            event.app.exit(result=_PageKey("back"))

        @kb.add("pagedown")
        def _on(event):
            event.app.exit(result=_PageKey("on"))

    return kb


def _paste_input() -> Input:
    """The terminal's input wrapped in _PasteInput, which forwards everything else to it."""
    return cast(Input, _PasteInput(create_input()))


class _PasteInput:
    """The terminal's input, with a long run of plain characters read at once (a paste in a
    terminal without bracketed paste) handed on as one paste instead of one key press per
    character: 100,000 key presses took the prompt some 100 s (issue 15.10)."""

    RUN = 32  # characters in one read: more than anyone types between two reads

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def read_keys(self):
        return self._gather(self._inner.read_keys())

    def flush_keys(self):
        return self._gather(self._inner.flush_keys())

    def _gather(self, keys: list) -> list:
        if len(keys) < self.RUN:
            return keys
        out: list = []
        run: list = []

        def end_run():
            if len(run) >= self.RUN:
                text = "".join(k.data for k in run)
                out.append(KeyPress(Keys.BracketedPaste, text))
            else:
                out.extend(run)
            run.clear()

        for k in keys:
            if isinstance(k.key, str) and len(k.key) == 1 and k.key == k.data and k.data.isprintable():
                run.append(k)
            else:
                end_run()
                out.append(k)
        end_run()
        return out


class _PageKey(str):
    """PageUp / PageDown at a prompt: an answer no one can type."""


class TerminalFrontend(Frontend):
    def __init__(self, transcript: Transcript | None = None):
        super().__init__(interactive=True, plain=False, transcript=transcript)
        self.style = Style.from_dict(STYLE_RULES)
        self.history = InMemoryHistory()
        # The line typed is erased once answered: a choice is echoed as "→ text", anything
        # else by echo(), so a Tab-completed choice never shows twice.
        self.prompt: PromptSession[str] = PromptSession(
            style=self.style,
            history=self.history,
            complete_while_typing=True,
            reserve_space_for_menu=4,
            erase_when_done=True,
            key_bindings=_prompt_keys(pages=True),
            input=_paste_input(),
        )
        self.output = self.prompt.output
        self.paging = True  # pause with "more" when a screenful has come (off once the game is leaving)
        self._quiet: PromptSession | None = None  # for yes/no questions, kept out of the history
        self._more: PromptSession | None = None  # the "more" pause when a page is taller than the screen
        self.printed = 0  # lines printed since the player last typed (or the screen was cleared)
        self.typed_ahead = ""  # keys typed at a "more" pause: the start of the next answer

    def columns(self) -> int:
        try:
            return max(1, self.output.get_size().columns)
        except Exception:
            return 80

    def margin(self) -> int:
        """Spaces left of the reading column: it is centred on a terminal much wider than it."""
        cols = self.columns()
        return (cols - MAX_WIDTH) // 2 if cols >= MAX_WIDTH + CENTRE_SPARE else 0

    def width(self, wide: bool = False) -> int:
        if wide:
            return max(text_width(self.columns()), self.columns() - self.margin() - 2)
        return text_width(self.columns())

    def echo(self, text: str) -> None:
        self._print([[("class:dim", "> " + clean(text)[: max(self.columns() - self.margin() - 3, 10)])]])
        self.printed += 1

    def leaving(self) -> None:
        self.paging = False

    def write(self, lines, closable: bool = False) -> None:
        """Print lines; when more than a screenful has come since the player last typed,
        pause with "more" so nothing scrolls away unread. Escape there, or a key typed to begin
        an answer, closes a closable screen (the journal), or shows the rest of a scene without
        more pauses. A list of choices (marked with `render.KEEP`) is never split by a pause:
        its block (the question above it too) starts a new page when it would not fit."""
        try:
            rows = self.output.get_size().rows
        except Exception:
            rows = 24
        limit = max(rows - PAGE_MARGIN, 5)
        lines = list(lines)
        keep_from = next((i for i, line in enumerate(lines) if KEEP in line), None)
        chunk: list = []
        pausing = self.paging
        for i, line in enumerate(lines):
            pause = self.printed >= limit and any(lines[i:])  # never pause before blank lines only
            if keep_from is not None and self.printed and not pause:
                # the whole block on a fresh page when it fits on one; else at least the choices
                rest = len(lines) - i
                if i == 0 and self.printed + rest > limit and rest <= limit:
                    pause = True
                elif i == keep_from and self.printed + rest > limit and rest <= limit:
                    pause = True
            if pausing and pause:
                self._print(chunk)
                chunk = []
                try:
                    answer = self.more()
                except (EOFError, KeyboardInterrupt):
                    self.printed, self.paging = 0, False  # leaving: say goodbye without another pause
                    raise
                self.printed = 0
                if answer != "on":
                    if closable:
                        return
                    pausing = self.paging = False  # the rest of this scene at once, until the next prompt
            chunk.append(line)
            self.printed += 1
        self._print(chunk)

    def _print(self, lines) -> None:
        if not lines:
            return
        pad = " " * self.margin()
        ft: list = []
        for line in lines:
            if pad and line:
                ft.append(("", pad))
            ft.extend((style, clean(text)) for style, text in line if text)
            ft.append(("", "\n"))
        print_formatted_text(FormattedText(ft), style=self.style, output=self.output, end="")

    def more(self) -> str:
        """Wait at "more". Space and Enter (and keys that type nothing) go on: "on". Escape
        closes: "close". Any other key, q included, begins the answer to the next prompt,
        whole: it ends the pause ("typed") and is kept in `typed_ahead` for that prompt (the
        keys typed after it reach the prompt by themselves, as typeahead)."""
        if self._more is None:
            kb = KeyBindings()

            @kb.add("c-c")
            def _interrupt(event):
                event.app.exit(exception=KeyboardInterrupt)

            @kb.add("c-d")
            def _eof(event):
                event.app.exit(exception=EOFError)

            @kb.add("escape", eager=True)
            def _close(event):
                event.app.exit(result="close")

            @kb.add(Keys.BracketedPaste)
            def _paste(event):
                self.typed_ahead += event.data.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
                event.app.exit(result="typed")

            @kb.add("<any>")
            def _any(event):
                data = event.data
                if not isinstance(event.key_sequence[0].key, Keys) and data and data != " " and data.isprintable():
                    self.typed_ahead += data
                    event.app.exit(result="typed")
                else:
                    event.app.exit(result="on")

            self._more = PromptSession(
                style=self.style, key_bindings=kb, erase_when_done=True, reserve_space_for_menu=0
            )
        return self._more.prompt(
            [("", " " * self.margin()), ("class:dim", "  \u2014 more: Space goes on, Esc closes \u2014")]
        )

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
        for render, wide in self.page:
            self.write(render(self.width(wide)))

    def ask(self, q: Ask):
        session = self.prompt if q.history else self._quiet_session()
        session.completer = _Completer(q.complete) if q.complete else None
        toolbar = q.toolbar
        session.bottom_toolbar = (lambda: FormattedText(toolbar(self.columns()))) if toolbar else None
        default, self.typed_ahead = self.typed_ahead + q.default, ""
        self.paging = True
        while True:
            self.printed = 0
            result = session.prompt(
                [("", " " * self.margin()), ("class:prompt", q.message)],
                default=default,
                pre_run=lambda: self._start_polling(q),
            )
            if isinstance(result, _Resized):
                default = result.text
                self.redraw()
                continue
            if result is WATCHED:
                return WATCHED
            if isinstance(result, _PageKey):
                return "back" if result == "back" else ""
            result = result[:MAX_INPUT]
            if self.transcript:
                self.transcript.typed(q.message, result)
            return result

    def _quiet_session(self) -> PromptSession:
        if self._quiet is None:
            self._quiet = PromptSession(
                style=self.style, reserve_space_for_menu=0, key_bindings=_prompt_keys(pages=True), input=_paste_input()
            )
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


def play(story: Story, first_state: State, args, start_values: dict[str, str] | None = None) -> int:
    """Play `story` from the title screen (or from `first_state` with --chapter/--at/--set).

    `start_values`: the flag values --set asked for (parsed by the command), so that a restart
    after --watch recompiles starts the scene again with them."""
    opts = Options.from_args(args)
    transcript = None
    if opts.transcript:
        try:
            transcript = Transcript(files.open_stream(opts.transcript))
        except OSError as exc:
            print(f"chronicle: cannot write the transcript {opts.transcript}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    if opts.plain or not _is_terminal():
        for stream in (sys.stdout, sys.stdin):  # odd bytes in or out are shown as '?', never a crash
            reconfigure = getattr(stream, "reconfigure", None)  # a TextIOWrapper has it; a test's stream may not
            try:
                if reconfigure is not None:
                    reconfigure(errors="replace")
            except ValueError:
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
        seed = getattr(args, "seed", None)
        seed = secrets.randbits(32) if seed is None else seed  # a new game: fresh chance, unless --seed
        return rt.start(st, getattr(args, "chapter", None), getattr(args, "at", None), start_values or {}, seed=seed)

    game = Game(
        session, fe, opts, restart=restart, reload=lambda: recompile(root), watch=watcher.changed if watcher else None
    )
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
    except OutputGone as exc:
        try:
            saved = " Your game is saved." if session.autosaved else ""
            print(f"chronicle: the game's output cannot be written ({exc}), so it stops here.{saved}", file=sys.stderr)
        except (OSError, AttributeError, ValueError):
            pass
        return 1
    except KeyboardInterrupt:  # Ctrl-C outside a prompt (the game handles it at one)
        print(file=sys.stderr)
        return 0
    except Exception as exc:
        return _crash(exc, opts, session)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        fe.close()
        _quiet_exit()


def _quiet_exit() -> None:
    """Python flushes stdout once more on the way out; when stdout is closed or full that
    prints "Exception ignored ... BrokenPipeError/OSError" after our own message. Point it
    at /dev/null when it can no longer be flushed."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError):
        try:
            files.quiet_output(sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass


def _crash(exc: BaseException, opts: Options, session: Session) -> int:
    """No traceback on the player's screen: a short message, and the details in a file."""
    log = None
    try:
        base = opts.save_dir or default_base()
        log = base / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
        files.write(log, "".join(traceback.format_exception(exc)), parents=True)
    except OSError:
        log = None
    saved = " Your game was autosaved after your last choice." if session.autosaved else ""
    where = f" The details are in {log}." if log else ""
    print(
        f"\nchronicle: something went wrong that should not have ({type(exc).__name__}).{saved}{where}", file=sys.stderr
    )
    return 70

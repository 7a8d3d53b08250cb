"""The game loop: title screen, scenes, choices, commands, endings.

`Game` drives a `Session` (the state) through a `Frontend` (the UI), so the
terminal and plain line mode play exactly the same game. It never touches the
terminal itself.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

from .. import runtime as rt
from .. import transcript as tx
from ..model import Story
from ..runtime import PlayError, State
from . import render as r
from .frontend import WATCHED, Ask, Frontend
from .options import Options
from .prompt_input import Command, Pick, Unclear, completions, number, parse
from .saves import AUTOSAVE
from .session import Resumable, Session, SessionError, chapter_label

AT_ENDING = {
    "save",
    "load",
    "undo",
    "back",
    "journal",
    "dossier",
    "endings",
    "restart",
    "help",
    "quit",
    "flags",
    "goto",
}
TITLE_WORDS = {
    "new": "new",
    "n": "new",
    "start": "new",
    "begin": "new",
    "continue": "continue",
    "c": "continue",
    "resume": "continue",
    "load": "load",
    "l": "load",
    "restore": "load",
    "chapters": "chapters",
    "chapter": "chapters",
    "endings": "endings",
    "e": "endings",
    "quit": "quit",
    "q": "quit",
    "exit": "quit",
}
OVER = "The story is over. Type restart to play again, undo to go back, journal, or quit."


class Leave(Exception):
    """The player asked to quit (or, in line mode, could not start: code 1)."""

    def __init__(self, code: int = 0):
        super().__init__(code)
        self.code = code


class Game:
    def __init__(
        self,
        session: Session,
        fe: Frontend,
        opts: Options,
        *,
        restart: Callable[[Story], State],
        reload: Callable[[], tuple] | None = None,
        watch: Callable[[], bool] | None = None,
    ):
        self.s = session
        self.fe = fe
        self.opts = opts
        self.restart_state = restart
        self.reload = reload
        self.watch = watch
        self.pending: str | None = None  # line mode: a line typed at an ending, for the next chapter
        self.later: list[str] = []  # notes to show under the next scene (a chapter card clears the screen)
        self.where_shown = ""  # the place and date last shown in plain text (a change is said there)
        self.scenes = 0  # scenes shown so far: a command that showed none has its choices shown again
        self.title_latest: Resumable | None = None  # the game Continue would resume, while on the title

    @property
    def story(self) -> Story:
        return self.s.story

    # ---- output helpers -----------------------------------------------------------------------
    def say(self, text: str, style: str = "notice") -> None:
        self.fe.show(lambda w, text=text, style=style: r.note(text, w, style) + [r.blank()])

    def unclear(self, got: Unclear) -> None:
        self.fe.show(lambda w: r.unclear(got.message, got.options, got.after, w))

    def notes(self, notes: list[str]) -> None:
        for n in notes:
            self.say(n, "warning" if ("could not" in n.lower() or "cannot" in n.lower()) else "notice")

    def ask(self, q: Ask):
        return self.fe.ask(q)

    # ---- the whole game -------------------------------------------------------------------------
    def run(self, first: State) -> int:
        try:
            if not self.begin(first):
                return self.leave(quitting=True)
            self.play()
            return self.leave(quitting=True)
        except Leave as exc:
            return self.leave(quitting=True) or exc.code
        except (KeyboardInterrupt, EOFError):
            return self.leave(quitting=False)

    def begin(self, first: State) -> bool:
        """Start, continue or load, as the options or the title screen say. False: quit."""
        o = self.opts
        if o.load:
            try:
                self.resume(self.s.open_save(o.load))
                return True
            except SessionError as exc:
                if not self.fe.interactive:
                    self.say(str(exc), "warning")
                    raise Leave(1) from None
                self.later.append(str(exc))  # shown on the title screen
        elif o.resume:
            latest, notes = self.s.latest_autosave()
            self.later += notes
            if latest:
                self.resume(latest)
                return True
            self.later.append("There is no autosave to continue from, so a new game begins.")
            self.s.new_game(first)
            return True
        elif o.trial:
            self.s.new_game(first)
            return True
        if not self.fe.interactive:
            self.fe.show(lambda w: r.title_screen(self.story, w))
            self.s.new_game(first)
            return True
        return self.title(first)

    def resume(self, res: Resumable) -> None:
        self.later += self.s.resume(res)
        if res.slot != self.s.autosave_slot:
            self.later += self.s.autosave()  # Continue now means this game
        if self.s.choices_made():
            self.later.append("Welcome back. Type journal to see how you came here, or undo to step back.")

    # ---- the title screen -----------------------------------------------------------------------
    def title(self, first: State) -> bool:
        notes, self.later = self.later, []
        while True:
            latest, more = self.s.latest_autosave()
            notes += more
            arrivals = self.s.arrivals()
            self.fe.new_page(clear=True)
            self.fe.show(lambda w: r.title_screen(self.story, w))
            self.notes(notes)
            notes = []
            items: list[tuple[str, str, str | None]] = [("new", "New game", None)]
            if latest:
                items.append(("continue", "Continue", r.describe(latest.summary(self.story), place=False)))
            if self.s.slots():
                items.append(("load", "Load a saved game", None))
            if arrivals:
                items.append(("chapters", "Start from a chapter", "any chapter you have reached"))
            count, more = self.endings_count()
            self.notes(more)
            items.append(("endings", "Endings", count))
            items.append(("quit", "Quit", None))
            self.fe.show(
                lambda w, items=items: (
                    r.menu([(str(i), label, d) for i, (_, label, d) in enumerate(items, 1)], w) + [r.blank()]
                )
            )
            default = "continue" if latest else "new"
            self.say(f"Press Enter to {'continue your game' if latest else 'begin'}, or type a number.", "dim")
            keys = [k for k, _, _ in items]

            def complete(t: str, asked: bool, keys: list[str] = keys) -> list[tuple[str, str]]:
                return [(k, k) for k in keys if k.startswith(t.strip().lower()) and (t.strip() or asked)]

            while True:
                answer = self.ask(Ask("> ", complete=complete, history=False))
                a = answer.strip().lower() if isinstance(answer, str) else ""
                k = number(a)
                action: str | None
                if not a:
                    action = default
                elif k is not None and 1 <= k <= len(items):
                    action = keys[k - 1]
                else:
                    action = TITLE_WORDS.get(a)
                    if action not in keys:
                        action = None
                if action:
                    break
                self.say(f"Type a number from 1 to {len(items)}, or just press Enter.", "hint")
            if action == "quit":
                self.title_latest = latest  # leaving says where that game is kept
                return False
            if action == "new":
                self.s.new_game(first)
                if latest:
                    self.keep_earlier(latest)
                return True
            if action == "continue":
                assert latest is not None, "continue is offered only with a game to continue"
                self.resume(latest)
                return True
            if action == "endings":
                self.cmd_endings(None)
                self.ask(Ask("Press Enter to go back to the title. > ", history=False))
                continue
            if action == "chapters":
                if self.chapter_menu(arrivals, latest):
                    return True
                continue
            if self.load_menu(defer=True):
                return True
            notes, self.later = notes + self.later, []

    def endings_count(self) -> tuple[str, list[str]]:
        chapters, notes = self.s.endings_register()
        got = sum(e.found for _, es, _ in chapters for e in es)
        total = sum(len(es) for _, es, _ in chapters)
        return f"{got} of {total} found", notes

    def keep_earlier(self, latest: Resumable) -> None:
        """A new game over a game in progress: keep the old one, and say where (fault 9)."""
        where = r.describe(latest.summary(self.story))
        notes = self.s.autosave()
        kept = [n for n in notes if "earlier game is kept as" in n]
        self.later += [n for n in notes if n not in kept]
        if kept:
            self.later.append(
                f"Your earlier game ({where}) is kept as 'autosave-1': type load autosave-1 to go "
                "back to it, or choose it under Load on the title screen."
            )

    def chapter_menu(self, arrivals: list, latest: Resumable | None) -> bool:
        """Start a chapter reached before, with the flags of the arrival the reader picks."""
        self.fe.new_page(clear=True)
        self.fe.show(lambda w: r.arrivals(arrivals, self.story, w), closable=True)
        while True:
            answer = self.ask(Ask("Start which? (number; Enter to go back) > ", history=False))
            a = answer.strip() if isinstance(answer, str) else ""
            if not a:
                return False
            k = number(a)
            if k is not None and 1 <= k <= len(arrivals):
                break
            self.say(f"Type a number from 1 to {len(arrivals)}, or just press Enter.", "hint")
        try:
            self.s.start_at(arrivals[k - 1])
        except PlayError as exc:
            self.later.append(f"That chapter cannot be started any more: {exc}")
            return False
        if latest:
            self.keep_earlier(latest)
        return True

    def load_menu(self, defer: bool = False) -> bool:
        """List the saves and load one. True when a game was loaded. With defer, a
        message about a save that could not be loaded waits for the next screen."""
        slots = self.s.slots()
        self.fe.show(lambda w: r.saves_list(slots, w), wide=True, closable=True)
        if not slots:
            return False
        answer = self.ask(
            Ask(
                "Load which? (number or name; Enter to go back) > ",
                complete=lambda t, asked: [
                    (s.name, s.name) for s in slots if (t.strip() or asked) and s.name.startswith(t.strip().lower())
                ],
                history=False,
            )
        )
        a = answer.strip() if isinstance(answer, str) else ""
        if not a:
            return False
        k = number(a)
        name = slots[k - 1].name if k is not None and 1 <= k <= len(slots) else a
        try:
            res = self.s.open_save(name)
        except SessionError as exc:
            if defer:
                self.later.append(str(exc))
            else:
                self.say(str(exc), "warning")
            return False
        self.resume(res)
        self.later.insert(0, f"Loaded '{res.slot}'.")
        return True

    # ---- playing ------------------------------------------------------------------------------
    def play(self) -> None:
        self.show_scene(card=True)
        while True:
            s = self.s
            if s.at_ending():
                self.at_ending()
                continue
            offered = s.offered()
            answer = self.pending if self.pending is not None else self.ask(self.choice_prompt(offered))
            self.pending = None
            if answer is WATCHED:
                self.reload_story()
                continue
            got = parse(answer, offered, debug=self.opts.debug)
            if not isinstance(got, Pick) and answer.strip():
                self.fe.echo(answer)
            if isinstance(got, Pick) and got.choice.index in s.greyed():
                self.fe.echo(answer)
                self.say(tx.greyed_words(got.number, got.choice), "warning")
            elif isinstance(got, Pick):
                self.take(got)
            elif isinstance(got, Command):
                self.command(got, answer)
            elif isinstance(got, Unclear):
                self.unclear(got)
            else:
                n = len(offered)
                self.say("Type the number of a choice" + (f" (1 to {n})" if n > 1 else "") + ", or help.", "hint")

    def choice_prompt(self, offered) -> Ask:
        story, states, debug = self.story, self.s.states, self.opts.debug
        state, scene = states[-1], self.s.scene()
        nodes = list(story.chapter(state.chapter).nodes) if debug else []
        keys = f"{state.chapter}:{state.node}" if debug else "help \u00b7 undo \u00b7 save"
        slots = self.slot_names()
        return Ask(
            "> ",
            complete=lambda t, asked: completions(t, offered, debug=debug, nodes=nodes, slots=slots, requested=asked),
            toolbar=lambda cols: r.toolbar(story, state, scene, cols, keys),
            watch=self.watch,
        )

    def slot_names(self) -> list[str]:
        try:
            return [s.name for s in self.s.slots()]
        except OSError:
            return []

    def take(self, pick: Pick) -> None:
        self.fe.new_page()
        self.fe.show(lambda w, c=pick.choice: r.chosen(c, w))
        try:
            notes = self.s.choose(pick.choice)
        except SessionError as exc:
            self.say(str(exc), "warning")
            return
        self.show_scene(card=False, fresh_page=False, new_ending=self.s.last_ending_new)
        self.notes(notes)

    def at_ending(self) -> None:
        s = self.s
        final = s.at_final_ending()
        story, state, scene = self.story, s.state, s.scene()
        slots = self.slot_names()
        q = Ask(
            "> ",
            complete=lambda t, asked: completions(
                t, [], debug=self.opts.debug, allowed=AT_ENDING, slots=slots, requested=asked
            ),
            toolbar=lambda cols: r.toolbar(
                story, state, scene, cols, "the end" if final else "Enter: go on", "the end" if final else "Enter"
            ),
            watch=self.watch,
        )
        answer = self.pending if self.pending is not None else self.ask(q)
        self.pending = None
        if answer is WATCHED:
            self.reload_story()
            return
        got = parse(answer, [], debug=self.opts.debug, allowed=AT_ENDING)
        if isinstance(got, Command):
            self.fe.echo(answer)
            self.command(got, answer)
            return
        if final:
            self.say(OVER, "hint")
            return
        if answer.strip() and not self.fe.interactive:
            self.pending = answer  # line mode: this line is meant for the next chapter
        self.notes(s.advance())
        self.show_scene(card=True)

    def show_scene(self, card: bool, fresh_page: bool = True, new_ending: bool = False) -> None:
        if fresh_page or card:
            self.fe.new_page(clear=card)
        story, s = self.story, self.s
        state, scene = s.state, s.scene()
        # The plain form of each piece (line mode, the --transcript file) is laid out by
        # engine.transcript, as the transcripts of --script and --canon are.
        where = tx.where_of(story, state)
        banner = tx.banner_lines(where) if where and where != self.where_shown and not card else []
        self.where_shown = where or self.where_shown
        if card:
            self.fe.show(
                lambda w: r.chapter_card(story, state, scene, w),
                # (a card in mid-chapter, after a load or an undo, names the nearest known place)
                lambda w: r.from_plain(
                    tx.chapter_card(story, state, where or ", ".join(x for x in scene[::-1] if x)) + [""]
                ),
            )
        # Notes (loaded, welcome back, took back...) come before the scene, so the choices are
        # the last thing on the screen and nothing waits at "more" for a note alone.
        later, self.later = self.later, []
        self.notes(later)
        self.scenes += 1
        paragraphs = rt.node_text(story, state)
        said = state.said if banner else 0  # what the choice said comes before a new place or date

        def plain_text(w: int) -> list:
            lead = tx.said_lines(state, w) if said else []
            return r.from_plain(lead + banner + tx.text_lines(story, state, w, said))

        node = rt.node_of(story, state)
        if not node.ending:
            # the last paragraph (the question the choices answer), the documented events and the
            # choices are one block, which the terminal keeps on one page
            offered, closed = s.offered(), s.greyed()
            stuck = r.stuck(story, state)
            body, question = paragraphs[:-1], paragraphs[-1:]
            self.fe.show(lambda w: r.prose(body, w), plain_text)
            self.fe.show(
                lambda w: r.prose(question, w) + r.records(story, state, w) + r.choices(offered, w, stuck, closed),
                lambda w: r.from_plain(tx.choice_lines(offered, w, stuck, closed)),
            )
            return
        self.fe.show(lambda w: r.prose(paragraphs, w) + r.records(story, state, w), plain_text)
        if node.ending is not None:  # (always: a scene with choices has returned above)
            self.fe.show(
                lambda w: r.ending(story, node, w, new_ending),
                lambda w: (
                    r.from_plain(tx.ending_lines(story, node, w))
                    + (r.first_time(w) + [r.blank()] if new_ending else [])
                ),
            )
            changes = s.dossier_changes()
            if changes:
                self.fe.show(lambda w: r.dossier_changes(changes, w))
            if rt.is_final(story, state):
                found, notes = s.endings_found()
                self.fe.show(
                    lambda w: r.epilogue(story, found, w, state=state),
                    lambda w: r.from_plain(tx.epilogue_lines(story, state, w) + [""]) + r.endings_found(found, w),
                )
                self.notes(notes)
                self.say(OVER, "dim")
            else:
                self.say(self.go_on_words(), "dim")

    def go_on_words(self) -> str:
        nxt = self.story.next_chapter(self.s.state.chapter)
        assert nxt is not None, "an ending that is not final leads to a next chapter"
        return f"Press Enter to go on to {chapter_label(self.story, nxt.id)}."

    def again(self) -> None:
        """After a screen (help, the journal, the dossier...), what the player can do here,
        shown again under it, so nothing has to be remembered from a page scrolled away."""
        s, story = self.s, self.story
        if not s.started:
            return
        if s.at_ending():
            if s.at_final_ending():
                self.say(OVER, "dim")
            else:
                self.say(self.go_on_words(), "dim")
            return
        offered, stuck, closed = s.offered(), r.stuck(story, s.state), s.greyed()
        self.fe.show(
            lambda w: r.choices(offered, w, stuck, closed),
            lambda w: r.from_plain(tx.choice_lines(offered, w, stuck, closed)),
        )

    # ---- commands ---------------------------------------------------------------------------
    def command(self, cmd: Command, typed: str = "") -> None:
        """Run a command; when it showed no scene of its own, show the choices again under it."""
        if cmd.name == "quit" and typed.strip().lower() == "q" and not self.confirm_leaving():
            self.again()
            return
        scenes = self.scenes
        getattr(self, f"cmd_{cmd.name}")(cmd.arg)
        if self.scenes == scenes:
            self.again()

    def confirm_leaving(self) -> bool:
        """A lone q might be a slip (or meant for a pager): leaving asks first."""
        s = self.s
        if s.store is None:
            what = "this game is not saved"
        else:
            what = "your game is saved, and you can carry on later"
        answer = self.ask(Ask(f"Leave the game? ({what[0].upper()}{what[1:]}.) (y/n) > ", history=False))
        if isinstance(answer, str) and answer.strip().lower() in ("y", "yes", "q", "quit"):
            raise Leave
        self.say("Carrying on.", "dim")
        return False

    def cmd_help(self, _arg) -> None:
        at_end, tab = self.s.at_ending(), not self.fe.plain
        self.fe.show(lambda w: r.help_text(w, self.opts.debug, None, at_end, tab), closable=True)

    def cmd_dossier(self, _arg) -> None:
        rows = self.s.known()
        self.fe.show(lambda w: r.dossier(rows, w), lambda w: r.dossier(rows, w, plain_mode=True), closable=True)

    def cmd_endings(self, _arg) -> None:
        chapters, notes = self.s.endings_register()
        self.notes(notes)
        self.fe.show(lambda w: r.endings_register(chapters, w), closable=True)

    def cmd_back(self, arg) -> None:
        """Reread earlier pages of this playthrough, read-only: nothing is undone."""
        pages = self.s.pages()
        total = len(pages)
        if total < 2:
            self.say("This is the first page: there is nothing before it to reread.", "hint")
            return
        k = total - 1 if not arg else min(int(arg), total)
        if k >= total:
            self.say(f"Page {total} is this one; the pages before it are 1 to {total - 1}.", "hint")
            return
        while True:
            self.fe.new_page(clear=True)
            p = pages[k - 1]
            self.fe.show(
                lambda w, p=p: r.page(p, total, w), lambda w, p=p: r.page(p, total, w, plain_mode=True), closable=True
            )
            keys = "PageUp or b: the page before \u00b7 PageDown or Enter: the page after \u00b7 q: back to the game"
            self.say(
                keys
                if not self.fe.plain
                else "b: the page before \u00b7 Enter: the page after \u00b7 q: back to the game",
                "dim",
            )
            answer = self.ask(Ask("(rereading) > ", history=False))
            a = answer.strip().lower() if isinstance(answer, str) else ""
            n = number(a)
            if a in ("b", "back", "p", "prev", "previous", "u", "up"):
                if k == 1:
                    continue  # already the first page: show it again
                k -= 1
            elif a in ("", "n", "next", "on", "f", "forward", "d", "down"):
                k += 1
                if k >= total:
                    break
            elif n is not None and 1 <= n < total:
                k = n
            elif n is not None and n == total:
                break
            else:  # q, Escape, quit or anything else: back to the game
                break
        self.show_scene(card=True)

    def cmd_quit(self, _arg) -> None:
        raise Leave

    def cmd_save(self, arg) -> None:
        try:
            slot, notes = self.s.save(arg)
        except SessionError as exc:
            self.say(str(exc), "warning")
            return
        self.notes(notes)
        where = r.describe(self.s.save_data()["summary"])
        self.say(f"Saved as '{slot}' ({where}). To come back here, type: load {slot}")

    def cmd_load(self, arg) -> None:
        if not arg:
            before = self.s.states
            if self.load_menu() and self.s.states is not before:
                self.show_scene(card=True)
            return
        try:
            res = self.s.open_save(arg)
        except SessionError as exc:
            self.say(str(exc), "warning")
            return
        self.resume(res)
        self.later.insert(0, f"Loaded '{res.slot}'.")
        self.show_scene(card=True)

    def cmd_undo(self, arg) -> None:
        before = self.s.state.chapter
        try:
            taken, notes = self.s.undo(int(arg) if arg else 1)
        except SessionError as exc:
            self.say(str(exc), "hint")
            return
        card = self.s.state.chapter != before or self.s.entered_chapter()
        self.fe.new_page()
        if card:
            self.later += [f"Took back {taken} choice{'s' if taken != 1 else ''}."] + notes
        else:
            self.say(f"Took back {taken} choice{'s' if taken != 1 else ''}.", "dim")
            self.later += notes
        self.show_scene(card=card, fresh_page=False)

    def cmd_journal(self, _arg) -> None:
        j = self.s.journal()
        pages = self.s.pages()
        self.fe.show(lambda w: r.journal(j, w) + r.journal_pages(pages, w), closable=True)

    def cmd_restart(self, _arg) -> None:
        answer = self.ask(Ask("Start again from the beginning? Your game so far stays saved. (y/n) > ", history=False))
        if not isinstance(answer, str) or answer.strip().lower() not in ("y", "yes"):
            self.say("Carrying on.", "dim")
            return
        try:
            first = self.restart_state(self.story)
        except PlayError as exc:
            self.say(f"Cannot start again: {exc}", "warning")
            return
        latest, _ = self.s.latest_autosave()
        self.s.new_game(first)
        if latest:
            self.keep_earlier(latest)
        self.show_scene(card=True)

    def cmd_flags(self, _arg) -> None:
        rows = self.s.flags()
        self.fe.show(lambda w: r.flags(rows, w))

    def cmd_goto(self, arg) -> None:
        if not arg:
            self.say("Type it as: goto NODE (or goto CHAPTER:NODE)", "hint")
            return
        try:
            self.s.goto(arg)
        except SessionError as exc:
            self.say(str(exc), "warning")
            return
        self.show_scene(card=True)

    # ---- --watch ----------------------------------------------------------------------------
    def reload_story(self) -> None:
        assert self.reload is not None, "--watch always comes with a way to recompile"
        while True:
            story, errors = self.reload()
            if story is not None:
                break
            self.fe.new_page()
            self.say("The story does not compile; fix it and save, and the game reloads by itself.", "warning")
            self.fe.show(lambda w, errors=errors: r.diagnostics(errors, w))
            while True:
                answer = self.ask(Ask("(waiting for a fix; quit to leave) > ", watch=self.watch, history=False))
                if answer is WATCHED:
                    break
                if answer.strip().lower() in ("q", "quit", "exit"):
                    raise Leave
        try:
            note = self.s.rebase(story, self.restart_state)
        except SessionError as exc:
            self.say(str(exc), "warning")
            return
        self.later.append(note)
        self.show_scene(card=True)

    # ---- leaving ------------------------------------------------------------------------------
    def leave(self, quitting: bool) -> int:
        self.fe.leaving()
        s = self.s
        if s.started and not s.autosaved and s.store is not None and not s.choices_made():
            # leaving before the first choice: the game is saved where it stands, so the
            # command below carries on from here, as after any choice
            self.notes(s.autosave())
        latest = self.title_latest if not s.started else None
        if s.started and s.autosaved or latest is not None:
            summary = latest.summary(self.story) if latest is not None else s.save_data()["summary"]
            where = r.describe(summary)
            command = self.continue_command()
            self.fe.show(
                lambda w: (
                    r.note(f"Your game is saved ({where}). To carry on, run:", w)
                    + [[("class:choice.number", "  " + command)], r.blank()]
                )
            )
        elif s.started and s.store is None:
            self.say(
                "This game was not saved: a game started with --chapter, --at or --set keeps no saves "
                "unless you give --save-dir DIR.",
                "dim",
            )
        elif s.started and s.store is not None:
            self.say("Your game could not be saved (see above).", "warning")
        elif not quitting:
            self.say("Goodbye.", "dim")
        return 0

    def continue_command(self) -> str:
        import os

        parts = [program_name(), "play"]
        story = self.opts.story or os.environ.get("CHRONICLE_STORY")
        if story:
            parts += ["--story", os.path.abspath(story)]
        if self.opts.save_dir:  # the folder as given, made absolute: the command works from anywhere
            parts += ["--save-dir", os.path.abspath(os.path.expanduser(str(self.opts.save_dir)))]
        if self.s.autosave_slot == AUTOSAVE:
            parts.append("--continue")
        else:
            parts += ["--load", self.s.autosave_slot]
        return " ".join(p if i == 0 else shlex.quote(p) for i, p in enumerate(parts))


def program_name() -> str:
    """How to run chronicle again from here: `chronicle` when that is on PATH, else the path used."""
    import os
    import shutil
    import sys

    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    found = shutil.which("chronicle")
    if os.path.basename(argv0) == "chronicle":
        if found and os.path.realpath(found) == os.path.realpath(argv0):
            return "chronicle"
        return shlex.quote(os.path.abspath(argv0))  # `.venv/bin/chronicle` works only from the repo
    if found:
        return "chronicle"
    python = os.path.basename(sys.executable)
    on_path = shutil.which(python) if python else None
    if not (on_path and os.path.realpath(on_path) == os.path.realpath(sys.executable)):
        python = shlex.quote(sys.executable or "python3")
    return f"{python} -m engine"

"""Documents -> Story: resolve names, compile expressions, collect diagnostics.

A chain of small passes over the loaded, schema-checked documents:
  1. load       every file (YAML with positions) and check it against its schema
  2. declare    story-wide flags, facts, chapter flags and node ids
  3. compile    expressions: parse, type-check against the declarations, close over slots
  4. structure  names that must resolve (goto, records, refs, covers, diverges),
                endings, and the static graph: unreachable nodes, nodes with no way on
Every problem becomes a Diagnostic; nothing stops at the first one. A file whose
schema check fails is not compiled further, so one mistake is reported once.
"""

from __future__ import annotations

import hashlib
import keyword
import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import cache, calls, mentions
from . import expr as ex
from . import inline as il
from .dates import DateError, DateSpan, parse_date
from .diagnostics import ChronicleError, Diagnostic, Pos, did_you_mean, error, has_errors, sort_key, warning
from .gcpause import paused_gc
from .model import (
    DEFAULT_MAX_CALL_DEPTH,
    ENDING_KINDS,
    Chapter,
    Choice,
    Effect,
    Ending,
    Fact,
    Flag,
    Node,
    Show,
    Source,
    Story,
    TextPart,
    frozen_map,
    successors,
)
from .yamlload import MAX_BYTES, Document, load_file, read_regular

STORY_FILE = Path("story") / "story.yaml"
HISTORY_FILE = Path("story") / "history.yaml"
CHAPTER_DIR = Path("chapters")
MAX_HINT = 120  # characters: an ending's hint is one line in the list of endings
INT_LIMIT = 2**31 - 1  # the largest value an int flag can hold when it declares no `max` (and -INT_LIMIT-1 for `min`)


def display_path(path: Path) -> str:
    """A path as a person would want to read it: relative to here when inside."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def _beyond_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and not -INT_LIMIT - 1 <= v <= INT_LIMIT


def _short_int(v: int) -> str:
    """A number for a message: a very long one is shortened (Python refuses to print over 4,300 digits)."""
    if v.bit_length() > 200:
        return f"a number of about {int(v.bit_length() * 0.30103):,} digits"
    return f"{v:,}"


def _inside(path: Path, root: Path) -> bool:
    """Does `path` (symlinks followed) lie inside the folder `root`?"""
    try:
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))
    except (OSError, ValueError):
        return False


def story_files(root: Path, chapter_ids: list[str]) -> list[Path]:
    return [root / STORY_FILE, root / HISTORY_FILE] + [root / CHAPTER_DIR / f"{c}.yaml" for c in chapter_ids]


def compile_story(root: str | os.PathLike) -> tuple[Story | None, list[Diagnostic]]:
    """Compile the story in `root`. Returns (story or None, every diagnostic)."""
    story, diags, _partial = compile_story_partial(root)
    return story, diags


def compile_story_partial(root: str | os.PathLike) -> tuple[Story | None, list[Diagnostic], Partial | None]:
    """As `compile_story`, and when only some chapters fail to load or compile (the manifest
    and the history are sound), also the story made of the chapters that did compile, so a
    check can still prove what it can about them."""
    # Compiling builds many small objects and no garbage cycles worth collecting;
    # pausing the cyclic collector saves it rescanning them (a third of the time).
    with paused_gc():
        c = _Compiler(Path(root))
        story, diags = c.run()
        return story, diags, c.partial


@dataclass(frozen=True)
class ChapterContext:
    """What compiling one node needs to know of its chapter, gathered once per chapter (it was
    fourteen parameters of compile_node)."""

    doc: Document  # the chapter file, for positions
    cid: str  # the chapter's id
    parsed: dict[tuple, Any]  # path in the document -> parsed expression tree (or inline segments)
    slots: dict[str, int]  # flag name -> slot in the chapter's layout
    seen_bits: dict[str, int]  # node id -> its seen() bit
    flags: dict[str, Flag]  # flag name -> declaration (story-wide and the chapter's own)
    node_ids: set[str]  # every node id of the chapter
    fact_ref: Callable[[str, tuple, str], bool]  # checks a fact id, reporting an unknown one
    facts: dict | None  # fact id -> Fact (None when the history did not load)
    covers: tuple  # the fact ids the chapter covers
    period: Any  # the chapter's (from, to) dates, or None when they did not parse
    counter_slot: dict[str, int]  # node id -> slot of its visit count, for nodes something counts


@dataclass(frozen=True)
class Partial:
    """The chapters that compiled, when others did not."""

    story: Story  # holding only the chapters that compiled, in play order
    broken: tuple  # ids of the chapters that did not, in play order
    after_gap: frozenset  # ids of compiled chapters that come after a broken one (their start states are unknown)


def load_story(root: str | os.PathLike) -> Story:
    """Compile the story in `root`, or raise ChronicleError with every error found."""
    story, diags = compile_story(root)
    if story is None or has_errors(diags):
        raise ChronicleError(sorted((d for d in diags if d.is_error), key=sort_key))
    return story


class _Compiler:
    def __init__(self, root: Path):
        self.root = root
        self.diags: list[Diagnostic] = []
        self.hasher = hashlib.sha256()
        self.texts: dict[str, str] = {}  # file as shown -> its text, for positions inside strings
        self.partial: Partial | None = None

    # ---- helpers -------------------------------------------------------------
    def err(self, code, message, pos=None, hint=None):
        self.diags.append(error(code, message, pos, hint))

    def warn(self, code, message, pos=None, hint=None):
        self.diags.append(warning(code, message, pos, hint))

    def load(self, path: Path, kind: str) -> Document | None:
        try:
            # read once, at most the size limit, and never a FIFO or a device (see read_regular)
            raw = read_regular(path, MAX_BYTES)
        except OSError:
            raw = None
        if raw is not None and len(raw) > MAX_BYTES:
            raw = None  # load_file below says how large it is
        self.hasher.update(str(path.relative_to(self.root) if path.is_relative_to(self.root) else path).encode())
        self.hasher.update(b"\0" + (raw if raw is not None else b"<missing>") + b"\0")
        if raw is not None:
            self.texts[display_path(path)] = raw.decode("utf-8", "replace")
        doc = cache.load_document(self.root, path, raw, kind, display_path(path))
        if doc is not None:
            return doc  # these exact bytes loaded and passed the schema before
        try:
            doc = load_file(path, display_path(path), raw)
        except ChronicleError as exc:
            self.diags.extend(exc.diagnostics)
            return None
        from .schema import validate  # jsonschema costs ~45 ms to import; a cached story never needs it

        problems = validate(doc, kind)
        if problems:
            self.diags.extend(problems)
            return None
        cache.store_document(self.root, path, raw, kind, doc)
        return doc

    def expr_diag(self, exc: ex.ExprError, doc: Document, path: tuple, what: str):
        pos = doc.pos(path)
        self.err(exc.code, f"{what}: {exc.message}", pos, exc.hint)

    def inline_pos(self, doc: Document, path: tuple, value: str, at: int) -> Pos:
        """The line and column of the `{` at index `at` of the string at `path`.

        YAML leaves braces as they are in every style of scalar (plain, quoted, block), so the
        brace is the same-numbered `{` in the file, counting from where the scalar starts."""
        base = doc.pos(path)
        text = self.texts.get(doc.file)
        if text is None or base.line is None:
            return base
        lines = text.split("\n")
        if base.line > len(lines):
            return base
        k = value.count("{", 0, at)
        line, col = base.line - 1, (base.col or 1) - 1
        while line < len(lines):
            row = lines[line]
            while True:
                col = row.find("{", col)
                if col < 0:
                    break
                if k == 0:
                    return Pos(doc.file, line + 1, col + 1)
                k -= 1
                col += 1
            line, col = line + 1, 0
        return base

    # ---- the passes ------------------------------------------------------------
    def run(self) -> tuple[Story | None, list[Diagnostic]]:
        if not (self.root / STORY_FILE).exists():
            self.err(
                "file-missing",
                f"no story manifest at {display_path(self.root / STORY_FILE)}",
                Pos(display_path(self.root / STORY_FILE)),
                "point --story at a folder holding story/story.yaml, or create one with `chronicle new story`",
            )
            return None, self.diags
        manifest = self.load(self.root / STORY_FILE, "story")
        if manifest is None:
            return None, self.diags
        # History is optional: fiction without a documented past has no history.yaml (or no facts),
        # and then needs no period, covers or canon marks.
        has_history = (self.root / HISTORY_FILE).exists()
        history = self.load(self.root / HISTORY_FILE, "history") if has_history else None
        story_flags = self.declare_flags(manifest, ("flags",), manifest.data.get("flags") or {}, "story", 0)
        facts = self.declare_facts(history, story_flags) if history else ({} if not has_history else None)
        epilogue_parts = self.compile_epilogue(manifest, story_flags, facts)

        chapters = []
        chapter_ids = list(manifest.data["chapters"])
        seen_ids = set()
        for i, cid in enumerate(chapter_ids):
            if cid in seen_ids:
                self.err("duplicate-id", f"chapter '{cid}' is listed twice", manifest.pos(("chapters", i)))
                continue
            seen_ids.add(cid)
            path = self.root / CHAPTER_DIR / f"{cid}.yaml"
            if not path.exists():
                self.err(
                    "file-missing",
                    f"chapter '{cid}' is listed in the manifest but {display_path(path)} does not exist",
                    manifest.pos(("chapters", i)),
                    f"create it with `chronicle new chapter {cid}`, or remove it from the list",
                )
                continue
            doc = self.load(path, "chapter")
            if doc is None:
                continue
            if doc.data["id"] != cid:
                self.err(
                    "chapter-id-mismatch",
                    f"this file is {path.name} but its id is '{doc.data['id']}'",
                    doc.pos(("id",)),
                    f"write `id: {cid}`, or rename the file",
                )
                continue
            chapter = self.compile_chapter(doc, story_flags, facts)
            if chapter is not None:
                chapters.append(chapter)

        if (self.root / CHAPTER_DIR).is_dir():
            for extra in sorted((self.root / CHAPTER_DIR).glob("*.yaml")):
                if extra.stem not in seen_ids:
                    self.warn(
                        "chapter-not-listed",
                        f"{extra.name} is not in story/story.yaml's chapter list, so nobody can play it",
                        Pos(display_path(extra)),
                        f"add '{extra.stem}' to `chapters:` in story/story.yaml",
                    )

        if has_errors(self.diags) or facts is None:
            self.partial = self.partial_story(
                manifest, history, chapters, story_flags, facts, chapter_ids, epilogue_parts
            )
            return None, self.diags
        self.check_flag_use(story_flags, chapters, facts, epilogue_parts)
        return self.story(manifest, chapters, story_flags, facts, epilogue_parts), self.diags

    def story(
        self, manifest: Document, chapters: list, story_flags: list, facts: dict, epilogue_parts: tuple = ()
    ) -> Story:
        data = manifest.data
        return Story(
            title=data["title"],
            root=str(self.root),
            chapters=tuple(chapters),
            flags=tuple(story_flags),
            facts=frozen_map(facts),
            content_hash=self.hasher.hexdigest()[:16],
            byline=data.get("byline"),
            intro=data.get("intro"),
            epilogue=data["epilogue"] if isinstance(data.get("epilogue"), str) else None,
            epilogue_parts=epilogue_parts,
            warnings=tuple(d for d in self.diags if not d.is_error),
            style=frozen_map(data.get("style") or {}),
            style_pos=manifest.pos(("style",)),
            max_call_depth=data.get("max_call_depth", DEFAULT_MAX_CALL_DEPTH),
            intro_pos=manifest.pos(("intro",)) if data.get("intro") is not None else None,
            sources=frozen_map(self.texts),
        )

    def partial_story(
        self, manifest, history, chapters, story_flags, facts, chapter_ids, epilogue_parts=()
    ) -> Partial | None:
        """The story of the chapters that compiled, when every error lies in some chapter file."""
        if facts is None or not chapters:
            return None
        chapter_files = {display_path(self.root / CHAPTER_DIR / f"{cid}.yaml") for cid in chapter_ids}
        if any(d.is_error and (d.pos is None or d.pos.file not in chapter_files) for d in self.diags):
            return None
        good = {c.id for c in chapters}
        broken = tuple(dict.fromkeys(cid for cid in chapter_ids if cid not in good))
        after, gap = set(), False
        for cid in dict.fromkeys(chapter_ids):
            gap = gap or cid not in good
            if gap and cid in good:
                after.add(cid)
        return Partial(
            self.story(manifest, chapters, story_flags, facts, epilogue_parts or ()), broken, frozenset(after)
        )

    # ---- declarations -------------------------------------------------------------
    def declare_flags(
        self, doc: Document, base: tuple, decls: dict, scope: str, first_slot: int, taken: dict | None = None
    ) -> list[Flag]:
        flags: list[Flag] = []
        for name, d in decls.items():
            path = base + (name,)
            if name in _RESERVED:
                self.err(
                    "flag-name",
                    f"'{name}' cannot be a flag name: the expression language uses that word itself",
                    doc.key_pos(path),
                    f"rename it, e.g. '{name}_flag' or a word that says what it records",
                )
                continue
            if taken and name in taken:
                self.err(
                    "flag-shadows",
                    f"chapter flag '{name}' has the name of a story-wide flag",
                    doc.key_pos(path),
                    "rename the chapter flag; story-wide flags are visible in every chapter",
                )
                continue
            lo, hi, values = d.get("min"), d.get("max"), tuple(d.get("values") or ())
            out_of_range = [k for k in ("default", "min", "max") if d["type"] == "int" and _beyond_int(d.get(k))]
            for k in out_of_range:
                self.err(
                    "number-range",
                    f"flag '{name}' has {k} {_short_int(d[k])}, beyond what an int flag can "
                    f"hold ({-INT_LIMIT - 1:,} to {INT_LIMIT:,})",
                    doc.pos(path + (k,)),
                    "use a smaller number",
                )
            if out_of_range:  # the flag is still declared (no 'unknown flag' echoes), without the bad numbers
                d = {**d, **{k: (0 if k == "default" else None) for k in out_of_range}}
                lo, hi = d.get("min"), d.get("max")
            flag = Flag(
                name=name,
                type=d["type"],
                default=d["default"],
                doc=d["doc"],
                scope=scope,
                slot=first_slot + len(flags),
                min=lo,
                max=hi,
                values=values,
                pos=doc.key_pos(path),
                show=self.declare_show(doc, path, name, d),
            )
            if lo is not None and hi is not None and lo > hi:
                self.err("flag-default", f"flag '{name}' has min {lo} above max {hi}", doc.pos(path + ("min",)))
            elif not flag.accepts(flag.default):
                want = {
                    "int": f"a whole number from {lo} to {hi}",
                    "enum": f"one of {', '.join(values)}",
                    "bool": "true or false",
                }[flag.type]
                self.err(
                    "flag-default",
                    f"flag '{name}' defaults to {flag.default!r}, which is not {want}",
                    doc.pos(path + ("default",)),
                )
            flags.append(flag)
        return flags

    def declare_show(self, doc: Document, path: tuple, name: str, d: dict) -> Show | None:
        """`show: {label, as, words?}` on a flag: what the reader's dossier can present."""
        show = d.get("show")
        if show is None:
            return None
        spath = path + ("show",)
        kind, words = show["as"], dict(show.get("words") or {})
        if kind == "bar":
            if d["type"] != "int" or d.get("min") is None or d.get("max") is None:
                what = "an int flag without both min and max" if d["type"] == "int" else f"a {d['type']} flag"
                self.err(
                    "flag-show",
                    f"flag '{name}' is shown as a bar, but a bar needs bounds and '{name}' is {what}",
                    doc.pos(spath + ("as",)),
                    "give the flag `min:` and `max:`, or show it `as: word`",
                )
            if words:
                self.err(
                    "flag-show",
                    f"flag '{name}' is shown as a bar, so its `words` would never be shown",
                    doc.key_pos(spath + ("words",)),
                    "remove `words`, or show it `as: word`",
                )
        if d["type"] == "bool":
            allowed = ["true", "false"]
        elif d["type"] == "enum":
            allowed = list(d.get("values") or ())
        else:
            allowed = None
        lo, hi = d.get("min"), d.get("max")
        for key in words if kind == "word" else ():
            if allowed is None:  # an int: whole numbers within its bounds
                number = int(key) if key.isascii() and key.lstrip("-").isdigit() and len(key) < 20 else None
                if number is None or (lo is not None and number < lo) or (hi is not None and number > hi):
                    self.err(
                        "flag-show",
                        f"flag '{name}' never has the value '{key}', so its word is never shown",
                        doc.key_pos(spath + ("words", key)),
                        "key the words by whole numbers the flag can hold",
                    )
            elif key not in allowed:
                self.err(
                    "flag-show",
                    f"flag '{name}' never has the value '{key}', so its word is never shown",
                    doc.key_pos(spath + ("words", key)),
                    did_you_mean(key, allowed) or f"use one of: {', '.join(allowed[:12])}",
                )
        return Show(label=show["label"], as_=kind, words=frozen_map(words))

    def declare_facts(self, doc: Document, story_flags: list[Flag]) -> dict[str, Fact]:
        data = doc.data
        paragraphs = None
        if data.get("source"):
            src_path = self.root / "story" / data["source"]
            if not _inside(src_path, self.root):
                # a source elsewhere would let a story ask yes-or-no questions about any file on the machine
                self.err(
                    "source-outside",
                    f"the history's `source:` ({data['source']}) lies outside the story folder",
                    doc.pos(("source",)),
                    "copy the source text into the story folder and name it from story/",
                )
            else:
                try:
                    text = read_regular(src_path).decode("utf-8")
                    self.hasher.update(text.encode())
                    paragraphs = [p for p in text.split("\n") if p.strip()]
                except (OSError, UnicodeDecodeError):
                    self.err(
                        "file-missing",
                        f"the history's source {display_path(src_path)} cannot be read",
                        doc.pos(("source",)),
                        "copy the source text there, or fix `source:`",
                    )
        types = {f.name: f.flag_type for f in story_flags}
        slots = {f.name: f.slot for f in story_flags}
        facts: dict[str, Fact] = {}
        for section in ("facts", "story_facts"):
            for i, f in enumerate(data.get(section) or ()):
                fact = self.declare_fact(
                    doc, (section, i), f, section == "story_facts", facts, paragraphs, types, slots
                )
                if fact is not None:
                    facts[fact.id] = fact
        return facts

    def declare_fact(
        self, doc: Document, path: tuple, f: dict, story: bool, facts: dict, paragraphs, types: dict, slots: dict
    ) -> Fact | None:
        if f["id"] in facts:
            first = facts[f["id"]]
            if story and not first.story:
                self.err(
                    "story-fact-id",
                    f"story fact '{f['id']}' has the id of a documented fact (at {first.pos})",
                    doc.pos(path + ("id",)),
                    "rename the story fact: an id names one fact, documented or not",
                )
            else:
                self.err(
                    "duplicate-id",
                    f"fact '{f['id']}' is declared twice (first at {first.pos})",
                    doc.pos(path + ("id",)),
                )
            return None
        try:
            date = parse_date(f["date"])
        except DateError as exc:
            self.err("bad-date", str(exc), doc.pos(path + ("date",)))
            return None
        src = f.get("source")
        source = None
        if story:
            if src is not None:
                self.err(
                    "story-fact-source",
                    f"story fact '{f['id']}' cites the source, but story facts are the fiction's own",
                    doc.key_pos(path + ("source",)),
                    "remove `source:`; if the source really documents it, move it under `facts:`",
                )
        elif src is None:
            self.err(
                "fact-source-missing",
                f"documented fact '{f['id']}' does not say where in the source it comes from",
                doc.pos(path),
                'add `source: {paragraph: N, quote: "..."}`; if no source documents it, move it under `story_facts:`',
            )
        elif isinstance(src, dict):
            source = Source(src["paragraph"], src["quote"])
            if paragraphs is not None:
                n = src["paragraph"]
                if n > len(paragraphs):
                    self.err(
                        "quote-not-in-source",
                        f"the source has {len(paragraphs)} paragraphs, not {n}",
                        doc.pos(path + ("source", "paragraph")),
                    )
                elif src["quote"] not in paragraphs[n - 1]:
                    self.err(
                        "quote-not-in-source",
                        f"fact '{f['id']}' quotes words that are not in paragraph {n} of the source",
                        doc.pos(path + ("source", "quote")),
                        "copy the quote exactly, or fix the paragraph number",
                    )
        holds = holds_fn = None
        if f.get("holds") is not None:
            try:
                holds = ex.parse_condition(f["holds"])
                t = ex.typecheck(holds, types)
                if t != ex.BOOL:
                    raise ex.ExprError(
                        f"`holds` must be true or false, but this is {t}",
                        code="expr-type",
                        hint="compare it, e.g. `not saudi_iraq_war` or `gulf_tension < 4`",
                    )
                holds_fn = ex.compile_expr(holds, slots, {})
            except ex.ExprError as exc:
                if exc.code == "unknown-flag":
                    exc.hint = "a fact's `holds` may read only story-wide flags (story/story.yaml)"
                self.expr_diag(exc, doc, path + ("holds",), f"in the `holds` of fact '{f['id']}'")
                holds = None
        claims = {key: self.mention_patterns(doc, path, f, key) for key in ("mentions", "mentions_not")}
        return Fact(
            mentions=claims["mentions"],
            mentions_not=claims["mentions_not"],
            id=f["id"],
            date=date,
            statement=f["statement"],
            source=source,
            holds=holds,
            holds_src=f.get("holds"),
            holds_fn=holds_fn,
            note=f.get("note"),
            readings=tuple(f.get("readings") or ()),
            pos=doc.pos(path),
            instead=f.get("instead"),
            story=story,
        )

    def mention_patterns(self, doc: Document, path: tuple, f: dict, key: str) -> tuple:
        """A fact's `mentions` or `mentions_not`, each pattern checked (engine.mentions)."""
        out = []
        for i, src in enumerate(f.get(key) or ()):
            try:
                mentions.parse(src)
            except mentions.PatternError as exc:
                self.err(
                    "mention-syntax",
                    f"in `{key}` of fact '{f['id']}', pattern `{src}`: {exc.message} (at character {exc.at + 1})",
                    doc.pos(path + (key, i)),
                    exc.hint
                    or "a pattern is words, `a | b` alternatives, `(a | b)` groups, `word?` optional and `*` one word",
                )
                continue
            out.append(src)
        return tuple(out)

    # ---- chapters -------------------------------------------------------------------
    def compile_chapter(self, doc: Document, story_flags: list[Flag], facts: dict | None) -> Chapter | None:
        data = doc.data
        cid = data["id"]
        before = len([d for d in self.diags if d.is_error])
        taken = {f.name: f for f in story_flags}
        local = self.declare_flags(doc, ("flags",), data.get("flags") or {}, "chapter", len(story_flags), taken)
        layout = tuple(story_flags) + tuple(local)
        types = {f.name: f.flag_type for f in layout}
        slots = {f.name: f.slot for f in layout}
        flag_by_name = {f.name: f for f in layout}
        raw_nodes: dict = data["nodes"]
        node_ids = set(raw_nodes)

        period = None
        if data.get("period") is None:
            if _documented(facts):
                self.err(
                    "bad-date",
                    "the chapter has no `period:`, which a story with documented history needs",
                    doc.pos(("id",)),
                    "say which span of time the chapter covers: `period: {from: 1980-06, to: 1980-12}`",
                )
        else:
            try:
                period = (
                    parse_date(data["period"]["from"], allow_span=False),
                    parse_date(data["period"]["to"], allow_span=False),
                )
                if period[1].last < period[0].first:
                    self.err("bad-date", "the chapter's period ends before it begins", doc.pos(("period",)))
            except DateError as exc:
                self.err("bad-date", f"period: {exc}", doc.pos(("period",)))
                period = None

        def fact_ref(fid, path, why):
            if facts is not None and fid not in facts:
                self.err(
                    "unknown-fact",
                    f"{why} '{fid}', which is not a fact in story/history.yaml "
                    "(neither under `facts` nor under `story_facts`)",
                    doc.pos(path),
                    did_you_mean(fid, facts),
                )
                return False
            return True

        covers = tuple(data.get("covers") or ())
        for i, fid in enumerate(covers):
            fact_ref(fid, ("covers", i), "the chapter covers")

        # Choice ids: slugs unique in their node; visits("node.choice-id") counts the choice.
        countable = set(node_ids)
        for nid, n in raw_nodes.items():
            ids_here: dict[str, int] = {}
            for k, c in enumerate(n.get("choices") or ()):
                if c.get("id") is None:
                    continue
                if c["id"] in ids_here:
                    continue  # two choices with one id: choice_keys reports it
                ids_here[c["id"]] = k
                countable.add(f"{nid}.{c['id']}")

        # First parse every expression, so seen() targets are known before bits are given out.
        parsed: dict[tuple, Any] = {}
        seen_names: list[str] = []
        visit_caps: dict[str, int] = {}  # visits("...") target -> one more than the largest number it is compared with

        def note_names(tree):
            for n in sorted(ex.seen_in(tree)):
                if n not in seen_names and n in node_ids:
                    seen_names.append(n)

        def parse(src, path, what, effect=False, pos=None):
            tree: Any  # an ex.Effect when `effect`, else an ex.Expr
            try:
                tree = ex.parse_effect(src) if effect else ex.parse_condition(src)
            except ex.ExprError as exc:
                self.expr_diag(exc, doc, path, what)
                return None
            note_names(tree)
            try:
                if effect:
                    ex.typecheck_effect(tree, types, seen_ok=countable.__contains__)
                else:
                    t = ex.typecheck(tree, types, seen_ok=countable.__contains__)
                    if t != ex.BOOL:
                        raise ex.ExprError(
                            f"a condition must be true or false, but `{src}` is {t}",
                            code="expr-type",
                            hint='compare it, e.g. `nerve >= 2` or `fate == "dead"`',
                        )
            except ex.ExprError as exc:
                if exc.code == "unknown-flag" and exc.hint == ex.DECLARE_HINT:
                    exc.hint = declare_hint(exc.name, flag_by_name)
                self.expr_diag(exc, doc, path, what)
                return None
            for bad in _visits_caps(tree.value if effect else tree, visit_caps):
                self.err(
                    "visits-use",
                    f"{what}: `{bad.name}` is used other than compared with a whole number",
                    doc.pos(path),
                    'compare the count with a number, as in `visits("hall") >= 3`: '
                    "that keeps the states `check` explores finite",
                )
                return None
            parsed[path] = tree
            return tree

        def parse_inline(text, path, what):
            """Parse and type-check the inline parts of one text; their trees go in `parsed`."""
            if not isinstance(text, str) or not il.has_inline(text):
                return
            try:
                segs = il.parse(text, path[1])  # ("nodes", node id, ...): sequences follow that node's visits
            except il.InlineError as exc:
                self.err(exc.code, f"{what}: {exc.message}", self.inline_pos(doc, path, text, exc.at), exc.hint)
                return
            ok = True
            for part in il.walk(segs):
                tree = part.cond if isinstance(part, il.Branch) else part.expr if isinstance(part, il.Value) else None
                if tree is None:
                    continue
                note_names(tree)
                try:
                    t = ex.typecheck(tree, types, seen_ok=countable.__contains__)
                    if isinstance(part, il.Branch) and t != ex.BOOL:
                        raise ex.ExprError(
                            f"the condition `{part.src}` must be true or false, but it is {t}", code="expr-type"
                        )
                except ex.ExprError as exc:
                    if exc.code == "unknown-flag":
                        exc.hint = did_you_mean(str(exc.message).split("'")[1], flag_by_name) or exc.hint
                    self.err(exc.code, f"{what}: {exc.message}", self.inline_pos(doc, path, text, part.at), exc.hint)
                    ok = False
                    continue
                if isinstance(part, il.Branch):  # a condition: its counts saturate as in choices (check judges it)
                    _visits_caps(tree, visit_caps)
                for v in _visits_in(tree):
                    visit_caps.setdefault(v.node, 0)
            if ok:
                parsed[("inline",) + path] = segs

        for nid, n in raw_nodes.items():
            base = ("nodes", nid)
            for j, part in enumerate(_text_parts(n.get("text"))):
                if isinstance(part, dict):
                    if part.get("if") is not None:
                        parse(part["if"], base + ("text", j, "if"), f"in a text condition of node '{nid}'")
                    parse_inline(part["text"], base + ("text", j, "text"), f"in the text of node '{nid}'")
                    other = part.get("else")
                    if isinstance(other, dict):  # else: {text, asserts, denies}
                        parse_inline(other["text"], base + ("text", j, "else", "text"), f"in the text of node '{nid}'")
                    else:
                        parse_inline(other, base + ("text", j, "else"), f"in the text of node '{nid}'")
                else:
                    tpath = base + ("text", j) if isinstance(n.get("text"), list) else base + ("text",)
                    parse_inline(part, tpath, f"in the text of node '{nid}'")
            for m, eff in enumerate(_effects(n.get("do"))):
                epath: tuple = base + ("do",) if isinstance(n.get("do"), str) else base + ("do", m)
                parse(eff, epath, f"in an effect of node '{nid}'", effect=True)
            for k, c in enumerate(n.get("choices") or ()):
                cpath = base + ("choices", k)
                if c.get("if") is not None:
                    parse(c["if"], cpath + ("if",), f"in the condition of choice {k + 1} of node '{nid}'")
                for m, eff in enumerate(_effects(c.get("do"))):
                    epath = cpath + ("do",) if isinstance(c.get("do"), str) else cpath + ("do", m)
                    parse(eff, epath, f"in an effect of choice {k + 1} of node '{nid}'", effect=True)
                parse_inline(c.get("say"), cpath + ("say",), f"in what choice {k + 1} of node '{nid}' says")
                parse_inline(c.get("text"), cpath + ("text",), f"in the text of choice {k + 1} of node '{nid}'")
        seen_bits = {n: 1 << i for i, n in enumerate(seen_names)}
        # Visit counts: one hidden int slot per counted node or choice, after the declared flags.
        # A node whose text has a sequence ({&a|b}) is counted too (its cap stays 0 unless compared).
        # (One pass over what was parsed: a pass per node was quadratic, 1.6 s at 10,000 nodes.)
        for key, segs in parsed.items():
            if key[:2] == ("inline", "nodes") and any(isinstance(p, il.Seq) for p in il.walk(segs)):
                visit_caps.setdefault(key[2], 0)
        counters: dict[str, int] = {}
        counter_slot: dict[str, int] = {}
        for target in sorted(visit_caps):
            flag = Flag(
                name=ex.visits_name(target),
                type="int",
                default=0,
                doc=f"times play has {'taken choice' if '.' in target else 'entered node'} {target}",
                scope="visits",
                slot=len(layout),
            )
            layout += (flag,)
            counters[flag.name] = visit_caps[target]
            counter_slot[target] = flag.slot
        slots = {f.name: f.slot for f in layout}

        cx = ChapterContext(
            doc=doc,
            cid=cid,
            parsed=parsed,
            slots=slots,
            seen_bits=seen_bits,
            flags=flag_by_name,
            node_ids=node_ids,
            fact_ref=fact_ref,
            facts=facts,
            covers=covers,
            period=period,
            counter_slot=counter_slot,
        )
        nodes: dict[str, Node] = {}
        for nid, n in raw_nodes.items():
            node = self.compile_node(cx, nid, n)
            nodes[nid] = node

        start = data["start"]
        if start not in nodes:
            self.err(
                "unknown-node",
                f"the chapter starts at '{start}', which is not a node here",
                doc.pos(("start",)),
                did_you_mean(start, nodes),
            )
        if len([d for d in self.diags if d.is_error]) > before:
            return None

        nodes = _with_scene(_with_returns(nodes), start)
        chapter = Chapter(
            id=cid,
            title=data["title"],
            period=period,
            covers=covers,
            flags=tuple(local),
            layout=layout,
            start=start,
            nodes=frozen_map(nodes),
            seen_bits=frozen_map(seen_bits),
            file=doc.file,
            pos=doc.pos(()),
            counters=frozen_map(counters),
        )
        self.check_graph(chapter)
        return chapter

    def choice_keys(self, doc, base, nid) -> Callable[[int, str | None, str, str | None], str]:
        """The key of each choice of node `nid` in turn (see model.Choice): its id, else `@target`
        (`#2`, `#3`... for later siblings going the same way). Two choices of a node with one id
        is an error. (Given as each choice is built: a copy per choice cost a tenth of a compile.)"""
        ids: dict = {}
        same_way: dict = {}

        def key(index: int, cid: str | None, target: str, returns_to: str | None) -> str:
            if cid is not None:
                if cid in ids:
                    self.err(
                        "duplicate-id",
                        f"node '{nid}' has two choices with id '{cid}' (choices {ids[cid] + 1} and {index + 1})",
                        doc.pos(base + ("choices", index, "id")),
                        "give each choice of a node its own id: saves name the steps they took by it",
                    )
                ids[cid] = index
                return cid
            # a call is known by the node it calls and, when it comes back elsewhere, where
            # (`@map>road`): `call: map` and `call: map, goto: road` are different ways on
            way = target + (f">{returns_to}" if returns_to not in (None, nid) else "")
            n = same_way[way] = same_way.get(way, 0) + 1
            return f"@{way}" + (f"#{n}" if n > 1 else "")

        return key

    def compile_node(self, cx: ChapterContext, nid: str, n: dict) -> Node:
        doc, cid, parsed, slots, seen_bits = cx.doc, cx.cid, cx.parsed, cx.slots, cx.seen_bits
        flags, node_ids, fact_ref, facts = cx.flags, cx.node_ids, cx.fact_ref, cx.facts
        covers, period, counter_slot = cx.covers, cx.period, cx.counter_slot
        base = ("nodes", nid)
        count_slot = counter_slot.get(nid)

        def closure(tree):
            return ex.compile_expr(tree, slots, seen_bits)

        def inline(path):
            segs = parsed.get(("inline",) + path)
            return (segs, il.compile(segs, closure)) if segs is not None else (None, None)

        def effect(src, epath, tree):
            flag = flags[tree.target]
            lo, hi = flag.min, flag.max
            if flag.type == "int":  # without bounds, still a 32-bit whole number: `x = x * x` cannot run away
                lo = -INT_LIMIT - 1 if lo is None else lo
                hi = INT_LIMIT if hi is None else hi
            return Effect(
                expr=tree,
                src=src,
                slot=flag.slot,
                fn=ex.compile_effect_value(tree, slots, seen_bits),
                min=lo,
                max=hi,
                pos=doc.pos(epath),
            )

        enter = []
        if count_slot is not None:
            enter.append(_count_effect(nid, count_slot))
        for m, src in enumerate(_effects(n.get("do"))):
            epath: tuple = base + ("do",) if isinstance(n.get("do"), str) else base + ("do", m)
            if parsed.get(epath) is not None:
                enter.append(effect(src, epath, parsed[epath]))
        pos = doc.key_pos(base)
        date = None
        if n.get("date") is not None:
            try:
                date = parse_date(n["date"], allow_span=False)
            except DateError as exc:
                self.err("bad-date", f"node '{nid}': {exc}", doc.pos(base + ("date",)))
            if date and period and not date.overlaps(DateSpan(period[0].first, period[1].last, "")):
                self.err(
                    "date-outside-period",
                    f"node '{nid}' is dated {date}, outside the chapter's period {period[0]} to {period[1]}",
                    doc.pos(base + ("date",)),
                    "fix the date, or widen `period`",
                )

        parts = []
        for j, part in enumerate(_text_parts(n.get("text"))):
            if isinstance(part, str):
                tpath = base + ("text", j) if isinstance(n.get("text"), list) else base + ("text",)
                segs, fn = inline(tpath)
                parts.append(TextPart(text=part, inline=segs, render=fn, text_pos=doc.pos(tpath)))
                continue
            tree = parsed.get(base + ("text", j, "if"))
            test = ex.compile_expr(tree, slots, seen_bits) if tree else None
            what = f"text part {j + 1} of node '{nid}'"
            parts.append(self.text_part(doc, base + ("text", j), part, tree, test, fact_ref, what, inline))

        choices = []
        canon_seen = None
        key_of = self.choice_keys(doc, base, nid)
        for k, c in enumerate(n.get("choices") or ()):
            cpath = base + ("choices", k)
            for way, verb in (("goto", "goes to"), ("call", "calls")):
                if c.get(way) is not None and c[way] not in node_ids:
                    self.err(
                        "unknown-node",
                        f"choice {k + 1} of node '{nid}' {verb} '{c[way]}', which is not a node here",
                        doc.pos(cpath + (way,)),
                        did_you_mean(c[way], node_ids),
                    )
            # A call enters the called node and comes back to `goto` (else here) when it returns.
            target = c["call"] if c.get("call") is not None else c["goto"]
            returns_to = (c.get("goto") or nid) if c.get("call") is not None else None
            cond = parsed.get(cpath + ("if",))
            c_asserts, c_denies = self.assertions(doc, cpath, c, fact_ref, f"choice {k + 1} of node '{nid}'")
            effects = []
            for m, src in enumerate(_effects(c.get("do"))):
                epath = cpath + ("do",) if isinstance(c.get("do"), str) else cpath + ("do", m)
                tree = parsed.get(epath)
                if tree is None:
                    continue
                effects.append(effect(src, epath, tree))
            say = None
            if c.get("say") is not None:
                segs, fn = inline(cpath + ("say",))
                say = TextPart(text=c["say"], inline=segs, render=fn, pos=doc.pos(cpath + ("say",)))
            label = None
            segs, fn = inline(cpath + ("text",))
            if segs is not None:
                label = TextPart(text=c["text"], inline=segs, render=fn, pos=doc.pos(cpath + ("text",)))
            key = f"{nid}.{c['id']}" if c.get("id") is not None else None
            count = _count_effect(key, counter_slot[key]) if key in counter_slot else None
            if c.get("canon"):
                if canon_seen is not None:
                    self.err(
                        "canon-ambiguous",
                        f"node '{nid}' marks both choice {canon_seen + 1} and choice {k + 1} as canon",
                        doc.pos(cpath + ("canon",)),
                        "history took one road: mark one choice `canon: true`",
                    )
                canon_seen = k
            choices.append(
                Choice(
                    index=k,
                    text=c["text"],
                    target=target,
                    returns_to=returns_to,
                    label=label,
                    condition=cond,
                    condition_src=c.get("if"),
                    test=ex.compile_expr(cond, slots, seen_bits) if cond else None,
                    effects=tuple(effects),
                    canon=bool(c.get("canon")),
                    pos=doc.pos(cpath),
                    asserts=c_asserts,
                    denies=c_denies,
                    id=c.get("id"),
                    say=say,
                    count=count,
                    allow=tuple(c.get("allow") or ()),
                    key=key_of(k, c.get("id"), target, returns_to),
                    text_pos=doc.pos(cpath + ("text",)),
                )
            )

        ending = None
        if n.get("ending") is not None:
            e = n["ending"]
            epath = base + ("ending",)
            diverges = tuple(e.get("diverges") or ())
            for i, fid in enumerate(diverges):
                if fact_ref(fid, epath + ("diverges", i), f"ending '{nid}' diverges from") and fid not in covers:
                    self.err(
                        "diverges-not-covered",
                        f"ending '{nid}' diverges from '{fid}', which this chapter does not cover",
                        doc.pos(epath + ("diverges", i)),
                        f"add '{fid}' to the chapter's `covers`, or drop it here",
                    )
                elif (
                    e.get("kind") == "divergent" and facts is not None and fid in facts and facts[fid].holds_src is None
                ):
                    self.err(
                        "diverges-unbreakable",
                        f"ending '{nid}' diverges from '{fid}', but that fact has no `holds`, "
                        "so no branch can break it",
                        doc.pos(epath + ("diverges", i)),
                        f"give '{fid}' a `holds` over the story-wide flag this branch sets, or drop it here",
                    )
            kind = e.get("kind")
            documented = _documented(facts)
            if documented and kind not in ENDING_KINDS:
                self.err(
                    "ending-kind",
                    f"ending '{nid}' needs a kind: canon, personal or divergent"
                    if kind is None
                    else f"ending '{nid}' is `{kind}`, a kind for stories without history",
                    doc.pos(epath + (("kind",) if kind else ())),
                    "a story with documented history says how each ending stands to it: canon, personal or divergent",
                )
            if not documented and kind in ENDING_KINDS:
                self.err(
                    "ending-kind",
                    f"ending '{nid}' is `{kind}`, but this story has no documented history",
                    doc.pos(epath + ("kind",)),
                    "use good, bad or neutral, or leave the kind out",
                )
            if kind in ("canon", "personal") and diverges:
                self.err(
                    "ending-kind",
                    f"a {e['kind']} ending keeps history, so it cannot list `diverges`",
                    doc.pos(epath + ("kind",)),
                    "make it `kind: divergent`, or remove `diverges`",
                )
            if kind == "divergent" and not diverges:
                self.err(
                    "ending-kind",
                    f"divergent ending '{nid}' does not say which facts it changes",
                    doc.pos(epath + ("kind",)),
                    "list the covered facts this branch breaks under `diverges:`",
                )
            # an ending ends the chapter: nothing may go on from it
            for key, code, what in (
                ("choices", "ending-with-choices", "offers choices"),
                ("return", "return-misplaced", "has `return: true`"),
                ("next", "next-with-choices", "goes on with `next:`"),
            ):
                if n.get(key):
                    self.err(
                        code,
                        f"node '{nid}' is an ending but also {what}",
                        doc.key_pos(base + (key,)),
                        f"an ending ends the chapter: remove `{key}` or `ending`",
                    )
            hint = e.get("hint")
            if hint is not None and ("\n" in hint.strip() or len(hint) > MAX_HINT):
                self.err(
                    "ending-hint",
                    f"the hint for ending '{nid}' must be one line of at most {MAX_HINT} characters, "
                    f"since it is shown in the list of endings",
                    doc.pos(epath + ("hint",)),
                    "shorten it to a single line that nudges without giving the ending away",
                )
            ending = Ending(
                kind=kind,
                title=e["title"],
                diverges=diverges,
                pos=doc.pos(epath),
                hint=hint.strip() if hint else None,
                title_pos=doc.pos(epath + ("title",)),
            )
        elif n.get("return"):
            for other, what in (("choices", "choices"), ("next", "`next:`")):
                if n.get(other):
                    self.err(
                        "return-misplaced",
                        f"node '{nid}' has both `return: true` and {what}",
                        doc.key_pos(base + (other,)),
                        "a returning node goes back to its caller without a click, so it offers no choices "
                        "and has no `next:`: remove one of them",
                    )
        elif n.get("next") is not None:
            if n.get("choices"):
                self.err(
                    "next-with-choices",
                    f"node '{nid}' has both choices and `next:`",
                    doc.key_pos(base + ("next",)),
                    "`next:` continues without a click, so the node offers no choices: remove one of them",
                )
            if n["next"] not in node_ids:
                self.err(
                    "unknown-node",
                    f"node '{nid}' goes on to '{n['next']}', which is not a node here",
                    doc.pos(base + ("next",)),
                    did_you_mean(n["next"], node_ids),
                )
        elif not n.get("choices"):
            self.err(
                "no-choices",
                f"node '{nid}' has no choices and is not an ending, so play would stop here",
                pos,
                "add `choices:`, or make it an ending with `ending: {kind: personal, title: ...}`",
            )

        records = tuple(n.get("records") or ())
        for i, fid in enumerate(records):
            if fact_ref(fid, base + ("records", i), f"node '{nid}' records") and facts is not None:
                fact = facts[fid]
                if date and not fact.date.overlaps(date):
                    self.err(
                        "record-date",
                        f"node '{nid}' (dated {date}) records '{fid}', which is dated {fact.date}",
                        doc.pos(base + ("records", i)),
                        "a fact is recorded where it happens: fix the node's date or move the record",
                    )
                if period and not fact.date.overlaps(DateSpan(period[0].first, period[1].last, "")):
                    self.err(
                        "record-outside-period",
                        f"node '{nid}' records '{fid}' ({fact.date}), outside the chapter's period",
                        doc.pos(base + ("records", i)),
                        "record it in the chapter whose period holds it, or widen `period`",
                    )
        refs = tuple(n.get("refs") or ())
        for i, fid in enumerate(refs):
            fact_ref(fid, base + ("refs", i), f"node '{nid}' refers to")
        return Node(
            id=nid,
            chapter=cid,
            text=tuple(parts),
            choices=tuple(choices),
            ending=ending,
            date=date,
            place=n.get("place"),
            records=records,
            refs=refs,
            pos=pos,
            enter=tuple(enter),
            next=n.get("next"),
            allow=tuple(n.get("allow") or ()),
            returns=bool(n.get("return")) and ending is None and not n.get("choices") and n.get("next") is None,
        )

    def assertions(self, doc: Document, path: tuple, part: dict, fact_ref, what: str) -> tuple[tuple, tuple]:
        """The `asserts` and `denies` of a text part, an `else` or a choice: names resolved, and
        no fact both asserted and denied by the same words."""
        out = []
        for key, verb in (("asserts", "asserts"), ("denies", "denies")):
            ids = tuple(part.get(key) or ())
            for i, fid in enumerate(ids):
                fact_ref(fid, path + (key, i), f"{what} {verb}")
            out.append(ids)
        asserts, denies = out
        for i, fid in enumerate(denies):
            if fid in asserts:
                self.err(
                    "asserts-conflict",
                    f"{what} both asserts and denies '{fid}'",
                    doc.pos(path + ("denies", i)),
                    "words are shown either where the fact holds or where it is broken: keep one, and put "
                    "the other wording in a conditional part (`if:` ... `else:`)",
                )
        return asserts, denies

    def compile_epilogue(self, doc: Document, story_flags: list[Flag], facts: dict | None) -> tuple:
        """The epilogue as text parts, their conditions over the story-wide flags as the story ended."""
        raw = doc.data.get("epilogue")
        if raw is None:
            return ()
        types = {f.name: f.flag_type for f in story_flags}
        slots = {f.name: f.slot for f in story_flags}

        def fact_ref(fid, path, why):
            if facts is not None and fid not in facts:
                self.err(
                    "unknown-fact",
                    f"{why} '{fid}', which is not a fact in story/history.yaml "
                    "(neither under `facts` nor under `story_facts`)",
                    doc.pos(path),
                    did_you_mean(fid, facts),
                )
                return False
            return True

        parts = []
        for j, part in enumerate(_text_parts(raw)):
            ppath = ("epilogue",) if isinstance(raw, str) else ("epilogue", j)
            if isinstance(part, str):
                parts.append(TextPart(text=part, pos=doc.pos(ppath), text_pos=doc.pos(ppath)))
                continue
            tree = test = None
            if part.get("if") is not None:
                try:
                    tree = ex.parse_condition(part["if"])
                    t = ex.typecheck(tree, types, seen_ok=lambda n: False)
                    if t != ex.BOOL:
                        raise ex.ExprError(
                            f"a condition must be true or false, but `{part['if']}` is {t}", code="expr-type"
                        )
                    test = ex.compile_expr(tree, slots, {})
                except ex.ExprError as exc:
                    if exc.code == "unknown-flag":
                        exc.hint = "the epilogue reads only story-wide flags (story/story.yaml `flags:`); " + (
                            (did_you_mean(exc.name, slots) if exc.name else None) or ""
                        )
                    elif exc.code == "unknown-node":
                        exc.hint = "the epilogue belongs to no chapter, so it cannot ask seen(): set a story-wide flag"
                    self.expr_diag(exc, doc, ppath + ("if",), f"in a condition of the epilogue (part {j + 1})")
                    tree = test = None
            parts.append(self.text_part(doc, ppath, part, tree, test, fact_ref, f"epilogue part {j + 1}"))
        return tuple(parts)

    def text_part(
        self,
        doc: Document,
        ppath: tuple,
        part: dict,
        tree: ex.Expr | None,
        test: Callable | None,
        fact_ref: Callable,
        what: str,
        inline: Callable[[tuple], tuple] = lambda path: (None, None),
    ) -> TextPart:
        """A conditional text part (`if:`, `text:`, `else:`, each text with the facts it asserts or
        denies), of a node or of the epilogue. `tree`/`test`: its condition, parsed and compiled
        by the caller (over a chapter's flags, or the story-wide ones). `inline(path)`: the inline
        segments and renderer of the text at `path` ((None, None) where text has none)."""
        asserts, denies = self.assertions(doc, ppath, part, fact_ref, what)
        other = part.get("else")
        else_asserts = else_denies = ()
        segs, fn = inline(ppath + ("text",))
        esegs, efn = inline(ppath + ("else",))
        if isinstance(other, dict):
            else_asserts, else_denies = self.assertions(
                doc, ppath + ("else",), other, fact_ref, f"the `else` of {what}"
            )
            other = other["text"]
            esegs, efn = inline(ppath + ("else", "text"))
        return TextPart(
            text=part["text"],
            condition=tree,
            condition_src=part.get("if"),
            test=test,
            else_text=other,
            pos=doc.pos(ppath),
            asserts=asserts,
            denies=denies,
            else_asserts=else_asserts,
            else_denies=else_denies,
            else_pos=doc.pos(ppath + ("else",)) if other is not None else None,
            text_pos=doc.pos(ppath + ("text",)),
            else_text_pos=doc.pos(ppath + (("else", "text") if isinstance(part.get("else"), dict) else ("else",)))
            if other is not None
            else None,
            allow=tuple(part.get("allow") or ()),
            inline=segs,
            render=fn,
            else_inline=esegs,
            else_render=efn,
        )

    def check_flag_use(
        self, story_flags: list[Flag], chapters: list[Chapter], facts: dict, epilogue_parts: tuple = ()
    ) -> None:
        """A flag nothing reads changes nothing a player can notice: say so."""
        read: set[tuple[str | None, str]] = set()  # (chapter id or None for story-wide, flag name)
        local_names = {ch.id: {f.name for f in ch.flags} for ch in chapters}

        def note(ch_id, exprs):
            for e in exprs:
                for name in ex.names_in(e):
                    read.add((ch_id if ch_id and name in local_names[ch_id] else None, name))

        for fact in facts.values():
            if fact.holds is not None:
                note(None, [fact.holds])
        note(None, [p.condition for p in epilogue_parts if p.condition is not None])
        for ch in chapters:
            for node in ch.nodes.values():
                note(ch.id, [p.condition for p in node.text if p.condition is not None])
                note(ch.id, [e.expr for e in node.enter])
                note(ch.id, [t for p in node.text for t in il.text_exprs(p)])
                for c in node.choices:
                    for said in (c.say, c.label):
                        if said is not None:
                            note(ch.id, il.text_exprs(said))
                    note(ch.id, ([c.condition] if c.condition is not None else []) + [e.expr for e in c.effects])
        for f in story_flags:
            if (None, f.name) not in read:
                self.warn(
                    "flag-unread",
                    f"story-wide flag '{f.name}' is never read: no condition, text or `holds` "
                    "looks at it, so setting it changes nothing a player can notice",
                    f.pos,
                    "read it in a later chapter (a condition or conditional text), or remove it",
                )
        for ch in chapters:
            for f in ch.flags:
                if (ch.id, f.name) not in read:
                    self.warn(
                        "flag-unread",
                        f"flag '{f.name}' of chapter '{ch.id}' is never read, so setting it "
                        "changes nothing a player can notice",
                        f.pos,
                        "read it in a condition or conditional text, or remove it",
                    )

    def check_graph(self, ch: Chapter) -> None:
        """Static graph checks: nodes no path reaches, and nodes no ending can be reached from."""
        reach = {ch.start}
        queue = deque([ch.start])
        while queue:
            for t in successors(ch.nodes[queue.popleft()]):
                if t not in reach:
                    reach.add(t)
                    queue.append(t)
        for nid, node in ch.nodes.items():
            if node.returns and not node.return_to:
                self.err(
                    "return-unreached",
                    f"node '{nid}' returns, but no `call:` leads to it, so there is nothing to return to",
                    node.pos,
                    f"call it from a choice with `call: {nid}` (or a node that leads to it), "
                    "or give it choices instead of `return: true`",
                )
            if nid not in reach:
                self.err(
                    "unreachable-node",
                    f"no choice leads to node '{nid}'",
                    node.pos,
                    f"add a choice with `goto: {nid}` somewhere, or delete the node",
                )
        preds: dict[str, list[str]] = {n: [] for n in ch.nodes}
        for nid, node in ch.nodes.items():
            for t in successors(node):
                preds[t].append(nid)
        # A ring of `next:` nodes would play forever without a click.
        for nid, node in ch.nodes.items():
            walked = [nid]
            while (after := ch.nodes[walked[-1]].next) is not None and len(walked) <= len(ch.nodes):
                walked.append(after)
                if walked[-1] == nid:
                    if nid == min(walked[:-1]):
                        self.err(
                            "next-loop",
                            f"nodes {' -> '.join(walked)} go on to each other with `next:` for ever",
                            node.pos,
                            "give one of them choices, so the player can leave the ring",
                        )
                    break
        alive = {n for n, node in ch.nodes.items() if node.is_ending}
        if not alive:
            self.err(
                "no-ending",
                f"chapter '{ch.id}' has no ending",
                ch.pos,
                "give some node `ending: {kind: canon, title: ...}`",
            )
            return
        queue = deque(alive)
        while queue:
            for p in preds[queue.popleft()]:
                if p not in alive:
                    alive.add(p)
                    queue.append(p)
        unanswered = {n for n, node in ch.nodes.items() if node.returns and not node.return_to}  # said above
        for nid in sorted(reach - alive - unanswered, key=lambda n: _line(ch.nodes[n].pos)):
            self.err(
                "no-way-on",
                f"from node '{nid}' no path leads to any ending",
                ch.nodes[nid].pos,
                "give one of the nodes in this loop a choice that leads out",
            )


# Words an expression reads as something other than a flag: Python keywords (the
# parser takes them as syntax), the literals and the one function.
_RESERVED = frozenset(keyword.kwlist) | {"true", "false", "seen", "visits"}


def declare_hint(name: str | None, known) -> str:
    """The hint for an undeclared flag: declare it, and only then, for a near miss, the close name."""
    import difflib

    close = difflib.get_close_matches(name or "", list(known), n=1, cutoff=0.8)
    return ex.DECLARE_HINT + (f"; or, if you meant the flag '{close[0]}', fix the spelling" if close else "")


def _text_parts(text) -> list:
    if text is None:
        return []
    if isinstance(text, str):
        return [text]
    return list(text)


def _documented(facts: dict | None) -> bool:
    """Does the story have documented history (facts from a source, not only the fiction's own)?"""
    return any(not f.story for f in (facts or {}).values())


def _count_effect(target: str, slot: int) -> Effect:
    """`visits("target") += 1`, applied on entering the node (or taking the choice)."""
    name = ex.visits_name(target)
    return Effect(
        expr=ex.Effect(name, "+=", ex.Lit(1)),
        src=f"{name} += 1",
        slot=slot,
        fn=lambda vals, seen: vals[slot] + 1,
        min=0,
        max=INT_LIMIT,
    )


def _visits_in(tree) -> list:
    return [x for x in ex._nodes(tree) if isinstance(x, ex.Visits)]


def _visits_caps(tree, caps: dict) -> list:
    """Note, per visits() target, one more than the largest number it is compared with; return
    the visits() that are used any other way (then saturating the count would not be exact)."""
    fine = set()
    for x in ex._nodes(tree):
        if isinstance(x, ex.Compare):
            for a, b in ((x.left, x.right), (x.right, x.left)):
                if isinstance(a, ex.Visits) and isinstance(b, ex.Lit) and type(b.value) is int:
                    caps[a.node] = max(caps.get(a.node, 0), b.value + 1, 0)
                    fine.add(id(a))
    return [v for v in _visits_in(tree) if id(v) not in fine]


def _effects(do) -> list[str]:
    if do is None:
        return []
    if isinstance(do, str):
        return [do]
    return list(do)


def _with_scene(nodes: dict[str, Node], start: str) -> dict[str, Node]:
    """Work out each node's shown date and place: its own, else what every way in agrees on."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    order = []
    seen = {start}
    queue = deque([start])
    while queue:
        nid = queue.popleft()
        order.append(nid)
        for target in successors(nodes[nid]):
            if target in preds:
                preds[target].append(nid)
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    shown: dict[str, tuple] = {}
    for nid in order:
        node = nodes[nid]
        known = [shown[p] for p in preds[nid] if p in shown]
        date = node.date or _agreed([k[0] for k in known])
        place = node.place or _agreed([k[1] for k in known])
        shown[nid] = (date, place)
    return {
        nid: replace(
            n,
            shown_date=shown.get(nid, (n.date, None))[0] or n.date,
            shown_place=shown.get(nid, (None, n.place))[1] or n.place,
        )
        for nid, n in nodes.items()
    }


def _with_returns(nodes: dict[str, Node]) -> dict[str, Node]:
    """Give each returning node its `return_to`: where the calls that can reach it return to."""
    places = calls.return_places(nodes)
    return {nid: replace(n, return_to=places[nid]) if nid in places else n for nid, n in nodes.items()}


def _agreed(values: list):
    vals = set(values)
    return vals.pop() if len(vals) == 1 else None


def _line(pos: Pos | None) -> int:
    return pos.line if pos is not None else 0

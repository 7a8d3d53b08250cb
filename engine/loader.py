"""A story folder's files, read and checked as files, before anything is compiled.

`load(root)` reads the manifest (story/story.yaml), the history (story/history.yaml, optional)
and its `source:` text, and every chapter the manifest lists, each file once: YAML with a
position for every value, checked against its schema (or taken from the document cache when
these exact bytes passed before). What it checks is what can be seen of the files alone: a
missing manifest or chapter, a chapter listed twice, a chapter whose id is not its file name,
a chapter file nobody lists, a history source outside the story folder or unreadable. It also
hashes every byte it read (the story's `content_hash`) and keeps each file's text, so a
position inside a string can be found later.

A file that fails to load or fails its schema is left out (its diagnostics say why), so the
compiler sees only documents of the right shape.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import cache, choiceline, files
from .diagnostics import ChronicleError, Diagnostic, Pos, report
from .locate import CHAPTER_DIR, HISTORY_FILE, STORY_FILE, chapter_file, display_path
from .yamlload import MAX_BYTES, Document, load_file, read_problem


@dataclass
class Loaded:
    """What a story folder holds, as far as its files go."""

    root: Path
    manifest: Document | None = None  # None when it is missing or did not load
    history: Document | None = None  # None when there is none, or it did not load
    has_history: bool = False  # is there a story/history.yaml at all?
    paragraphs: list[str] | None = None  # the history source's non-blank lines, when it has one that reads
    chapter_ids: list[str] = field(default_factory=list)  # as the manifest lists them (repeats included)
    chapters: list[Document] = field(default_factory=list)  # those that loaded, with the right id, in play order
    texts: dict[str, str] = field(default_factory=dict)  # file as shown -> its text, for positions inside strings
    diags: list[Diagnostic] = field(default_factory=list)
    content_hash: str = ""  # of every byte read, in reading order

    @property
    def chapter_files(self) -> set[str]:
        """The listed chapters' files, as diagnostics name them."""
        return {display_path(chapter_file(self.root, cid)) for cid in self.chapter_ids}


def load(root: str | os.PathLike) -> Loaded:
    """Read the story folder `root` (see the module docstring)."""
    return _Reader(Path(root)).run()


class _Reader:
    def __init__(self, root: Path):
        self.root = root
        self.out = Loaded(root)
        self.hasher = hashlib.sha256()

    def run(self) -> Loaded:
        out = self.out
        try:
            self.read_all()
        except files.FileError as exc:  # a folder of the story that cannot be read: that, and nothing else
            out.diags = [d for d in out.diags if not d.is_error]
            out.diags.append(report("file-missing", str(exc), Pos(exc.path)))
            out.manifest = None
        finally:
            out.content_hash = self.hasher.hexdigest()[:16]
        return out

    def read_all(self) -> None:
        out, root = self.out, self.root
        if not files.exists(root / STORY_FILE, shown=display_path(root / STORY_FILE)):
            out.diags.append(
                report(
                    "file-missing",
                    f"no story manifest at {display_path(root / STORY_FILE)}",
                    Pos(display_path(root / STORY_FILE)),
                    "point --story at a folder holding story/story.yaml, or create one with `chronicle new story`",
                )
            )
            return
        out.manifest = self.document(root / STORY_FILE, "story")
        if out.manifest is None:
            return
        # History is optional: fiction without a documented past has no history.yaml (or no facts),
        # and then needs no period, covers or canon marks.
        out.has_history = files.exists(root / HISTORY_FILE, shown=display_path(root / HISTORY_FILE))
        if out.has_history:
            out.history = self.document(root / HISTORY_FILE, "history")
            if out.history is not None and out.history.data.get("source"):
                out.paragraphs = self.source(out.history)
        out.chapter_ids = list(out.manifest.data["chapters"])
        listed: set[str] = set()
        for i, cid in enumerate(out.chapter_ids):
            doc = self.chapter(i, cid, listed)
            if doc is not None:
                out.chapters.append(doc)
        if files.exists(root / CHAPTER_DIR):
            entries = files.list_folder(root / CHAPTER_DIR, shown=display_path(root / CHAPTER_DIR))
            for extra in (root / CHAPTER_DIR / e.name for e in entries if e.name.endswith(".yaml")):
                if extra.stem not in listed:
                    out.diags.append(
                        report(
                            "chapter-not-listed",
                            f"{extra.name} is not in story/story.yaml's chapter list, so nobody can play it",
                            Pos(display_path(extra)),
                            f"add '{extra.stem}' to `chapters:` in story/story.yaml",
                        )
                    )

    def chapter(self, i: int, cid: str, listed: set[str]) -> Document | None:
        """The `i`th chapter the manifest lists, when it is there, loads, and has its file's id."""
        manifest = self.out.manifest
        assert manifest is not None
        if cid in listed:
            self.out.diags.append(
                report("duplicate-id", f"chapter '{cid}' is listed twice", manifest.pos(("chapters", i)))
            )
            return None
        listed.add(cid)
        path = chapter_file(self.root, cid)
        if not files.exists(path, shown=display_path(path)):
            self.out.diags.append(
                report(
                    "file-missing",
                    f"chapter '{cid}' is listed in the manifest but {display_path(path)} does not exist",
                    manifest.pos(("chapters", i)),
                    f"create it with `chronicle new chapter {cid}`, or remove it from the list",
                )
            )
            return None
        doc = self.document(path, "chapter")
        if doc is None:
            return None
        if doc.data["id"] != cid:
            self.out.diags.append(
                report(
                    "chapter-id-mismatch",
                    f"this file is {path.name} but its id is '{doc.data['id']}'",
                    doc.pos(("id",)),
                    f"write `id: {cid}`, or rename the file",
                )
            )
            return None
        return doc

    def source(self, history: Document) -> list[str] | None:
        """The paragraphs (non-blank lines) of the history's `source:` text, or None when it cannot be used."""
        name = history.data["source"]
        src_path = self.root / "story" / name
        if not files.is_inside(src_path, self.root):
            # a source elsewhere would let a story ask yes-or-no questions about any file on the machine
            self.out.diags.append(
                report(
                    "source-outside",
                    f"the history's `source:` ({name}) lies outside the story folder",
                    history.pos(("source",)),
                    "copy the source text into the story folder and name it from story/",
                )
            )
            return None
        try:
            text = files.read_text(src_path, inside=self.root)
        except files.FileError:
            self.out.diags.append(
                report(
                    "file-missing",
                    f"the history's source {display_path(src_path)} cannot be read",
                    history.pos(("source",)),
                    "copy the source text there, or fix `source:`",
                )
            )
            return None
        self.hasher.update(text.encode())
        return [p for p in text.split("\n") if p.strip()]

    def document(self, path: Path, kind: str) -> Document | None:
        """One file as a schema-checked document, or None (its diagnostics recorded)."""
        shown = display_path(path)
        try:
            # read once, at most the size limit, never a FIFO or a device, and never through a link
            # that leads out of the story folder (that file is not read, so nothing of it is quoted)
            raw = files.read_bytes(path, limit=MAX_BYTES, inside=self.root, shown=shown)
        except files.Outside:
            self.out.diags.append(
                report(
                    "file-outside",
                    f"{shown} is a link to a file outside the story folder, so it is not read",
                    Pos(shown),
                    "copy the file into the story folder instead of linking to it",
                )
            )
            return None
        except files.FileError as exc:
            self.out.diags.append(read_problem(exc, shown))
            return None
        self.hasher.update(str(path.relative_to(self.root) if path.is_relative_to(self.root) else path).encode())
        self.hasher.update(b"\0" + raw + b"\0")
        self.out.texts[shown] = raw.decode("utf-8", "replace")
        doc = cache.load_document(self.root, path, raw, kind, shown)
        if doc is not None:
            return doc  # these exact bytes loaded and passed the schema before
        try:
            doc = load_file(path, shown, raw)
        except ChronicleError as exc:
            self.out.diags.extend(exc.diagnostics)
            return None
        from .schema import validate  # jsonschema costs ~45 ms to import; a cached story never needs it

        problems = validate(doc, kind)
        if not problems and kind == "chapter":  # one-line choices become the long form, positions kept
            problems = choiceline.expand(doc, self.out.texts[shown])
        if problems:
            self.out.diags.extend(problems)
            return None
        cache.store_document(self.root, path, raw, kind, doc)
        return doc

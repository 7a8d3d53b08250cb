"""The story folder as the editor sees it: open buffers laid over the files on disk.

The library compiles story folders, not buffers. So a `Workspace` keeps a private copy of the
story's files (a temporary folder, the "shadow"), writes into it what the editor holds (an
open buffer's unsaved text, else the file on disk), and compiles that copy with
`engine.compile_story` (and checks it with `checkrun.check_folder`, in a child process). The
diagnostics' paths and messages are then turned back into the story's own. The story's files
are only ever read; the shadow, and the document cache inside it, are the server's own.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import files
from .index import FileIndex, index_text

STORY_FILE = Path("story") / "story.yaml"
HISTORY_FILE = Path("story") / "history.yaml"
CHAPTER_DIR = Path("chapters")
MAX_FILE = 32 * 1024 * 1024  # the loader's own limit: a larger file is reported by the compiler, never read whole
MAX_LIVE = 2 * 1024 * 1024  # a buffer larger than this is compiled on save, not on every keystroke


def find_root(path: Path) -> Path | None:
    """The story folder holding `path` (a chapter, the manifest or the history), or None."""
    path = Path(path)
    for folder in (path.parent.parent,):
        if (folder / STORY_FILE).is_file() and kind_of(folder, path) is not None:
            return folder
    return None


def kind_of(root: Path, path: Path) -> str | None:
    """chapter | story | history for a story file of `root`, None for anything else."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        return None
    if rel == STORY_FILE:
        return "story"
    if rel == HISTORY_FILE:
        return "history"
    if rel.parent == CHAPTER_DIR and rel.suffix == ".yaml":
        return "chapter"
    return None


def read_file(path: Path) -> str | None:
    """A story file's text, or None when it is missing, not a regular file, or too large (read
    through the one door, engine/files.py: a FIFO is never waited on)."""
    try:
        raw = files.read_bytes(path, limit=MAX_FILE)
    except OSError:
        return None
    return raw.decode("utf-8", "replace")


def _entries(folder: Path) -> list:
    try:
        return files.list_folder(folder)
    except OSError:
        return []


def digest(text: str | None) -> str:
    return hashlib.sha1(b"\0" if text is None else text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Compiled:
    """One compile of the workspace: the story (None when it did not compile) and every
    diagnostic as plain JSON (Diagnostic.to_json), paths the story's own."""

    story: object | None
    diagnostics: list[dict]
    hashes: dict[Path, str] = field(default_factory=dict)  # file -> digest of the text compiled


class Workspace:
    def __init__(self, root: Path):
        self.root = Path(os.path.abspath(root))
        self.overlay: dict[Path, str] = {}  # open buffers: path -> text
        self._shadow: Path | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._sources_sig: tuple | None = None
        self._written: dict[Path, str] = {}  # relative path -> digest written into the shadow
        self._indexes: dict[Path, tuple[str, FileIndex]] = {}  # path -> (digest, index of that text)
        self._good: dict[Path, FileIndex] = {}  # path -> the last index whose YAML parsed
        self.last: Compiled | None = None
        self.last_story: object | None = None  # the last story that compiled whole

    # ---- files ------------------------------------------------------------------
    def files(self) -> list[Path]:
        """Every story file: the manifest, the history, the chapters (on disk or only open)."""
        out = [self.root / STORY_FILE]
        if (self.root / HISTORY_FILE).exists() or self.root / HISTORY_FILE in self.overlay:
            out.append(self.root / HISTORY_FILE)
        chapters = {
            self.root / CHAPTER_DIR / e.name
            for e in _entries(self.root / CHAPTER_DIR)
            if e.name.endswith(".yaml") and e.is_file()
        }
        chapters |= {p for p in self.overlay if kind_of(self.root, p) == "chapter"}
        return out + sorted(chapters)

    def text(self, path: Path) -> str | None:
        path = Path(os.path.abspath(path))
        if path in self.overlay:
            return self.overlay[path]
        return read_file(path)

    def chapter_file(self, chapter_id: str) -> Path:
        return self.root / CHAPTER_DIR / f"{chapter_id}.yaml"

    # ---- the shadow copy ---------------------------------------------------------
    @property
    def shadow(self) -> Path:
        if self._shadow is None or not self._shadow.is_dir():
            self._tmp = tempfile.TemporaryDirectory(prefix="chronicle-lsp-")
            self._shadow = Path(self._tmp.name)
            self._written = {}
            self._sources_sig = None
        return self._shadow

    def sync(self, texts: dict[Path, str | None] | None = None) -> dict[Path, str]:
        """Write what the editor holds into the shadow; returns each file's digest."""
        shadow = self.shadow
        texts = texts if texts is not None else {p: self.text(p) for p in self.files()}
        hashes: dict[Path, str] = {}
        wanted = set()
        for path, text in texts.items():
            rel = path.relative_to(self.root)
            h = digest(text)
            hashes[path] = h
            if text is None:
                continue
            wanted.add(rel)
            if self._written.get(rel) != h:
                target = shadow / rel
                files.write(target, text.encode("utf-8", "surrogatepass"), parents=True, durable=False)
                self._written[rel] = h
        for rel in list(self._written):
            if rel not in wanted:
                files.remove(shadow / rel)
                del self._written[rel]
        self._copy_sources(shadow)
        return hashes

    def _copy_sources(self, shadow: Path) -> None:
        """The rest of story/ (the history's sources, whose quotes are checked), copied when it
        changes. A file that leads out of the story is not copied (the compiler then says it is
        missing, where on the story itself it says it lies outside)."""
        managed = {self.root / STORY_FILE, self.root / HISTORY_FILE}
        found: list[tuple[Path, int, int]] = []
        stack = [self.root / "story"]
        while stack and len(found) < 1000:
            folder = stack.pop()
            for e in _entries(folder):
                p = folder / e.name
                if e.is_dir(follow_symlinks=False):
                    stack.append(p)
                elif p not in managed:
                    try:
                        st = e.stat()
                    except OSError:
                        continue
                    found.append((p, st.st_mtime_ns, st.st_size))
        sig = tuple(sorted((str(p), m, n) for p, m, n in found))
        if sig == self._sources_sig:
            return
        for p, _m, _n in found:
            try:
                data = files.read_bytes(p, limit=MAX_FILE, inside=self.root)
                files.write(shadow / p.relative_to(self.root), data, parents=True, durable=False)
            except OSError:
                continue
        self._sources_sig = sig

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self._shadow = None

    # ---- compiling ----------------------------------------------------------------
    def compile(self, texts: dict[Path, str | None] | None = None) -> Compiled:
        """Compile what the editor holds, with the library's compiler."""
        from engine import compile_story  # the public API: the compiler `chronicle check` runs

        hashes = self.sync(texts)
        story, diags = compile_story(self.shadow)
        out = Compiled(story, [self.real_json(d.to_json()) for d in diags], hashes)
        self.last = out
        if story is not None:
            self.last_story = story
        return out

    def real_json(self, d: dict) -> dict:
        """A diagnostic of the shadow made the story's own: its file and any path in its words."""
        d = dict(d)
        if d.get("file"):
            d["file"] = str(self.real_path(d["file"]))
        for k in ("message", "hint", "replay"):
            if isinstance(d.get(k), str):
                d[k] = self.real_words(d[k])
        return d

    def real_path(self, file: str) -> Path:
        p = Path(file)
        if not p.is_absolute():
            p = Path.cwd() / p
        p = Path(os.path.abspath(p))
        for base in {self.shadow, Path(os.path.realpath(self.shadow))}:
            try:
                return self.root / p.relative_to(base)
            except ValueError:
                continue
        return p

    def real_words(self, text: str) -> str:
        shadow = str(self.shadow)
        for form in {shadow, os.path.realpath(shadow), _rel(shadow)}:
            if form and form in text:
                text = text.replace(form, str(self.root))
        return text

    # ---- names --------------------------------------------------------------------
    def index(self, path: Path) -> FileIndex | None:
        """The index of the file's text as the editor holds it; when that text is not valid YAML,
        the last index that was (marked `ok=False` by `fresh`)."""
        path = Path(os.path.abspath(path))
        kind = kind_of(self.root, path)
        if kind is None:
            return None
        text = self.text(path)
        if text is None:
            return None
        h = digest(text)
        cached = self._indexes.get(path)
        if cached is None or cached[0] != h:
            ix = index_text(text, kind)
            self._indexes[path] = (h, ix)
            if ix.ok:
                self._good[path] = ix
            cached = (h, ix)
        ix = cached[1]
        return ix if ix.ok else self._good.get(path, ix)

    def fresh(self, path: Path) -> FileIndex | None:
        """The index of exactly the text the editor holds (which may be `ok=False`)."""
        self.index(path)
        got = self._indexes.get(Path(os.path.abspath(path)))
        return got[1] if got else None

    def indexes(self) -> dict[Path, FileIndex]:
        out = {}
        for p in self.files():
            ix = self.index(p)
            if ix is not None:
                out[p] = ix
        return out


def _rel(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return ""
    return rel if not rel.startswith("..") else ""

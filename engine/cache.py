"""A cache of loaded, schema-checked story files, so an unchanged story loads fast.

Reading YAML with positions is the most expensive step of compiling a story
(about half of it). A file that loaded and passed its schema is written to
`<story root>/.cache/chronicle/` as JSON: its values and the position of
every value, under a key made of the file's exact bytes, its kind and the
engine's fingerprint (its version and the text of the loader, the schema
checker and the schemas). The next run with the same bytes and the same engine
takes the document from there and skips YAML and schema alike; any change to
the file, or to those parts of the engine, misses the cache.

The cache is plain data, never code (no pickle, no marshal): a cache file that
is corrupt, truncated, from another version, or tampered with is ignored (each
file carries a SHA-256 digest of its payload). Where the folder cannot be
written, nothing is cached and nothing is said. `CHRONICLE_CACHE=off` turns
the cache off.

Files with problems are never cached: they are read afresh, so their
diagnostics are always current.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import files
from .schemacheck import conforms
from .version import __version__
from .yamlload import Document

FORMAT = "chronicle-cache"
VERSION = 2
CACHE_DIR = Path(".cache") / "chronicle"
_ENGINE = Path(__file__).resolve().parent
_FINGERPRINT_FILES = ("yamlload.py", "choiceline.py", "schema.py", "schemawords.py", "schemacheck.py", "cache.py")
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # a cache file is larger than its (32 MiB at most) YAML, never this large


def enabled() -> bool:
    return os.environ.get("CHRONICLE_CACHE", "").strip().lower() not in ("0", "off", "no", "false")


@functools.cache
def engine_fingerprint() -> bytes:
    """What a cached document depends on besides its own bytes."""
    import yaml

    h = hashlib.sha256(f"{FORMAT}/{VERSION}/{__version__}/yaml {yaml.__version__}".encode())
    schemas = [_ENGINE / "schemas" / e.name for e in files.list_folder(_ENGINE / "schemas") if e.name.endswith(".json")]
    for p in [_ENGINE / name for name in _FINGERPRINT_FILES] + schemas:
        h.update(p.name.encode() + b"\0")
        try:
            h.update(files.read_bytes(p))
        except OSError:
            h.update(b"<missing>")
        h.update(b"\0")
    return h.digest()


def cache_dir(root: Path) -> Path:
    return Path(root) / CACHE_DIR


def _entry_path(root: Path, path: Path) -> Path:
    try:
        rel = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        rel = Path(path).resolve().as_posix()
    name = re.sub(r"[^A-Za-z0-9._-]", "_", rel)
    if len(name) > 120:
        name = name[:80] + "-" + hashlib.sha256(rel.encode()).hexdigest()[:16]
    return cache_dir(root) / f"{name}.json"


def _key(raw: bytes, kind: str) -> str:
    h = hashlib.sha256(engine_fingerprint())
    h.update(kind.encode() + b"\0")
    h.update(raw)
    return h.hexdigest()


# ---- reading ---------------------------------------------------------------------


def load_document(root: Path, path: Path, raw: bytes | None, kind: str, display: str) -> Document | None:
    """The cached document for these exact bytes, or None (a miss, for whatever reason)."""
    if raw is None or not enabled() or not _safe_folder(root):
        return None
    try:
        blob = files.read_bytes(_entry_path(root, path), limit=MAX_ENTRY_BYTES)
    except OSError:
        return None
    try:
        doc = _decode(blob, _key(raw, kind), display)
    except Exception:  # a damaged or foreign cache file is simply not used
        return None
    # The key is a public hash: anyone can write an entry that matches a file they ship.
    # So what comes out is checked against the schema again (the compiled check, fast).
    if doc is None or not conforms(doc.data, kind):
        return None
    return doc


def _safe_folder(root: Path) -> bool:
    """Neither .cache nor .cache/chronicle (if they exist) may be a symlink: a link could make
    `check` write wherever it points, or read entries planted elsewhere."""
    top = Path(root) / CACHE_DIR.parts[0]
    for p in (top, cache_dir(root)):
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            return False
    return True


def _decode(blob: bytes, key: str, display: str) -> Document | None:
    head, sep, payload = blob.partition(b"\n")
    if not sep:
        return None
    header = json.loads(head)
    if (
        not isinstance(header, dict)
        or header.get("format") != FORMAT
        or header.get("version") != VERSION
        or header.get("key") != key
        or header.get("digest") != hashlib.sha256(payload).hexdigest()
    ):
        return None
    body = json.loads(payload)
    data, tree = body["data"], body["marks"]
    if not isinstance(data, dict) or not isinstance(tree, dict):
        return None
    return Document(display, data, TreeMarks(tree, _VALUE), TreeMarks(tree, _KEY))


# Positions are kept as one tree of nested JSON objects that follows the document:
# the entry for path (k1, k2) is tree[k1][k2]; its own position is under _VALUE
# and the position of the key that leads to it under _KEY, each packed as
# line << 32 | column. A list index i is the key "\x1ei". None of these control
# characters can occur in YAML text, so no key of a document can clash with them.
# JSON parses such a tree about ten times faster than a list of (path, line, col).
_VALUE, _KEY, _INDEX = "\x1f", "\x1d", "\x1e"
_SHIFT = 32


def _step(k) -> str:
    return k if type(k) is str else f"{_INDEX}{k}"


class TreeMarks(Mapping):
    """`Document.marks` (or `key_marks`) read from the cache: path -> (line, col), looked up in the tree."""

    __slots__ = ("tree", "which")

    def __init__(self, tree: dict, which: str):
        self.tree, self.which = tree, which

    def get(self, path, default=None):
        node: Any = self.tree
        for k in path:
            node = node.get(k if type(k) is str else f"{_INDEX}{k}") if type(node) is dict else None
            if node is None:
                return default
        v = node.get(self.which) if type(node) is dict else None
        if type(v) is not int or v < 0:
            return default  # (a damaged or forged position is no position)
        return v >> _SHIFT, v & 0xFFFFFFFF

    def __getitem__(self, path):
        v = self.get(path)
        if v is None:
            raise KeyError(path)
        return v

    def __iter__(self):
        stack: list[tuple[tuple, dict]] = [((), self.tree)]
        while stack:
            path, node = stack.pop()
            if self.which in node:
                yield path
            for k, child in node.items():
                if k not in (_VALUE, _KEY) and type(child) is dict:
                    stack.append((path + ((int(k[1:]) if k[:1] == _INDEX else k),), child))

    def __len__(self):
        return sum(1 for _ in self)


def _tree(marks, key_marks) -> dict:
    root: dict = {}
    for which, table in ((_VALUE, marks), (_KEY, key_marks)):
        for path, (line, col) in table.items():
            node = root
            for k in path:
                k = _step(k)
                child = node.get(k)
                if child is None:
                    child = node[k] = {}
                node = child
            node[which] = (line << _SHIFT) | col
    return root


# ---- writing ---------------------------------------------------------------------


def store_document(root: Path, path: Path, raw: bytes | None, kind: str, doc: Document) -> bool:
    """Cache a document that loaded and passed its schema; False (silently) when it cannot."""
    if raw is None or not enabled() or not _safe_folder(root):
        return False
    try:
        payload = json.dumps(
            {"data": doc.data, "marks": _tree(doc.marks, doc.key_marks)},
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=True,
        ).encode("utf-8")
    except (TypeError, ValueError):
        return False  # a value JSON cannot hold; read it afresh each time
    header = json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "kind": kind,
            "key": _key(raw, kind),
            "digest": hashlib.sha256(payload).hexdigest(),
        }
    ).encode()
    return _write_atomic(_entry_path(root, path), header + b"\n" + payload)


def _write_atomic(target: Path, blob: bytes) -> bool:
    try:
        folder = target.parent
        if not folder.is_dir():
            files.make_folder(folder)
            # a story repository that does not ignore .cache/ still never commits this
            files.write(folder / ".gitignore", "# written by Chronicle: a cache, safe to delete\n*\n", durable=False)
        files.write(target, blob, durable=False)  # a cache: a lost entry is only a miss
        return True
    except OSError:
        return False


def clear(root: Path) -> None:
    """Remove every cached document of the story at `root`."""
    folder = cache_dir(root)
    if folder.is_dir():
        for e in files.list_folder(folder):
            if e.name.endswith(".json"):
                try:
                    files.remove(e.path)
                except OSError:
                    pass

"""`chronicle new chapter ID` and `chronicle new story DIR`: starter files that check clean.

A new chapter has a start node with two choices, a canon ending on the canonical
path and a personal one off it, and covers no facts (so its canonical path owes
history nothing yet). Its id goes into `story/story.yaml`'s `chapters:` list by
editing the text in one place, so the manifest's comments and layout survive;
the edit is verified by reading the result back, and nothing is written unless
both files are right.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import files
from ..locate import CHAPTER_DIR, HISTORY_FILE, STORY_FILE, display_path
from . import AuthoringError

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_ID = 64  # as the schemas say: ids become file names, which the file system limits
_DATE_RE = re.compile(r"^[12][0-9]{3}(-[01][0-9](-[0-3][0-9])?)?$")


def check_id(chapter_id: str, what: str = "a chapter id") -> None:
    if len(chapter_id or "") > MAX_ID:
        raise AuthoringError(
            f"'{chapter_id[:40]}...' ({len(chapter_id):,} characters) is too long for {what}: "
            f"use at most {MAX_ID} characters",
            2,
        )
    if not ID_RE.match(chapter_id or ""):
        raise AuthoringError(
            f"'{chapter_id}' is not {what}: use lower-case letters and digits, words joined by '-' "
            "(like 'riyadh-1980')",
            2,
        )


SCHEMA_DIR = "schemas"  # inside a story folder: where `chronicle schema --install` puts the schemas


def install_schemas(root: Path) -> list[Path]:
    """Write the schemas into `root`/schemas/ (replacing older copies); the paths written. Where a
    key holds the story's own names (`x-chronicle-names` in the shipped schema, which carries no
    examples there), the copy's `examples` are this story's own node ids, flags, fact ids,
    chapter ids, conditions and effects, so an editor completing from the schema offers them."""
    from ..schema import KINDS, schema_path

    root = Path(root)
    if not files.exists(root / STORY_FILE):
        raise AuthoringError(
            f"{display_path(root)} holds no story (there is no {display_path(root / STORY_FILE)}), "
            "so no schemas were installed; point --story at a story folder"
        )
    folder = root / SCHEMA_DIR
    files.make_folder(folder, shown=display_path(folder))
    names = story_names(root)
    written = []
    for kind in KINDS:
        target = folder / f"{kind}.schema.json"
        shipped = json.loads(files.read_bytes(schema_path(kind)))
        text = json.dumps(with_examples(shipped, names), indent=2, ensure_ascii=False) + "\n"
        files.write(target, text.encode("utf-8"), shown=display_path(target))
        written.append(target)
    return written


MAX_EXAMPLES = 8


def story_names(root: Path) -> dict[str, list]:
    """The story's own names by kind, as `examples` lists: {} when the story does not compile
    (then the installed schemas, like the shipped ones, give no examples for names)."""
    from ..compile import compile_story

    try:
        story, _diags = compile_story(root)
    except (OSError, ValueError):
        story = None
    if story is None:
        return {}
    nodes = [nid for ch in story.chapters for nid in ch.nodes]
    flags = [f.name for f in story.flags] + [f.name for ch in story.chapters for f in ch.flags]
    facts = list(story.facts)
    conds, effects, choice_ids = [], [], []
    for ch in story.chapters:
        for node in ch.nodes.values():
            for c in node.choices:
                if c.condition_src:
                    conds.append(c.condition_src)
                if c.effects:
                    effects.append([e.src for e in c.effects])
                if c.id:
                    choice_ids.append(c.id)
    first = lambda xs: list(dict.fromkeys(xs))[:MAX_EXAMPLES]  # noqa: E731
    out: dict[str, list] = {
        "node": first(nodes),
        "flag": first(flags),
        "fact": first(facts),
        "chapter": [ch.id for ch in story.chapters][:MAX_EXAMPLES],
        "chapters": [[ch.id for ch in story.chapters]],
        "facts": [facts[:2]] if facts else [],
        "expression": first(conds)[:3],
        "effects": [list(e) for e in {tuple(e): None for e in effects}][:2],
        "choice-id": first(choice_ids),
    }
    return {k: v for k, v in out.items() if v}


def with_examples(schema, names: dict[str, list]):
    """A copy of `schema` with `examples` from `names` wherever it says `x-chronicle-names`."""
    if isinstance(schema, list):
        return [with_examples(v, names) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: with_examples(v, names) for k, v in schema.items()}
    kind = schema.get("x-chronicle-names")
    if isinstance(kind, str) and names.get(kind):
        out["examples"] = names[kind]
    return out


def schema_ref(kind: str, from_dir: Path, root: Path | None = None) -> str:
    """The `$schema=` value for a file in `from_dir`: the story's own installed copy when it has one
    (a relative path inside the story folder, which survives copying the folder), else a relative
    path to the shipped schema."""
    from ..schema import schema_path  # here, not at the top: jsonschema is slow to import and play never needs it

    target = schema_path(kind)
    if root is not None and os.path.isfile(Path(root) / SCHEMA_DIR / target.name):
        target = Path(root) / SCHEMA_DIR / target.name
    try:
        return Path(os.path.relpath(target, from_dir.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return target.as_uri()


def title_from_id(chapter_id: str) -> str:
    return " ".join(w.capitalize() for w in chapter_id.split("-"))


def yaml_str(s: str) -> str:
    """A one-line YAML scalar for `s`: plain when that reads back as the same text, else quoted."""
    if (
        re.fullmatch(r"[A-Za-z][A-Za-z0-9 ,.'()!?-]*", s)
        and not s.endswith(" ")
        and ": " not in s
        and s.lower() not in ("true", "false", "yes", "no", "on", "off", "null")
    ):
        return s
    return json.dumps(s, ensure_ascii=False)


def parse_period(text: str) -> tuple[str, str]:
    """'1980-06/1980-12' or '1980' -> (from, to)."""
    from ..dates import DateError, parse_date

    a, _, b = text.partition("/")
    a, b = a.strip(), (b.strip() or a.strip())
    try:
        if not (_DATE_RE.match(a) and _DATE_RE.match(b)):
            raise DateError(text)
        first, last = parse_date(a, allow_span=False), parse_date(b, allow_span=False)
    except DateError:
        raise AuthoringError(
            f"--period takes FROM/TO dates (YYYY, YYYY-MM or YYYY-MM-DD), like 1980-06/1980-12, not '{text}'", 2
        ) from None
    if last.last < first.first:
        raise AuthoringError(f"--period {text} ends before it begins", 2)
    return a, b


# ---- the chapter template ------------------------------------------------------------


def chapter_text(chapter_id: str, title: str, period: tuple[str, str], schema: str) -> str:
    start = period[0]
    return f"""# yaml-language-server: $schema={schema}
# Written by `chronicle new chapter`; the format is in AUTHORING.md.
id: {chapter_id}
title: {yaml_str(title)}
period: {{from: {period[0]}, to: {period[1]}}}   # the in-world span of the chapter
covers: []      # ids of history facts this chapter depicts; its canonical path must record each
flags: {{}}       # chapter-local flags, e.g. nerve: {{type: int, default: 2, min: 0, max: 5, doc: ...}}
start: opening
nodes:
  opening:
    date: {start}
    text: |
      Write the opening scene here. Paragraphs are separated by blank lines.
    choices:
      - text: Do what history did.
        goto: as-it-happened
        canon: true
      - text: Take another road.
        goto: another-road
  as-it-happened:
    text: History runs as documented.
    ending: {{kind: canon, title: As It Happened}}
  another-road:
    text: History goes on around you, but your own fate is different.
    ending: {{kind: personal, title: Another Road}}
"""


# ---- editing the manifest's chapter list -----------------------------------------------


def _chapters_node(text: str, file: str):
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise AuthoringError(
            f"{file} cannot be read as YAML ({exc}); fix it first (`chronicle check` shows where)"
        ) from None
    if not isinstance(root, yaml.MappingNode):
        raise AuthoringError(f"{file} is not a mapping; fix it first (`chronicle check` shows where)")
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "chapters":
            if not isinstance(value, yaml.SequenceNode) or not all(isinstance(v, yaml.ScalarNode) for v in value.value):
                raise AuthoringError(f"`chapters:` in {file} is not a list of chapter ids; fix it first")
            return value
    raise AuthoringError(f"{file} has no `chapters:` list; add one (`chapters: [{'...'}]`)")


def chapter_ids(text: str, file: str = "story/story.yaml") -> list[str]:
    return [v.value for v in _chapters_node(text, file).value]


def insert_chapter(
    text: str, new_id: str, *, after: str | None = None, before: str | None = None, file: str = "story/story.yaml"
) -> str:
    """Return the manifest text with `new_id` added to `chapters:`, changing nothing else.

    At the end by default, or right after / before an existing id.
    """
    seq = _chapters_node(text, file)
    items = seq.value
    ids = [v.value for v in items]
    if new_id in ids:
        raise AuthoringError(f"'{new_id}' is already in the chapter list of {file}")
    for ref in (after, before):
        if ref is not None and ref not in ids:
            raise AuthoringError(f"there is no chapter '{ref}' in {file} (chapters: {', '.join(ids)})", 2)
    if before is not None:
        k, where = ids.index(before), "before"
    elif after is not None:
        k, where = ids.index(after), "after"
    elif items:
        k, where = len(items) - 1, "after"
    else:
        k, where = None, "empty"

    if seq.flow_style or not items:
        if k is None:
            # `chapters: []`: put the id between the brackets
            i = text.index("[", seq.start_mark.index) + 1
            new = text[:i] + new_id + text[i:]
        elif where == "after":
            i = items[k].end_mark.index
            new = text[:i] + ", " + new_id + text[i:]
        else:
            i = items[k].start_mark.index
            new = text[:i] + new_id + ", " + text[i:]
    else:
        lines = text.splitlines(keepends=True)
        item = items[k]
        line = lines[item.start_mark.line]
        prefix = line[: item.start_mark.column]
        if not re.fullmatch(r"[ \t]*-[ \t]+", prefix) or item.end_mark.line != item.start_mark.line:
            raise AuthoringError(
                f"cannot edit the `chapters:` list of {file} safely (an unusual layout); add '{new_id}' to it by hand"
            )
        eol = "\r\n" if line.endswith("\r\n") else "\n"
        if not line.endswith(("\n", "\r")):
            lines[item.start_mark.line] = line = line + eol
        entry = prefix + new_id + eol
        at = item.start_mark.line + (1 if where == "after" else 0)
        lines.insert(at, entry)
        new = "".join(lines)

    want = list(ids)
    if k is None:
        want = [new_id]
    else:
        want.insert(k + (1 if where == "after" else 0), new_id)
    try:
        got = chapter_ids(new, file)
    except AuthoringError:
        got = None
    if got != want:
        raise AuthoringError(f"cannot edit the `chapters:` list of {file} safely; add '{new_id}' to it by hand")
    return new


# ---- new chapter -----------------------------------------------------------------------


@dataclass
class Created:
    files: list  # paths written
    chapter_id: str
    place: str  # "after 'x'", "before 'y'", "as the first chapter"
    manifest_changed: bool = True


def _period_of(root: Path, chapter_id: str) -> tuple[str, str] | None:
    from ..yamlload import load_file

    try:
        doc = load_file(root / CHAPTER_DIR / f"{chapter_id}.yaml")
        p = doc.data["period"]
        return str(p["from"]), str(p["to"])
    except Exception:  # any problem: the caller falls back to another guess
        return None


def new_chapter(
    root: str | os.PathLike,
    chapter_id: str,
    *,
    after: str | None = None,
    before: str | None = None,
    title: str | None = None,
    period: str | None = None,
) -> Created:
    """Write chapters/<id>.yaml and list it in story/story.yaml; AuthoringError says why not."""
    root = Path(root)
    check_id(chapter_id)
    if after is not None and before is not None:
        raise AuthoringError("give --after or --before, not both", 2)
    manifest = root / STORY_FILE
    mname = display_path(manifest)
    try:
        mtext = files.read_text(manifest, inside=root, shown=mname)
    except files.Missing:
        raise AuthoringError(
            f"no story manifest at {mname}; create a story with `chronicle new story DIR`, or point --story at one"
        ) from None
    except files.FileError as exc:
        raise AuthoringError(str(exc)) from None
    ids = chapter_ids(mtext, mname)
    path = root / CHAPTER_DIR / f"{chapter_id}.yaml"
    if chapter_id in ids:
        raise AuthoringError(f"chapter '{chapter_id}' already exists (it is in the chapter list of {mname})")
    if files.exists(path):
        raise AuthoringError(
            f"{display_path(path)} already exists but is not in the chapter list; add "
            f"'{chapter_id}' to `chapters:` in {mname} instead"
        )
    new_mtext = insert_chapter(mtext, chapter_id, after=after, before=before, file=mname)
    order = chapter_ids(new_mtext, mname)
    k = order.index(chapter_id)
    if period is not None:
        span = parse_period(period)
    else:
        prev = _period_of(root, order[k - 1]) if k > 0 else None
        nxt = _period_of(root, order[k + 1]) if k + 1 < len(order) else None
        if prev:
            span = (prev[1], prev[1])
        elif nxt:
            span = (nxt[0], nxt[0])
        else:
            year = str(_dt.date.today().year)
            span = (year, year)
    text = chapter_text(chapter_id, title or title_from_id(chapter_id), span, schema_ref("chapter", path.parent, root))
    files.write(path, text, new=True, parents=True, shown=display_path(path))
    try:
        files.write(manifest, new_mtext, shown=mname)
    except files.FileError as exc:
        files.remove(path)
        raise AuthoringError(str(exc)) from None
    where = (
        f"after '{order[k - 1]}'"
        if k > 0
        else f"before '{order[k + 1]}'"
        if k + 1 < len(order)
        else "as the only chapter"
    )
    return Created([path, manifest], chapter_id, where)


# ---- new story -------------------------------------------------------------------------


def new_story(
    folder: str | os.PathLike, *, title: str | None = None, chapter_id: str = "first-chapter", period: str | None = None
) -> Created:
    """A minimal story folder: manifest, history with one placeholder fact, one chapter."""
    root = Path(folder)
    check_id(chapter_id)
    manifest = root / STORY_FILE
    if files.exists(manifest):
        raise AuthoringError(
            f"{display_path(manifest)} already exists; add chapters to that story with "
            "`chronicle new chapter ID --story " + str(folder) + "`"
        )
    if files.exists(root) and not os.path.isdir(root):
        raise AuthoringError(f"{display_path(root)} is a file, not a folder")
    span = parse_period(period) if period else (str(_dt.date.today().year),) * 2
    title = title or title_from_id(re.sub(r"[^a-z0-9]+", "-", root.resolve().name.lower()).strip("-") or "story")
    story_dir = root / "story"
    chapter = root / CHAPTER_DIR / f"{chapter_id}.yaml"
    contents = {
        manifest: f"""# yaml-language-server: $schema=../{SCHEMA_DIR}/story.schema.json
# The story manifest; the format is in AUTHORING.md.
title: {yaml_str(title)}
chapters: [{chapter_id}]   # chapter ids in play order; each is chapters/<id>.yaml
flags: {{}}                  # story-wide flags, carried from one chapter into the next
calls: resume              # back from a `call:`, play resumes where it was made (ink's tunnels)
""",
        root / HISTORY_FILE: f"""# yaml-language-server: $schema=../{SCHEMA_DIR}/history.schema.json
# The documented history, as data. Every fact quotes the paragraph of the source it rests on.
source: source.txt
facts:
  - id: first-fact
    date: {span[0]}
    statement: Replace this with a documented fact, in your own words.
    source: {{paragraph: 1, quote: "Paste the source text here"}}
""",
        story_dir / "source.txt": "Paste the source text here, one paragraph per line.\n",
        chapter: chapter_text(chapter_id, title_from_id(chapter_id), span, f"../{SCHEMA_DIR}/chapter.schema.json"),
    }
    for p in contents:
        if files.exists(p):
            raise AuthoringError(f"{display_path(p)} already exists; choose an empty folder")
    for p, text in contents.items():
        files.write(p, text, new=True, parents=True, shown=display_path(p))
    # the schemas go inside the story, so its `$schema` lines hold wherever the folder is copied
    return Created(list(contents) + install_schemas(root), chapter_id, "as the only chapter")

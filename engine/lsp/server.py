"""The language server: pygls wiring, and when to compile, check and publish.

As the author types, each change (after DEBOUNCE seconds without another) compiles the
workspace (`Workspace.compile`, the library's compiler over the open buffers) and publishes the
diagnostics of every story file; after PAUSE seconds without a change, or on save, the whole
check runs in a child process (`checkworker`), stopped as soon as the buffer changes again, and
its findings replace the compiler's for the files that have not changed since it started.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import sys
import time
import typing
from collections import defaultdict
from pathlib import Path
from typing import Any

from lsprotocol import types as T
from pygls.exceptions import JsonRpcException, JsonRpcMethodNotFound
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from engine.version import __version__

from . import features as F
from . import units
from .workspace import MAX_LIVE, STORY_FILE, Workspace, find_root, kind_of

DEBOUNCE = 0.02  # seconds: changes closer together than this compile once
PAUSE = 1.5  # seconds without a change before the whole check runs
CHECK_SECONDS = 60.0  # the check's own time bound (as `check --max-seconds`), and its child is stopped after 2x
log = logging.getLogger("chronicle.lsp")


class _Protocol(LanguageServerProtocol):
    """pygls' protocol, answering a request it cannot read (unknown method without params, broken
    params) with an error response, where pygls would only log it and leave the client waiting."""

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            msg_id = data.get("id") if isinstance(data, dict) else None
            if "method" in data and isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool):
                answer = exc
                if self.get_message_type(data["method"]) is None:
                    answer = JsonRpcMethodNotFound.of(str(data["method"]))
                self._send_response(msg_id, error=answer.to_response_error())
            raise


class ChronicleServer(LanguageServer):
    def __init__(self, pause: float = PAUSE):
        super().__init__(
            "chronicle", __version__, text_document_sync_kind=T.TextDocumentSyncKind.Incremental, protocol_cls=_Protocol
        )
        self.pause = pause
        self.spaces: dict[Path, Workspace] = {}
        self.published: dict[str, list[dict]] = {}  # uri -> diagnostics as published (dicts with a "range")
        self.gen: dict[Path, int] = defaultdict(int)
        self.locks: dict[Path, asyncio.Lock] = {}
        self.procs: dict[Path, Any] = {}
        self.checked: dict[Path, tuple[dict, list[dict]]] = {}  # root -> (file digests checked, findings)
        self.timings: list[dict] = []  # per compile: seconds from the change to the publish
        self.roots: list[Path] = []

    # ---- columns in the client's units (see units.py) --------------------------------
    def _lines_of(self, doc_uri: str):
        try:
            # split at "\n" only, as LSP and the features count lines (str.splitlines would
            # also split at U+2028 and friends)
            return self.workspace.get_text_document(doc_uri).source.split("\n")
        except Exception:  # a URI that is no file of ours: leave its positions as they are
            return None

    def _encoding(self) -> str:
        enc = self.workspace.position_encoding
        return str(getattr(enc, "value", enc) or "utf-16")

    def to_client(self, result, doc_uri: str | None = None):
        """`result` with every column counted in the client's units (in place; returned)."""
        units.convert(result, doc_uri, self._encoding(), functools.lru_cache(None)(self._lines_of), out=True)
        return result

    def from_client(self, params) -> None:
        """The columns of a request's params counted in characters, as the features count."""
        units.convert(params, None, self._encoding(), functools.lru_cache(None)(self._lines_of), out=False)

    # ---- workspaces ------------------------------------------------------------------
    def space_for(self, path: Path) -> Workspace | None:
        path = Path(os.path.abspath(path))
        root = find_root(path)
        if root is None:
            for r in self.roots:
                if kind_of(r, path) is not None and (r / STORY_FILE).is_file():
                    root = r
        if root is None:
            return None
        root = Path(os.path.abspath(root))
        if root not in self.spaces:
            self.spaces[root] = Workspace(root)
            self.locks[root] = asyncio.Lock()
        return self.spaces[root]

    def changed(self, ws: Workspace, check_after: float | None) -> None:
        """Something the story is made of changed: stop a running check, compile soon."""
        self.gen[ws.root] += 1
        self.kill(ws)
        asyncio.get_event_loop().create_task(self.run(ws, self.gen[ws.root], time.perf_counter(), check_after))

    def kill(self, ws: Workspace) -> None:
        proc = self.procs.pop(ws.root, None)
        if proc is not None and proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass

    async def run(self, ws: Workspace, gen: int, t0: float, check_after: float | None) -> None:
        try:
            await asyncio.sleep(DEBOUNCE)
            if self.gen[ws.root] != gen:
                return
            async with self.locks[ws.root]:
                if self.gen[ws.root] != gen:
                    return
                texts = {p: ws.text(p) for p in ws.files()}
                if any(_huge(ws, p, t) for p, t in texts.items()):
                    # a huge buffer (a paste): compiled when saved, in the child process, not on each keystroke
                    texts = {p: (_disk(p) if _huge(ws, p, t) else t) for p, t in texts.items()}
                t1 = time.perf_counter()
                await asyncio.to_thread(ws.compile, texts)
                t2 = time.perf_counter()
            if self.gen[ws.root] != gen:
                return
            self.publish(ws)
            self.timings.append({"compile": t2 - t1, "total": time.perf_counter() - t0})
            if check_after is None:
                return
            await asyncio.sleep(check_after)
            if self.gen[ws.root] != gen:
                return
            await self.check(ws, gen)
        except Exception as exc:  # never let a background task take the server down
            log.exception("chronicle lsp: compiling failed")
            self.window_log_message(T.LogMessageParams(T.MessageType.Error, f"chronicle: {type(exc).__name__}: {exc}"))

    async def check(self, ws: Workspace, gen: int) -> None:
        if ws.last is None:
            return
        hashes = dict(ws.last.hashes)
        self.kill(ws)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "engine.lsp.checkworker",
            str(ws.shadow),
            str(ws.root),
            str(CHECK_SECONDS),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        self.procs[ws.root] = proc
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout=CHECK_SECONDS * 2 + 30)
        except TimeoutError:
            self.kill(ws)
            return
        finally:
            if self.procs.get(ws.root) is proc:
                del self.procs[ws.root]
        if self.gen[ws.root] != gen or not out:
            return
        try:
            data = json.loads(out)
        except ValueError:
            return
        if "diagnostics" not in data:
            self.window_log_message(T.LogMessageParams(T.MessageType.Warning, f"chronicle check: {data.get('error')}"))
            return
        self.checked[ws.root] = (hashes, [ws.real_json(d) for d in data["diagnostics"]])
        self.publish(ws)
        self.window_log_message(T.LogMessageParams(T.MessageType.Info, f"chronicle check: {_summary(data)}"))

    # ---- publishing --------------------------------------------------------------------
    def current(self, ws: Workspace) -> dict[Path, list[dict]]:
        """Each story file's diagnostics: the check's findings where the file is as it was checked,
        else the compiler's."""
        compiled = ws.last
        by_file: dict[Path, list[dict]] = defaultdict(list)
        if compiled is None:
            return by_file
        checked = self.checked.get(ws.root)
        fresh: set[Path] = set()
        if checked is not None:
            fresh = {p for p, h in compiled.hashes.items() if checked[0].get(p) == h}
            if set(checked[0]) != set(compiled.hashes):
                fresh = set()
        for d in compiled.diagnostics:
            p = _file_of(ws, d)
            if p not in fresh:
                by_file[p].append(d)
        if checked is not None:
            for d in checked[1]:
                p = _file_of(ws, d)
                if p in fresh:
                    by_file[p].append(d)
        return by_file

    def publish(self, ws: Workspace) -> None:
        by_file = self.current(ws)
        targets = set(ws.files()) | set(by_file)
        for u in list(self.published):
            p = Path(to_fs_path(u) or "")
            if kind_of(ws.root, p) is not None:
                targets.add(p)
        for p in sorted(targets):
            text = ws.text(p) or ""
            rows = text.split("\n")
            diags = [dict(d, range=_range(rows, d)) for d in by_file.get(p, [])]
            u = F.uri(p)
            if self.published.get(u) == diags:
                continue
            self.published[u] = diags
            self.text_document_publish_diagnostics(
                self.to_client(T.PublishDiagnosticsParams(uri=u, diagnostics=[_lsp(u, d) for d in diags]))
            )


def _huge(ws: Workspace, path: Path, text: str | None) -> bool:
    return path in ws.overlay and len(text or "") > MAX_LIVE


def _disk(path: Path) -> str | None:
    from .workspace import read_file

    return read_file(path)


def _summary(data: dict) -> str:
    s = data.get("summary") or {}
    counts = f"{s.get('errors', 0)} errors, {s.get('warnings', 0)} warnings"
    return f"{counts}, {s.get('states')} states, {s.get('seconds')} s"


def _file_of(ws: Workspace, d: dict) -> Path:
    f = d.get("file")
    if not f:
        return ws.root / STORY_FILE
    return Path(f)


def _range(rows: list[str], d: dict) -> list[int]:
    """[line, col, end line, end col], 0-based: from the diagnostic's position to the end of the
    word, quoted text or value there."""
    line = max(int(d.get("line") or 1), 1) - 1
    col = max(int(d.get("col") or 1), 1) - 1
    if line >= len(rows):
        return [line, col, line, col]
    row = rows[line]
    col = min(col, len(row))
    rest = row[col:]
    if not d.get("line"):
        return [0, 0, 0, len(rows[0]) if rows else 0]
    if rest[:1] in ("'", '"'):
        q = rest[0]
        k = rest.find(q, 1)
        end = col + (k + 1 if k > 0 else len(rest))
    else:
        import re

        m = re.match(r"[^\s,\[\]{}#:]+(?:[ \t]+[^\s,\[\]{}#:]+)*", rest)
        end = col + (m.end() if m and m.end() else len(rest.rstrip()))
        if re.match(r"\s*- ", row) and re.search(r"(?<!\S)->(?!\S)", row[:col]):
            # inside a choice on one line (`- Knock. -> porch if lit do ...`): up to the next keyword
            stop = re.search(r"\s+(?:->|canon|if|do)(?!\S)|,|['\"]?\s*(?:#.*)?$", rest)
            end = col + (stop.start() if stop and stop.start() else len(rest.rstrip()))
    if end == col:
        end = min(col + 1, len(row))
    return [line, col, line, end]


def _lsp(u: str, d: dict) -> T.Diagnostic:
    r = d["range"]
    rg = T.Range(T.Position(r[0], r[1]), T.Position(r[2], r[3]))
    message = d.get("message") or ""
    if d.get("hint"):
        message += f"\nhint: {d['hint']}"
    related = None
    if d.get("replay"):
        related = [T.DiagnosticRelatedInformation(T.Location(u, rg), f"replay: {d['replay']}")]
    return T.Diagnostic(
        range=rg,
        message=message,
        severity=T.DiagnosticSeverity.Error if d.get("severity") == "error" else T.DiagnosticSeverity.Warning,
        code=d.get("code"),
        source="chronicle",
        related_information=related,
        data={k: d.get(k) for k in ("code", "hint", "replay", "name") if d.get(k) is not None},
    )


# ---- the server and its features ------------------------------------------------------------


def build(pause: float = PAUSE) -> ChronicleServer:
    server = ChronicleServer(pause)

    def path_of(doc_uri: str) -> Path | None:
        p = to_fs_path(doc_uri)
        return Path(os.path.abspath(p)) if p else None

    def ws_of(doc_uri: str) -> tuple[Workspace, Path] | tuple[None, None]:
        p = path_of(doc_uri)
        if p is None:
            return None, None
        ws = server.space_for(p)
        return (ws, p) if ws is not None else (None, None)

    def in_client_units(fn):
        """A feature that reads columns from its params and may return some: both converted."""

        @functools.wraps(fn)
        def wrapper(ls: ChronicleServer, params):
            ls.from_client(params)
            doc = getattr(getattr(params, "text_document", None), "uri", None)
            return ls.to_client(fn(ls, params), doc)

        return wrapper

    @server.feature(T.INITIALIZED)
    def initialized(ls: ChronicleServer, params: T.InitializedParams) -> None:
        folders = ls.workspace.folders.values() if ls.workspace.folders else []
        roots = [Path(to_fs_path(f.uri) or "") for f in folders]
        if ls.workspace.root_path:
            roots.append(Path(ls.workspace.root_path))
        ls.roots = [Path(os.path.abspath(r)) for r in roots if str(r)]
        for r in ls.roots:
            if (r / STORY_FILE).is_file():
                ws = ls.space_for(r / STORY_FILE)
                if ws is not None:
                    ls.changed(ws, None)

    @server.feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ChronicleServer, params: T.DidOpenTextDocumentParams) -> None:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return
        ws.overlay[p] = params.text_document.text
        ls.changed(ws, ls.pause)

    @server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ChronicleServer, params: T.DidChangeTextDocumentParams) -> None:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return
        ws.overlay[p] = ls.workspace.get_text_document(params.text_document.uri).source
        ls.changed(ws, ls.pause)

    @server.feature(T.TEXT_DOCUMENT_DID_SAVE, T.SaveOptions(include_text=True))
    def did_save(ls: ChronicleServer, params: T.DidSaveTextDocumentParams) -> None:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return
        if params.text is not None:
            ws.overlay[p] = params.text
        ls.changed(ws, 0.0)

    @server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ChronicleServer, params: T.DidCloseTextDocumentParams) -> None:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return
        ws.overlay.pop(p, None)
        ls.changed(ws, ls.pause)

    @server.feature(T.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: ChronicleServer, params: T.DidChangeWatchedFilesParams) -> None:
        for ch in params.changes:
            ws, _p = ws_of(ch.uri)
            if ws is not None:
                ls.changed(ws, ls.pause)

    @server.feature(T.SHUTDOWN)
    def shutdown(ls: ChronicleServer, params: None) -> None:
        for ws in ls.spaces.values():
            ls.kill(ws)
            ws.close()

    @server.feature(
        T.TEXT_DOCUMENT_COMPLETION,
        T.CompletionOptions(trigger_characters=[":", " ", "(", '"', "[", ",", "{", "="]),
    )
    @in_client_units
    def completion(ls: ChronicleServer, params: T.CompletionParams) -> T.CompletionList | None:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return None
        items = F.completion(ws, p, params.position.line, params.position.character)
        return T.CompletionList(is_incomplete=False, items=items)

    @server.feature(T.TEXT_DOCUMENT_HOVER)
    @in_client_units
    def hover(ls: ChronicleServer, params: T.HoverParams) -> T.Hover | None:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return None
        diags = ls.published.get(F.uri(p), [])
        return F.hover(ws, p, params.position.line, params.position.character, diags)

    @server.feature(T.TEXT_DOCUMENT_DEFINITION)
    @in_client_units
    def definition(ls: ChronicleServer, params: T.DefinitionParams) -> T.Location | None:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return None
        return F.definition(ws, p, params.position.line, params.position.character)

    @server.feature(T.TEXT_DOCUMENT_REFERENCES)
    @in_client_units
    def references(ls: ChronicleServer, params: T.ReferenceParams) -> list[T.Location]:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return []
        return F.references(ws, p, params.position.line, params.position.character, params.context.include_declaration)

    @server.feature(T.TEXT_DOCUMENT_PREPARE_RENAME)
    @in_client_units
    def prepare_rename(ls: ChronicleServer, params: T.PrepareRenameParams) -> T.Range | None:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return None
        return F.prepare_rename(ws, p, params.position.line, params.position.character)

    @server.feature(T.TEXT_DOCUMENT_RENAME)
    @in_client_units
    def rename(ls: ChronicleServer, params: T.RenameParams) -> T.WorkspaceEdit | None:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return None
        try:
            return F.rename(ws, p, params.position.line, params.position.character, params.new_name)
        except F.RenameRefused as exc:
            from pygls.exceptions import JsonRpcInvalidRequest

            raise JsonRpcInvalidRequest(str(exc)) from None

    @server.feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @in_client_units
    def symbols(ls: ChronicleServer, params: T.DocumentSymbolParams) -> list[T.DocumentSymbol]:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return []
        return F.document_symbols(ws, p)

    @server.feature(T.WORKSPACE_SYMBOL)
    def workspace_symbols(ls: ChronicleServer, params: T.WorkspaceSymbolParams) -> list[T.SymbolInformation]:
        out: list[T.SymbolInformation] = []
        for ws in ls.spaces.values():
            out += F.workspace_symbols(ws, params.query)
        return ls.to_client(out)

    @server.feature(
        T.TEXT_DOCUMENT_CODE_ACTION,
        T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix, T.CodeActionKind.RefactorRewrite]),
    )
    @in_client_units
    def code_action(ls: ChronicleServer, params: T.CodeActionParams) -> list[T.CodeAction]:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return []
        return F.code_actions(ws, p, params.range, list(params.context.diagnostics))

    @server.feature(T.TEXT_DOCUMENT_CODE_LENS)
    @in_client_units
    def code_lens(ls: ChronicleServer, params: T.CodeLensParams) -> list[T.CodeLens]:
        ws, p = ws_of(params.text_document.uri)
        if ws is None or p is None:
            return []
        return F.code_lenses(ws, p)

    async def _command(ls: ChronicleServer, fn, args) -> dict:
        if len(args) < 3 or not all(isinstance(a, str) for a in args[:3]):
            raise ValueError("expected [story folder, chapter id, node id]")
        root, chapter, node = args[:3]
        ws = ls.space_for(Path(root) / STORY_FILE)
        if ws is None:
            raise ValueError(f"{root} is not a story folder")
        async with ls.locks[ws.root]:
            result = await asyncio.to_thread(fn, ws, chapter, node)
        ls.window_show_message(T.ShowMessageParams(T.MessageType.Info, f"{result['title']}\n\n{result['text']}"))
        return result

    @server.command(F.TRY)
    async def try_here(ls: ChronicleServer, *args):
        return await _command(ls, F.try_from_here, args)

    @server.command(F.WHY)
    async def why_here(ls: ChronicleServer, *args):
        return await _command(ls, F.why_text, args)

    return server


def main(pause: float | None = None) -> int:
    """`chronicle lsp`: serve on stdin/stdout until the client says exit."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    stdin = sys.stdin.buffer
    stdout = typing.cast(typing.BinaryIO, (sys.__stdout__ or sys.stdout).buffer)
    sys.stdout = sys.stderr  # nothing the library prints may reach the protocol stream
    server = build(PAUSE if pause is None or pause < 0 else pause)
    try:
        server.start_io(stdin, stdout)
    finally:
        for ws in server.spaces.values():
            server.kill(ws)
            ws.close()
    return 0

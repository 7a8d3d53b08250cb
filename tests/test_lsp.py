"""`chronicle lsp` end to end: a real LSP client (pytest-lsp) talking to `python -m engine lsp` over
stdio, on a copy of the real story (Hammer and Crescent)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest
import pytest_lsp
from conftest import ROOT
from lsprotocol import types as T
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

pytestmark = pytest.mark.asyncio(loop_scope="module")

WAIT = 60  # seconds: a guard against a hang, not a timing assertion


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lsp") / "hammer"
    root.mkdir()
    shutil.copytree(ROOT / "story", root / "story")
    shutil.copytree(ROOT / "chapters", root / "chapters")
    return root


@pytest.fixture(scope="module")
def signing(tmp_path_factory) -> Path:
    """The codes fixtures' small story, with the `continuity` fixture's chapter: a text that asserts
    the treaty holds on a branch where it was torn up (the whole check finds it in no time)."""
    root = tmp_path_factory.mktemp("lsp") / "signing"
    shutil.copytree(ROOT / "tests" / "fixtures" / "codes" / "_base", root)
    shutil.copy(ROOT / "tests" / "fixtures" / "codes" / "continuity" / "chapters" / "one.yaml", root / "chapters")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=[sys.executable, "-m", "engine", "lsp", "--check-after", "0.3"]),
)
async def client(lsp_client: LanguageClient, story: Path):
    params = T.InitializeParams(
        capabilities=client_capabilities("neovim"), root_uri=story.as_uri(), workspace_folders=None
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def uri(p: Path) -> str:
    return p.as_uri()


async def wait_for(client: LanguageClient, what, timeout: float = WAIT):
    """Poll until `what()` is true (diagnostics arrive as notifications, in their own time)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        got = what()
        if got:
            return got
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting")


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    text = path.read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(T.DidOpenTextDocumentParams(T.TextDocumentItem(uri(path), "yaml", version, text)))
    return text


def change(client: LanguageClient, path: Path, text: str, version: int) -> None:
    client.text_document_did_change(
        T.DidChangeTextDocumentParams(
            T.VersionedTextDocumentIdentifier(version=version, uri=uri(path)),
            [T.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def coded(client: LanguageClient, path: Path, code: str) -> list[T.Diagnostic]:
    return [d for d in client.diagnostics.get(uri(path), []) if d.code == code]


def pos_of(text: str, needle: str, offset: int = 0) -> T.Position:
    i = text.index(needle) + offset
    line = text.count("\n", 0, i)
    col = i - (text.rfind("\n", 0, i) + 1)
    return T.Position(line, col)


async def test_a_broken_goto_is_reported_with_its_range_and_hint_then_cleared(client: LanguageClient, story: Path):
    path = story / "chapters" / "riyadh-1980.yaml"
    good = open_doc(client, path, version=1)
    bad = good.replace("goto: stairwell", "goto: stairwel", 1)
    change(client, path, bad, 2)
    diags = await wait_for(client, lambda: coded(client, path, "unknown-node"))
    d = diags[0]
    start = pos_of(bad, "goto: stairwel", len("goto: "))
    assert d.range.start == start
    assert d.range.end == T.Position(start.line, start.character + len("stairwel"))
    assert d.severity == T.DiagnosticSeverity.Error
    assert "stairwel" in d.message and "did you mean 'stairwell'?" in d.message
    change(client, path, good, 3)
    await wait_for(client, lambda: uri(path) in client.diagnostics and len(client.diagnostics[uri(path)]) == 0)


async def test_an_edit_in_the_manifest_reports_in_chapter_files_nobody_opened(client: LanguageClient, story: Path):
    manifest = story / "story" / "story.yaml"
    good = open_doc(client, manifest)
    bad = good.replace("  us_stood_aside:", "  us_stayed_aside:", 1)
    assert bad != good
    change(client, manifest, bad, 2)
    tehran = story / "chapters" / "syrian-front-1984.yaml"
    riyadh = story / "chapters" / "riyadh-1980.yaml"
    got = await wait_for(client, lambda: coded(client, tehran, "unknown-flag") or coded(client, riyadh, "unknown-flag"))
    assert any("us_stood_aside" in d.message for d in got)
    change(client, manifest, good, 3)
    await wait_for(
        client,
        lambda: all(len(client.diagnostics.get(uri(p), [None])) == 0 for p in (story / "chapters").glob("*.yaml")),
    )


async def test_checks_findings_arrive_after_a_pause_with_the_replay(client: LanguageClient, signing: Path):
    one = signing / "chapters" / "one.yaml"
    text = open_doc(client, one)
    got = await wait_for(client, lambda: coded(client, one, "continuity"))
    d = got[0]
    start = pos_of(text, "text: Outside, they are already toasting")
    assert d.range.start.line == start.line
    assert "asserts fact 'treaty-signed'" in d.message and "hint:" in d.message
    assert d.related_information and d.related_information[0].message.startswith("replay: chronicle play")
    assert str(signing) in d.related_information[0].message


async def test_completion_offers_the_chapters_own_node_ids_after_goto(client: LanguageClient, story: Path):
    path = story / "chapters" / "riyadh-1980.yaml"
    text = open_doc(client, path)
    text2 = text.replace("goto: stairwell", "goto: stai", 1)
    change(client, path, text2, 10)
    at = pos_of(text2, "goto: stai", len("goto: stai"))
    got = await client.text_document_completion_async(T.CompletionParams(T.TextDocumentIdentifier(uri(path)), at))
    labels = [i.label for i in got.items]
    assert "stairwell" in labels and "news" in labels
    assert "majlis" not in labels and "border-holds" not in labels  # the schema's examples, never
    item = next(i for i in got.items if i.label == "stairwell")
    assert item.text_edit.range.start.character == at.character - len("stai")
    change(client, path, text, 11)


async def test_completion_of_flags_enum_values_facts_chapters_and_keys(client: LanguageClient, story: Path):
    path = story / "chapters" / "riyadh-1980.yaml"
    text = open_doc(client, path)

    async def complete(new_text: str, needle: str, version: int):
        change(client, path, new_text, version)
        at = pos_of(new_text, needle, len(needle))
        got = await client.text_document_completion_async(T.CompletionParams(T.TextDocumentIdentifier(uri(path)), at))
        return {i.label: i for i in got.items}

    flags = await complete(text.replace('- if: rendering == "plain"', "- if: rend", 1), "- if: rend", 20)
    assert {"rendering", "stayed_home", "us_stood_aside"} <= set(flags)  # the chapter's and the story's
    assert "enum plain|softened|urged" in (flags["rendering"].detail or "")
    typed = "- if: rendering == "
    values = await complete(text.replace('- if: rendering == "plain"', typed, 1), typed, 21)
    assert set(values) == {"plain", "softened", "urged"}
    assert values["plain"].text_edit.new_text == '"plain"'
    facts = await complete(text.replace("records: [kuwait-occupied]", "records: [kuw", 1), "records: [kuw", 22)
    assert "kuwait-occupied" in facts and "qassim-takes-power" in facts
    assert "Kuwait" in facts["kuwait-occupied"].documentation.value
    seen = await complete(text.replace('- if: rendering == "plain"', '- if: seen("liai', 1), 'seen("liai', 23)
    assert "liaison-room" in seen
    inline = await complete(text.replace("You did not know", "You {duc did not know", 1), "{duc", 24)
    assert "ducked" in inline
    base = "    place: Riyadh, the air base\n"
    keys = await complete(text.replace(base, base + "    rec\n", 1), "    rec", 25)
    assert "records" in keys and "choices" in keys and "ending" in keys
    assert keys["records"].documentation and "fact" in keys["records"].documentation.value
    change(client, path, text, 26)

    manifest = story / "story" / "story.yaml"
    mtext = open_doc(client, manifest)
    mnew = mtext.replace("chapters: [riyadh-1980, syrian-front-1984, tehran-1999]", "chapters: [riyadh-1980, syr", 1)
    change(client, manifest, mnew, 30)
    at = pos_of(mnew, "chapters: [riyadh-1980, syr", len("chapters: [riyadh-1980, syr"))
    got = await client.text_document_completion_async(T.CompletionParams(T.TextDocumentIdentifier(uri(manifest)), at))
    assert {"riyadh-1980", "syrian-front-1984", "tehran-1999"} <= {i.label for i in got.items}
    change(client, manifest, mtext, 31)


async def test_hover_on_a_flag_a_fact_a_node_and_a_code(client: LanguageClient, story: Path):
    path = story / "chapters" / "riyadh-1980.yaml"
    text = open_doc(client, path)

    async def hover(needle: str, offset: int = 0) -> str:
        at = pos_of(text, needle, offset)
        got = await client.text_document_hover_async(T.HoverParams(T.TextDocumentIdentifier(uri(path)), at))
        assert got is not None, needle
        return got.contents.value

    flag = await hover('- if: rendering == "plain"', len("- if: "))
    assert "enum plain|softened|urged" in flag and 'default `"plain"`' in flag
    assert "How Mansour put the Colonel's answer" in flag
    assert "set by:" in flag and "liaison-room" in flag
    fact = await hover("records: [kuwait-occupied]", len("records: ["))
    assert "kuwait-occupied" in fact and "holds:" in fact and "source" in fact
    fact2 = await hover("records: [us-backs-riyadh]", len("records: ["))
    assert "broken by the endings: riyadh-1980:" in fact2
    node = await hover("goto: stairwell", len("goto: "))
    assert "node **stairwell**" in node and "ways in:" in node and "goto from liaison-room" in node
    base = "    place: Riyadh, the air base\n"
    allow = text.replace(base, base + "    allow: [flag-unread]\n", 1)
    change(client, path, allow, 40)
    at = pos_of(allow, "allow: [flag-unread]", len("allow: [fl"))
    got = await client.text_document_hover_async(T.HoverParams(T.TextDocumentIdentifier(uri(path)), at))
    assert got is not None and "**flag-unread**" in got.contents.value
    change(client, path, text, 41)


async def test_definition_and_references_across_files(client: LanguageClient, story: Path):
    path = story / "chapters" / "riyadh-1980.yaml"
    text = open_doc(client, path)
    ident = T.TextDocumentIdentifier(uri(path))
    at = pos_of(text, "goto: stairwell", len("goto: "))
    got = await client.text_document_definition_async(T.DefinitionParams(ident, at))
    assert got.uri == uri(path) and got.range.start == pos_of(text, "\n  stairwell:", 3)
    # a story-wide flag: to story.yaml; a fact: to history.yaml
    manifest = (story / "story" / "story.yaml").read_text()
    here = 'if: rendering == "softened"\n        do: ['
    at = pos_of(text, here + "us_stood_aside", len(here))
    got = await client.text_document_definition_async(T.DefinitionParams(ident, at))
    assert got.uri == uri(story / "story" / "story.yaml") and got.range.start == pos_of(manifest, "us_stood_aside:")
    history = (story / "story" / "history.yaml").read_text()
    at = pos_of(text, "records: [kuwait-occupied]", len("records: ["))
    got = await client.text_document_definition_async(T.DefinitionParams(ident, at))
    assert got.uri == uri(story / "story" / "history.yaml")
    assert got.range.start == pos_of(history, "id: kuwait-occupied", len("id: "))
    refs = await client.text_document_references_async(
        T.ReferenceParams(text_document=ident, position=at, context=T.ReferenceContext(include_declaration=True))
    )
    files = {r.uri for r in refs}
    assert {uri(path), uri(story / "story" / "history.yaml"), uri(story / "story" / "story.yaml")} <= files
    at = pos_of(text, "goto: stairwell", len("goto: "))
    refs = await client.text_document_references_async(
        T.ReferenceParams(text_document=ident, position=at, context=T.ReferenceContext(include_declaration=False))
    )
    rows = text.split("\n")
    assert refs and all(rows[r.range.start.line][r.range.start.character :].startswith("stairwell") for r in refs)


async def test_rename_a_flag_across_every_file_and_refuse_a_taken_name(client: LanguageClient, story: Path):
    path = story / "chapters" / "riyadh-1980.yaml"
    text = open_doc(client, path)
    ident = T.TextDocumentIdentifier(uri(path))
    at = pos_of(text, "do: [us_stood_aside", len("do: ["))
    edit = await client.text_document_rename_async(T.RenameParams(ident, at, "us_looked_away"))
    files = set(edit.changes)
    assert uri(story / "story" / "story.yaml") in files and uri(story / "story" / "history.yaml") in files
    assert uri(path) in files and uri(story / "chapters" / "syrian-front-1984.yaml") in files
    # applied to the texts, the edit leaves a story that compiles
    from engine import compile_story

    copy = story.parent / "renamed"
    shutil.copytree(story, copy)
    for u, edits in edit.changes.items():
        p = copy / Path(u.removeprefix("file://")).relative_to(story)
        p.write_text(apply(p.read_text(), edits))
    compiled, diags = compile_story(copy)
    assert compiled is not None, [d.render() for d in diags]
    assert "us_looked_away" in (copy / "story" / "story.yaml").read_text()
    with pytest.raises(Exception, match="already"):
        await client.text_document_rename_async(T.RenameParams(ident, at, "saudi_iraq_war"))
    at = pos_of(text, "goto: stairwell", len("goto: "))
    with pytest.raises(Exception, match="already has a node 'news'"):
        await client.text_document_rename_async(T.RenameParams(ident, at, "news"))
    with pytest.raises(Exception, match="not an id"):
        await client.text_document_rename_async(T.RenameParams(ident, at, "Bad Name"))
    edit = await client.text_document_rename_async(T.RenameParams(ident, at, "the-stairs"))
    assert set(edit.changes) == {uri(path)} and len(edit.changes[uri(path)]) >= 2


def apply(text: str, edits) -> str:
    rows = text.split("\n")
    offsets = [0]
    for r in rows:
        offsets.append(offsets[-1] + len(r) + 1)
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        a = offsets[e.range.start.line] + e.range.start.character
        b = offsets[e.range.end.line] + e.range.end.character
        text = text[:a] + e.new_text + text[b:]
    return text


async def test_document_and_workspace_symbols(client: LanguageClient, story: Path):
    path = story / "chapters" / "riyadh-1980.yaml"
    open_doc(client, path)
    syms = await client.text_document_document_symbol_async(T.DocumentSymbolParams(T.TextDocumentIdentifier(uri(path))))
    by = {s.name: s for s in syms}
    assert "news" in by and by["news"].detail == "Riyadh, al-Malaz, 1980-06-12"
    assert by["rendering"].kind == T.SymbolKind.Variable
    found = await client.workspace_symbol_async(T.WorkspaceSymbolParams(query="kuwait-occ"))
    assert any(s.name == "kuwait-occupied" and s.location.uri.endswith("history.yaml") for s in found)


async def test_code_actions_for_mechanical_hints(client: LanguageClient, story: Path, signing: Path):
    path = story / "chapters" / "riyadh-1980.yaml"
    text = open_doc(client, path)
    ident = T.TextDocumentIdentifier(uri(path))

    async def actions(new: str, code: str, version: int):
        change(client, path, new, version)
        got = await wait_for(client, lambda: coded(client, path, code))
        acts = await client.text_document_code_action_async(
            T.CodeActionParams(text_document=ident, range=got[0].range, context=T.CodeActionContext(diagnostics=got))
        )
        return got[0], acts

    # the did-you-mean name
    bad = text.replace("goto: stairwell", "goto: stairwel", 1)
    d, acts = await actions(bad, "unknown-node", 50)
    fix = next(a for a in acts if a.title == "Change to 'stairwell'")
    assert apply(bad, fix.edit.changes[uri(path)]) == text
    # declare an undeclared flag
    bad = text.replace("do: [ducked = true]", "do: [ducked = true, hesitated = true]", 1)
    d, acts = await actions(bad, "unknown-flag", 51)
    fix = next(a for a in acts if a.title.startswith("Declare flag 'hesitated'"))
    fixed = apply(bad, fix.edit.changes[uri(path)])
    assert "  hesitated: {type: bool, default: false, doc:" in fixed
    change(client, path, fixed, 52)
    await wait_for(client, lambda: not coded(client, path, "unknown-flag"))
    # quote an enum value
    bad = text.replace('- if: rendering == "plain"', "- if: rendering == plain", 1)
    d, acts = await actions(bad, "unknown-flag", 53)
    fix = next(a for a in acts if a.title.startswith("Quote the value"))
    assert apply(bad, fix.edit.changes[uri(path)]) == text
    change(client, path, text, 54)

    # if:/else: around a part that asserts a fact where it can be broken
    one = signing / "chapters" / "one.yaml"
    otext = open_doc(client, one)
    got = await wait_for(client, lambda: coded(client, one, "continuity"))
    acts = await client.text_document_code_action_async(
        T.CodeActionParams(
            text_document=T.TextDocumentIdentifier(uri(one)),
            range=got[0].range,
            context=T.CodeActionContext(diagnostics=got),
        )
    )
    fix = next(a for a in acts if "holds" in a.title)
    fixed = apply(otext, fix.edit.changes[uri(one)])
    assert "if: not treaty_torn" in fixed and "else:" in fixed
    import yaml

    assert yaml.safe_load(fixed)["nodes"]["torn"]["text"][1]["if"] == "not treaty_torn"


async def test_an_id_for_a_choice_that_shares_its_destination(client: LanguageClient, signing: Path):
    one = signing / "chapters" / "one.yaml"
    text = open_doc(client, one).replace(
        "        goto: torn\n", "        goto: torn\n      - text: Walk out unsigned.\n        goto: torn\n", 1
    )
    change(client, one, text, 5)
    at = pos_of(text, "Walk out unsigned.")
    acts = await client.text_document_code_action_async(
        T.CodeActionParams(T.TextDocumentIdentifier(uri(one)), T.Range(at, at), T.CodeActionContext(diagnostics=[]))
    )
    fix = next(a for a in acts if a.title.startswith("Give this choice an id"))
    fixed = apply(text, fix.edit.changes[uri(one)])
    import yaml

    choices = yaml.safe_load(fixed)["nodes"]["hall"]["choices"]
    assert choices[2]["id"] == "walk-out-unsigned" and "id" not in choices[1]


async def test_a_choice_on_one_line_hovers_goes_to_completes_and_takes_an_id(
    client: LanguageClient, story: Path, signing: Path
):
    """Issue 26.1: the node after `->`, the flags of `if` and `do` in a one-line choice are names
    like any other; a misspelt node is reported at its own column; the id action writes the long form."""
    path = story / "chapters" / "riyadh-1980.yaml"
    text = open_doc(client, path)
    line = "      - Wait for the driver. -> ministry if not stayed_home do loose_talk = true\n"
    anchor = "    choices:\n      - text: Go down to the car with the driver.\n"
    assert anchor in text
    text = text.replace(anchor, anchor.replace("    choices:\n", "    choices:\n" + line), 1)
    change(client, path, text, 70)
    ident = T.TextDocumentIdentifier(uri(path))
    at = pos_of(text, line, line.index("ministry"))
    got = await client.text_document_hover_async(T.HoverParams(ident, at))
    assert got is not None and "node **ministry**" in got.contents.value
    refs = await client.text_document_references_async(
        T.ReferenceParams(text_document=ident, position=at, context=T.ReferenceContext(include_declaration=False))
    )
    assert at in [r.range.start for r in refs]
    got = await client.text_document_definition_async(T.DefinitionParams(ident, at))
    assert got.range.start == pos_of(text, "\n  ministry:", 3)
    flag = await client.text_document_hover_async(T.HoverParams(ident, pos_of(text, line, line.index("stayed_home"))))
    assert flag is not None and "Mansour stayed with Noura" in flag.contents.value
    at = pos_of(text, line, line.index("loose_"))
    got = await client.text_document_definition_async(T.DefinitionParams(ident, at))
    assert got.range.start == pos_of(text, "  loose_talk:", 2)
    typing = text.replace(line, "      - Wait for the driver. -> minis\n", 1)
    change(client, path, typing, 71)
    at = pos_of(typing, "-> minis", len("-> minis"))
    items = await client.text_document_completion_async(T.CompletionParams(ident, at))
    assert "ministry" in [i.label for i in items.items]
    typing = text.replace(line, "      - Wait for the driver. -> ministry if not stayed_ho\n", 1)
    change(client, path, typing, 72)
    at = pos_of(typing, "if not stayed_ho", len("if not stayed_ho"))
    items = await client.text_document_completion_async(T.CompletionParams(ident, at))
    assert "stayed_home" in [i.label for i in items.items]
    bad = text.replace(line, line.replace("-> ministry", "-> ministy"), 1)
    change(client, path, bad, 73)
    # wait for this version's finding: the one for "minis", typed above, may still be published
    diags = await wait_for(client, lambda: [d for d in coded(client, path, "unknown-node") if "'ministy'" in d.message])
    start = pos_of(bad, "ministy if not")
    assert diags[0].range.start == start  # the node alone, not the rest of the line
    assert diags[0].range.end == T.Position(start.line, start.character + len("ministy"))
    change(client, path, open_doc(client, path, version=74), 75)

    one = signing / "chapters" / "one.yaml"
    text = open_doc(client, one).replace(
        "        goto: torn\n", "        goto: torn\n      - 'Walk out: unsigned. -> torn if not treaty_torn'\n", 1
    )
    change(client, one, text, 80)
    at = pos_of(text, "Walk out")
    acts = await client.text_document_code_action_async(
        T.CodeActionParams(T.TextDocumentIdentifier(uri(one)), T.Range(at, at), T.CodeActionContext(diagnostics=[]))
    )
    fix = next(a for a in acts if a.title.startswith("Give this choice an id"))
    import yaml

    choices = yaml.safe_load(apply(text, fix.edit.changes[uri(one)]))["nodes"]["hall"]["choices"]
    want = {"text": "Walk out: unsigned.", "goto": "torn", "if": "not treaty_torn", "id": "walk-out-unsigned"}
    assert choices[2] == want


async def test_lenses_try_from_here_and_why(client: LanguageClient, story: Path):
    path = story / "chapters" / "riyadh-1980.yaml"
    text = open_doc(client, path)
    change(client, path, text, 60)
    lenses = await client.text_document_code_lens_async(T.CodeLensParams(T.TextDocumentIdentifier(uri(path))))
    stair = [lens for lens in lenses if lens.range.start == pos_of(text, "\n  stairwell:", 3)]
    assert {lens.command.command for lens in stair} == {"chronicle.tryFromHere", "chronicle.why"}
    cmd = next(lens.command for lens in stair if lens.command.command == "chronicle.tryFromHere")
    got = await client.workspace_execute_command_async(T.ExecuteCommandParams(cmd.command, cmd.arguments))
    assert "play on from here: chronicle play --story" in got["text"] and "--at stairwell" in got["command"]
    assert "1. " in got["text"]  # the scene's choices, numbered as play shows them
    cmd = next(lens.command for lens in stair if lens.command.command == "chronicle.why")
    got = await client.workspace_execute_command_async(T.ExecuteCommandParams(cmd.command, cmd.arguments))
    assert "stairwell" in got["text"] and "replay" in got["text"]


async def test_bad_input_never_takes_the_server_down(client: LanguageClient, story: Path, tmp_path: Path):
    path = story / "chapters" / "tehran-1999.yaml"
    text = open_doc(client, path)
    ident = T.TextDocumentIdentifier(uri(path))
    # broken YAML: a diagnostic, and navigation still works from the last good reading
    broken = text.replace("nodes:\n", "nodes:\n  [unclosed\n", 1)
    change(client, path, broken, 70)
    await wait_for(client, lambda: coded(client, path, "yaml-syntax"))
    # a half-typed key
    half = text.replace("nodes:\n", "nodes:\n  sta\n", 1)
    change(client, path, half, 71)
    await wait_for(client, lambda: client.diagnostics.get(uri(path)))
    got = await client.text_document_completion_async(T.CompletionParams(ident, pos_of(half, "  sta\n", 5)))
    assert got is not None
    # a 10 MB paste: the server still answers
    huge = text + "\n# " + "x" * (10 * 1024 * 1024) + "\n"
    change(client, path, huge, 72)
    got = await asyncio.wait_for(client.text_document_hover_async(T.HoverParams(ident, T.Position(0, 0))), timeout=WAIT)
    change(client, path, text, 73)
    # a file outside any story, and a folder that is not a story
    stray = tmp_path / "notes.yaml"
    stray.write_text("nodes: {a: 1}\n")
    open_doc(client, stray)
    where = T.TextDocumentIdentifier(uri(stray))
    got = await client.text_document_completion_async(T.CompletionParams(where, T.Position(0, 3)))
    assert got is None or not got.items
    fake = tmp_path / "not-a-story" / "chapters"
    fake.mkdir(parents=True)
    (fake / "x.yaml").write_text("id: x\n")
    open_doc(client, fake / "x.yaml")
    # a request for a file nobody opened is answered from the disk
    unopened = story / "chapters" / "syrian-front-1984.yaml"
    where = T.TextDocumentIdentifier(uri(unopened))
    syms = await client.text_document_document_symbol_async(T.DocumentSymbolParams(where))
    assert syms
    gone = story / "chapters" / "nowhere.yaml"
    got = await client.text_document_hover_async(T.HoverParams(T.TextDocumentIdentifier(uri(gone)), T.Position(0, 0)))
    assert got is None
    assert uri(stray) not in client.diagnostics or not client.diagnostics[uri(stray)]
    await wait_for(client, lambda: not coded(client, path, "yaml-syntax"))


async def test_the_server_never_wrote_a_story_file(client: LanguageClient, story: Path):
    # (runs last in this module: every edit above was the client's buffer, never the disk)
    now = snapshot(story)
    assert now == BEFORE[str(story)]


BEFORE: dict[str, dict[str, bytes]] = {}


@pytest.fixture(scope="module", autouse=True)
def _remember(story: Path):
    BEFORE[str(story)] = snapshot(story)


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def test_garbage_json_rpc_gets_errors_not_a_crash(tmp_path: Path):
    """Bytes that are not JSON, JSON that is not a request, a request for a method nobody has, a
    request with broken params: the server answers what it can and goes on serving."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "engine",
        "lsp",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=tmp_path,
    )
    assert proc.stdin is not None and proc.stdout is not None
    init = b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "rootUri": "file:///nowhere"}}'
    junk = [
        frame(init),
        b"this is not a header\r\n\r\n",
        frame(b"{not json"),
        frame(b"[1, 2, 3]"),
        frame(b'{"jsonrpc": "2.0", "id": 7, "method": "no/such/method"}'),
        frame(b'{"jsonrpc": "2.0", "id": 8, "method": "textDocument/hover", "params": {"oops": 1}}'),
        frame(b'{"jsonrpc": "2.0", "id": 9, "method": "workspace/symbol", "params": {"query": ""}}'),
    ]
    for chunk in junk:
        proc.stdin.write(chunk)
    await proc.stdin.drain()

    async def read_message() -> dict:
        length = 0
        while True:
            line = await proc.stdout.readline()
            assert line, "the server closed its output"
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            if line in (b"\r\n", b"\n") and length:
                break
        return json.loads(await proc.stdout.readexactly(length))

    answers = {}
    while 9 not in answers:
        msg = await asyncio.wait_for(read_message(), timeout=WAIT)
        if "id" in msg:
            answers[msg["id"]] = msg
    assert "capabilities" in answers[1]["result"]
    assert answers[7]["error"]["code"] == -32601  # method not found
    assert "error" in answers[8]  # invalid params: an error, and the server goes on
    assert answers[9]["result"] == []
    proc.stdin.write(frame(b'{"jsonrpc": "2.0", "id": 10, "method": "shutdown"}'))
    proc.stdin.write(frame(b'{"jsonrpc": "2.0", "method": "exit"}'))
    await proc.stdin.drain()
    while 10 not in answers:
        msg = await asyncio.wait_for(read_message(), timeout=WAIT)
        if "id" in msg:
            answers[msg["id"]] = msg
    assert await asyncio.wait_for(proc.wait(), timeout=WAIT) == 0


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=[sys.executable, "-m", "engine", "lsp", "--check-after", "0.3"]),
)
async def client16(lsp_client: LanguageClient, story: Path):
    """A client that offers no position encoding, so LSP's default holds: UTF-16 code units."""
    caps = client_capabilities("neovim")
    caps.general.position_encodings = None
    await lsp_client.initialize_session(T.InitializeParams(capabilities=caps, root_uri=story.as_uri()))
    yield
    await lsp_client.shutdown_session()


async def _columns_in_units(client: LanguageClient, root: Path, codec: str, width: int) -> None:
    """A broken goto after an emoji and an Arabic letter: its range, and a definition asked for
    from inside the target, in the client's units (`codec`, `width` bytes a unit)."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "codes" / "_base", root)
    path = root / "chapters" / "one.yaml"
    good = path.read_text(encoding="utf-8")
    long_form = "      - text: Sign.\n        goto: signed\n        canon: true"
    assert long_form in good
    fixed = good.replace(long_form, '      - {text: "\U0001f600 \u0645 Sign.", goto: signed, canon: true}')
    path.write_text(fixed, encoding="utf-8")
    bad = fixed.replace("goto: signed,", "goto: signd,")
    open_doc(client, path, bad, version=1)
    d = (await wait_for(client, lambda: coded(client, path, "unknown-node")))[0]
    line = bad.count("\n", 0, bad.index("goto: signd"))
    row = bad.split("\n")[line]
    col = row.index("signd")  # in characters

    def units(c: int) -> int:
        return len(row[:c].encode(codec)) // width

    assert units(col) > col  # the line is one where the counts differ
    assert d.range.start == T.Position(line, units(col))
    assert d.range.end == T.Position(line, units(col + len("signd")))
    change(client, path, fixed, 2)
    await wait_for(client, lambda: uri(path) in client.diagnostics and not coded(client, path, "unknown-node"))
    at = T.Position(line, units(col + 2))  # inside "signed"
    got = await client.text_document_definition_async(T.DefinitionParams(T.TextDocumentIdentifier(uri(path)), at))
    assert got is not None and got.range.start == pos_of(fixed, "\n  signed:", 3)


async def test_columns_are_counted_in_the_utf8_units_the_client_asked_for(client: LanguageClient, tmp_path: Path):
    # Neovim offers utf-8 first, and the server takes the client's first choice it supports
    await _columns_in_units(client, tmp_path / "emoji8", "utf-8", 1)


async def test_columns_are_counted_in_utf16_units_by_default(client16: LanguageClient, tmp_path: Path):
    await _columns_in_units(client16, tmp_path / "emoji16", "utf-16-le", 2)


def _checks_running(root: Path) -> list[int]:
    """Pids of the whole-story checks running on `root` (the server's `checkworker` children)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"engine.lsp.checkworker" in argv and str(root).encode() in argv:
            pids.append(int(proc.name))
    return pids


async def test_an_edit_stops_the_running_check(client: LanguageClient, tmp_path: Path):
    """The whole check runs in a child after a pause; an edit while it runs stops it at once
    (it would otherwise hold a core and up to its memory bound for a minute), and the check
    of the new text starts after the next pause."""
    from conftest import counter_hub

    root = counter_hub(tmp_path / "hub", 60)  # 4**60 states: this check runs until a bound stops it
    path = root / "chapters" / "one.yaml"
    text = open_doc(client, path)
    first = await wait_for(client, lambda: _checks_running(root))
    change(client, path, text.replace("The hub.", "The hub, again."), 2)
    await wait_for(client, lambda: not set(first) & set(_checks_running(root)))
    # after the pause a new check of the edited text starts (and is stopped when the file closes)
    await wait_for(client, lambda: _checks_running(root))
    client.text_document_did_close(T.DidCloseTextDocumentParams(T.TextDocumentIdentifier(uri(path))))

"""``svcmod server`` driven by a real LSP client (pytest-lsp) over stdio, as an editor drives it."""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from tests.conftest import REPO, svcmod_executable, write  # noqa: E402

UNSAFE_AND_SAFE = """\
import logging

import requests


def fetch(url):
    logging.warn("fetching %s", url)
    first = requests.get(url)
    second = requests.post(url, data={})
    return first, second
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[svcmod_executable(), "server"]))
async def client(lsp_client: LanguageClient):
    lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:  # an editor starts watching the files asked for
        lsp_client.registrations.extend(params.registrations)

    yield
    await lsp_client.shutdown_session()


async def start(client: LanguageClient, root: Path, options: Any = None, editor: str = "visual-studio-code"):
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(editor), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=options))


async def open_file(client: LanguageClient, path: Path, text: Optional[str] = None) -> List[types.Diagnostic]:
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=path.read_text(encoding="utf-8") if text is None else text)))
    return await diagnostics_of(client, uri)


async def diagnostics_of(client: LanguageClient, uri: str) -> List[types.Diagnostic]:
    """The diagnostics of ``uri`` once published (the caller took the last ones out)."""
    for _ in range(400):
        published = client.diagnostics.get(uri)
        if published is not None:
            return list(published)
        await asyncio.sleep(0.025)
    raise AssertionError(f"no diagnostics for {uri}")


async def change(client: LanguageClient, path: Path, text: str, version: int) -> List[types.Diagnostic]:
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    return await diagnostics_of(client, uri)


async def actions_at(client: LanguageClient, path: Path, diagnostic: Optional[types.Diagnostic] = None,
                     only: Optional[List[str]] = None) -> List[types.CodeAction]:
    where = diagnostic.range if diagnostic is not None else types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    found = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=where,
        context=types.CodeActionContext(diagnostics=[diagnostic] if diagnostic else [], only=only)))
    actions = []
    for action in found or []:
        if action.edit is None:
            action = await client.code_action_resolve_async(action)
        actions.append(action)
    return actions


def applied(text: str, action: types.CodeAction) -> str:
    """``text`` with the action's edits made, as an editor makes them (UTF-16 positions, LSP lines)."""
    from svcmod.integrations.server.text import Text, from_client
    assert action.edit is not None and action.edit.document_changes, action
    document = Text(text)
    edits = [edit for change in action.edit.document_changes for edit in change.edits]
    spans = []
    for edit in edits:
        start, end = edit.range.start, edit.range.end
        spans.append((document.offset(start.line, from_client(document.line(start.line), start.character, "utf-16")),
                      document.offset(end.line, from_client(document.line(end.line), end.character, "utf-16")),
                      edit.new_text))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([svcmod_executable(), *args], cwd=cwd, capture_output=True, timeout=120)


def fixed_by_cli(tmp_path: Path, project: Path, name: str, *flags: str) -> str:
    """What ``svcmod lint --fix FLAGS`` writes for ``project/name``, run on a copy of the project."""
    copy = tmp_path / "cli-copy"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(project, copy)
    cli("lint", "--fix", "--no-cache", *flags, name, cwd=copy)
    return (copy / name).read_bytes().decode("utf-8")


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    root = tmp_path / "monorepo"
    shutil.copytree(REPO / "fixtures" / "monorepo", root)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write(tmp_path / "project", {"pyproject.toml": "[tool.svcmod]\ndefault-timeout = 7\n",
                                        "app.py": UNSAFE_AND_SAFE})


@pytest.mark.asyncio
async def test_diagnostics_of_a_monorepo_file_are_those_of_lint(client: LanguageClient, monorepo: Path):
    await start(client, monorepo)
    name = "services/notifications/notifications/email.py"
    diagnostics = await open_file(client, monorepo / name)

    expected = json.loads(cli("lint", "--format", "json", "--no-cache", name, cwd=monorepo).stdout)
    assert [(d.code, d.range.start.line + 1, d.range.start.character + 1, d.range.end.line + 1,
             d.range.end.character + 1, d.message) for d in diagnostics] == \
        [(f["code"], f["location"]["row"], f["location"]["column"], f["end_location"]["row"],
          f["end_location"]["column"], f["message"]) for f in expected]
    # the root's declared deprecations and the service's own default-timeout (15) both apply
    assert {"SVC401", "SVC402", "SVC102"} <= {d.code for d in diagnostics}
    smtp = next(d for d in diagnostics if d.code == "SVC102")
    assert smtp.data["fix"] == "unsafe" and "15" in smtp.data["fixMessage"]
    assert smtp.code_description.href.startswith("https://")
    assert smtp.source == "svcmod" and smtp.severity == types.DiagnosticSeverity.Warning
    assert next(d for d in diagnostics if d.code == "SVC401").data["fix"] == "safe"


@pytest.mark.asyncio
async def test_every_diagnostic_links_the_page_lint_links_even_without_references(client: LanguageClient,
                                                                                 project: Path):
    # SVC204's documentation has no References section: the link is still svcmod's page of the rule
    source = ("import tenacity\n\n\n@tenacity.retry(stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_random(0, 1),\n"
              "                retry=tenacity.retry_if_exception_type(Exception))\ndef fetch(client):\n"
              "    return client.fetch()\n")
    write(project, {"broad.py": source})
    await start(client, project)
    diagnostics = await open_file(client, project / "broad.py") + await open_file(client, project / "app.py")
    expected = {(f["code"], f["url"]) for f in json.loads(
        cli("lint", "--format", "json", "--no-cache", "broad.py", "app.py", cwd=project).stdout)}
    assert {(d.code, d.code_description.href) for d in diagnostics} == expected
    assert "SVC204" in {code for code, _ in expected}


@pytest.mark.asyncio
async def test_each_workspace_folder_gets_its_own_configuration(client: LanguageClient, monorepo: Path):
    folders = [monorepo / "services" / "notifications", monorepo / "services" / "orders"]
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("neovim"), root_uri=folders[0].as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders]))
    source = "import requests\n\n\ndef ping(url):\n    return requests.get(url)\n"
    messages = []
    for folder in folders:
        path = folder / "ping.py"
        path.write_text(source, encoding="utf-8")
        [diagnostic] = await open_file(client, path)
        messages.append(diagnostic.data["fixMessage"])
    # notifications sets default-timeout = 15; orders keeps the root's 10
    assert messages == ["add timeout=15", "add timeout=10"]


def two_folders(tmp_path: Path) -> List[Path]:
    """Two projects of one workspace, with the same module and no configuration of their own."""
    folders = [tmp_path / "billing", tmp_path / "shipping"]
    for folder in folders:
        write(folder, {"pyproject.toml": "[project]\nname = 'x'\n", "app.py": UNSAFE_AND_SAFE})
    return folders


async def codes_per_folder(client: LanguageClient, folders: List[Path], options: Any = None) -> List[List[str]]:
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=folders[0].parent.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
        initialization_options=options))
    await asyncio.sleep(0.3)  # the server asks for the folders' settings once initialized
    return [sorted(d.code for d in await open_file(client, folder / "app.py")) for folder in folders]


@pytest.mark.asyncio
async def test_settings_per_workspace_folder_from_initialization_options(client: LanguageClient, tmp_path: Path):
    folders = two_folders(tmp_path)
    found = await codes_per_folder(client, folders, {"svcmod": {
        "ignore": ["SVC101"], "folders": {folders[1].as_uri(): {"ignore": ["SVC307"]}}}})
    # the second folder's own ignore replaces the one given for every folder
    assert found == [["SVC307"], ["SVC101", "SVC101"]]


@pytest.mark.asyncio
async def test_settings_per_workspace_folder_from_workspace_configuration(client: LanguageClient, tmp_path: Path):
    folders = two_folders(tmp_path)
    client.set_configuration({"svcmod": {"select": ["SVC3"]}}, scope_uri=folders[0].as_uri())
    client.set_configuration({"svcmod": {"enable": False}}, scope_uri=folders[1].as_uri())
    assert await codes_per_folder(client, folders) == [["SVC307"], []]


@pytest.mark.asyncio
async def test_a_session_of_a_shared_library_is_followed_as_lint_follows_it(client: LanguageClient,
                                                                          monorepo: Path):
    await start(client, monorepo)
    name = "services/orders/orders/catalog.py"
    diagnostics = await open_file(client, monorepo / name)

    found = json.loads(cli("lint", "--format", "json", "--no-cache", ".", cwd=monorepo).stdout)
    expected = [(f["code"], f["location"]["row"]) for f in found if f["filename"].endswith("catalog.py")]
    # acme.http's module-level session and the one service_session() returns, in libs/acme-framework
    assert [(d.code, d.range.start.line + 1) for d in diagnostics] == expected == \
        [("SVC101", 9), ("SVC101", 14), ("SVC101", 18)]

    # the library changes on disk (saved in the editor, or by git): the index follows
    library = monorepo / "libs/acme-framework/acme/http.py"
    library.write_text(library.read_text(encoding="utf-8").replace("session = requests.Session()",
                                                                    "session = None"), encoding="utf-8")
    uri = (monorepo / name).as_uri()
    client.diagnostics.pop(uri)
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=library.as_uri())))
    assert [d.range.start.line + 1 for d in await diagnostics_of(client, uri)] == [14, 18]


@pytest.mark.asyncio
async def test_quick_fixes_one_by_one_give_what_lint_fix_unsafe_writes(client: LanguageClient, project: Path,
                                                                      tmp_path: Path):
    await start(client, project)
    path = project / "app.py"
    text = UNSAFE_AND_SAFE
    diagnostics = await open_file(client, path)
    assert sorted(d.code for d in diagnostics) == ["SVC101", "SVC101", "SVC307"]
    version = 1
    while diagnostics:
        target = diagnostics[-1]
        fixes = [a for a in await actions_at(client, path, target, only=["quickfix"]) if not a.title.startswith("Ignore")]
        assert len(fixes) == 1, fixes
        fix = fixes[0]
        assert fix.kind == types.CodeActionKind.QuickFix
        assert ("(unsafe)" in fix.title) == (target.code == "SVC101")
        assert fix.is_preferred == (target.code != "SVC101")
        new = applied(text, fix)
        assert new != text
        # the quick fix changes this finding only: the other SVC101 stays
        text = new
        version += 1
        left = await change(client, path, text, version)
        assert len(left) == len(diagnostics) - 1, (target, left)
        diagnostics = left
    assert text == fixed_by_cli(tmp_path, project, "app.py", "--unsafe-fixes")
    assert "timeout=7" in text


#: Fixable findings of three codes, two of one code, and a fix (retrying -> tenacity) whose result
#: another rule then fixes (SVC202: wait=): a quick fix brings that along, as `svcmod lint --fix` does.
SEVERAL = """\
import logging

import requests
import retrying


@retrying.retry(stop_max_attempt_number=3)
def poll(url):
    logging.warn("polling %s", url)
    return requests.get(url)


def push(url):
    return requests.post(url, data={})
"""


@pytest.mark.asyncio
async def test_each_quick_fix_writes_what_lint_fix_writes_when_its_finding_is_the_only_one(
        client: LanguageClient, project: Path, tmp_path: Path):
    path = project / "app.py"
    path.write_text(SEVERAL, encoding="utf-8")
    await start(client, project)
    diagnostics = await open_file(client, path)
    assert sorted(d.code for d in diagnostics) == ["SVC101", "SVC101", "SVC202", "SVC301", "SVC307"]
    fixable = [d for d in diagnostics if d.data["fix"]]
    lines = SEVERAL.splitlines(keepends=True)
    results = {}
    for target in fixable:
        [fix] = [a for a in await actions_at(client, path, target, only=["quickfix"])
                 if not a.title.startswith("Ignore")]
        # the same file with every other fixable finding silenced: this finding is its only one
        alone = list(lines)
        for other in fixable:
            if other is not target:
                number = other.range.start.line
                alone[number] = alone[number].rstrip("\n") + f"  # noqa: {other.code}\n"
        (project / "app.py").write_text("".join(alone), encoding="utf-8")
        expected = fixed_by_cli(tmp_path, project, "app.py", "--unsafe-fixes")
        for other in fixable:
            expected = expected.replace(f"  # noqa: {other.code}", "")
        assert applied(SEVERAL, fix) == expected, target
        assert expected != SEVERAL
        results[target.code] = expected
    fixed = results["SVC301"]
    assert "wait=tenacity.wait_random_exponential" in fixed and "requests.get(url)\n" in fixed


@pytest.mark.asyncio
async def test_fix_all_applies_safe_fixes_then_unsafe_ones_when_the_setting_says_so(
        client: LanguageClient, project: Path, tmp_path: Path):
    await start(client, project)
    path = project / "app.py"
    await open_file(client, path)
    [fix_all] = await actions_at(client, path, only=["source.fixAll"])
    assert fix_all.kind == "source.fixAll.svcmod"
    assert applied(UNSAFE_AND_SAFE, fix_all) == fixed_by_cli(tmp_path, project, "app.py")

    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"svcmod": {"unsafeFixes": True}}))
    await asyncio.sleep(0.3)
    [fix_all] = await actions_at(client, path, only=["source.fixAll.svcmod"])
    assert applied(UNSAFE_AND_SAFE, fix_all) == fixed_by_cli(tmp_path, project, "app.py", "--unsafe-fixes")
    # a quick-fix request gets no fix-all, a fix-all request no quick fixes
    assert all(a.kind == "quickfix" for a in await actions_at(client, path, only=["quickfix"]))


@pytest.mark.asyncio
async def test_actions_carry_their_edits_for_a_client_without_resolve(client: LanguageClient, project: Path,
                                                                      tmp_path: Path):
    await start(client, project, editor="emacs")
    path = project / "app.py"
    diagnostics = await open_file(client, path)
    found = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=diagnostics[0].range,
        context=types.CodeActionContext(diagnostics=[])))
    # the finding's own actions carry their edits; fix-all (the whole file, fixed and verified) is
    # made only when chosen: a command whose edit the server then asks the editor to apply
    [fix_all] = [action for action in found if isinstance(action, types.Command)]
    assert fix_all.title.startswith("svcmod: fix all")
    assert all(action.edit is not None for action in found if action is not fix_all)
    edits: List[types.WorkspaceEdit] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        edits.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=fix_all.command, arguments=fix_all.arguments))
    for _ in range(400):
        if edits:
            break
        await asyncio.sleep(0.025)
    assert applied(UNSAFE_AND_SAFE, types.CodeAction(title="", edit=edits[0])) == fixed_by_cli(tmp_path, project, "app.py")
    # asked for by its kind (on save), fix-all comes with its edit
    [on_save] = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=diagnostics[0].range,
        context=types.CodeActionContext(diagnostics=[], only=["source.fixAll"])))
    assert on_save.edit == edits[0]


@pytest.mark.asyncio
async def test_ignore_for_this_line_silences_the_finding(client: LanguageClient, project: Path):
    await start(client, project)
    path = project / "app.py"
    diagnostics = await open_file(client, path)
    target = next(d for d in diagnostics if d.code == "SVC307")
    [ignore] = [a for a in await actions_at(client, path, target) if a.title == "Ignore SVC307 for this line"]
    text = applied(UNSAFE_AND_SAFE, ignore)
    assert '    logging.warn("fetching %s", url)  # noqa: SVC307\n' in text
    left = await change(client, path, text, 2)
    assert sorted(d.code for d in left) == ["SVC101", "SVC101"]

    # a second code on a line that already has a noqa comment joins it
    target = left[0]
    [ignore] = [a for a in await actions_at(client, path, target) if a.title.startswith("Ignore")]
    line = applied(text, ignore).splitlines()[target.range.start.line]
    assert line.endswith("  # noqa: SVC101"), line


@pytest.mark.asyncio
async def test_hover_on_a_finding_shows_the_rule_page(client: LanguageClient, project: Path):
    await start(client, project)
    path = project / "app.py"
    diagnostics = await open_file(client, path)
    target = next(d for d in diagnostics if d.code == "SVC101")
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=target.range.start))
    assert hover is not None and hover.contents.kind == types.MarkupKind.Markdown
    page = hover.contents.value
    assert page.startswith("# SVC101 requests-without-timeout")
    assert "## Example" in page and "## Use instead" in page and "Fix safety" in page
    nothing = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=types.Position(line=0, character=0)))
    assert nothing is None


@pytest.mark.asyncio
async def test_config_and_settings_changes_relint_open_documents(client: LanguageClient, project: Path):
    await start(client, project, options={"settings": {"ignore": ["SVC307"]}})
    path = project / "app.py"
    uri = path.as_uri()
    assert sorted(d.code for d in await open_file(client, path)) == ["SVC101", "SVC101"]

    (project / "pyproject.toml").write_text('[tool.svcmod]\nignore = ["SVC101"]\n', encoding="utf-8")
    client.diagnostics.pop(uri)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
        uri=(project / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
    assert await diagnostics_of(client, uri) == []

    client.diagnostics.pop(uri)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"svcmod": {"ignore": [], "select": ["SVC3"]}}))
    assert [d.code for d in await diagnostics_of(client, uri)] == ["SVC307"]

    client.diagnostics.pop(uri)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"svcmod": {"enable": False}}))
    assert await diagnostics_of(client, uri) == []


@pytest.mark.asyncio
async def test_syntax_error_while_typing_is_svc901_on_its_line_and_serving_goes_on(client: LanguageClient,
                                                                                   project: Path):
    await start(client, project)
    path = project / "app.py"
    await open_file(client, path)
    broken = UNSAFE_AND_SAFE.replace("second = requests.post(url, data={})", "second = requests.post(url, data={")
    diagnostics = await change(client, path, broken, 2)
    [error] = diagnostics
    assert error.code == "SVC901" and error.severity == types.DiagnosticSeverity.Error
    assert error.range.start.line == 8 and "cannot parse" in error.message
    assert sorted(d.code for d in await change(client, path, UNSAFE_AND_SAFE, 3)) == ["SVC101", "SVC101", "SVC307"]
    # also in code no rule looks at, as in a file named to svcmod lint
    [error] = await change(client, path, "def total(values:\n    return sum(values)\n", 4)
    assert error.code == "SVC901" and error.range.start.line == 0


@pytest.mark.asyncio
async def test_bad_config_is_one_error_message_and_the_server_keeps_running(client: LanguageClient,
                                                                            project: Path):
    (project / "pyproject.toml").write_text("[tool.svcmod]\ndefault-timout = 7\n", encoding="utf-8")
    await start(client, project)
    path = project / "app.py"
    [diagnostic] = await open_file(client, path)
    assert diagnostic.code == "SVC901" and "default-timout" in diagnostic.message
    await change(client, path, UNSAFE_AND_SAFE + "\n", 2)
    await change(client, path, UNSAFE_AND_SAFE, 3)
    errors = [m for m in client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "default-timout" in errors[0].message and "did you mean" in errors[0].message

    (project / "pyproject.toml").write_text("[tool.svcmod]\ndefault-timeout = 7\n", encoding="utf-8")
    client.diagnostics.pop(path.as_uri())
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
        uri=(project / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
    assert len(await diagnostics_of(client, path.as_uri())) == 3


@pytest.mark.asyncio
async def test_huge_buffer_is_refused_as_lint_refuses_it(client: LanguageClient, project: Path):
    (project / "pyproject.toml").write_text("[tool.svcmod]\nmax-file-size = 100\n", encoding="utf-8")
    await start(client, project)
    [diagnostic] = await open_file(client, project / "app.py")
    assert diagnostic.code == "SVC901" and "max-file-size" in diagnostic.message


@pytest.mark.asyncio
async def test_excluded_files_and_other_languages_get_no_diagnostics(client: LanguageClient, monorepo: Path):
    await start(client, monorepo)
    generated = monorepo / "services/payments/payments/proto/fraud_pb2_grpc.py"
    assert await open_file(client, generated, "import requests\nrequests.get('x')\n") == []
    notes = monorepo / "notes.txt"
    notes.write_text("requests.get(url)\n", encoding="utf-8")
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=notes.as_uri(), language_id="plaintext", version=1, text="requests.get(url)\n")))
    assert await diagnostics_of(client, notes.as_uri()) == []


def test_version_and_lint_do_not_import_the_server_libraries(tmp_path: Path):
    code = ("import sys\nfrom svcmod.cli.main import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n"
            "    pass\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]", out


def test_a_rule_that_crashes_gives_svc901_for_that_buffer_only(tmp_path: Path, monkeypatch):
    from svcmod.lint_rules.deprecations import logging_warn
    from svcmod.run.buffer import BufferChecks

    rule = next(value for value in vars(logging_warn).values()
                if isinstance(value, type) and getattr(value, "code", "") == "SVC307")

    def crash(self, node):
        raise ZeroDivisionError("a bug in the rule")

    monkeypatch.setattr(rule, "visit_Call", crash, raising=False)
    checks = BufferChecks()
    result = checks.check(tmp_path / "app.py", "app.py", UNSAFE_AND_SAFE.encode())
    [finding] = result.findings
    assert finding.code == "SVC901" and "ZeroDivisionError" in finding.message
    clean = checks.check(tmp_path / "other.py", "other.py", b"import requests\nrequests.get(u)\n")
    assert [f.code for f in clean.findings] == ["SVC101"]


def _settings(raw: Dict[str, Any]):
    from svcmod.integrations.server.settings import Settings
    return Settings().updated(raw)


def test_settings_in_every_shape_editors_send_them():
    assert _settings({"svcmod": {"select": ["svc1, SVC3"]}})[0].select == ("SVC1", "SVC3")
    assert _settings({"settings": {"unsafeFixes": True}})[0].unsafe_fixes is True
    settings, problems = _settings({"enable": "yes", "selct": []})
    assert settings.enable is True
    assert problems == ["settings: enable: expected true or false, got 'yes'",
                        "settings: unknown setting 'selct' (known: enable, select, ignore, unsafeFixes, config, "
                        "logLevel, lintDelay)"]

"""A save of a module of the project updates its entry in ``svcmod server``'s project index (no
rebuild when that gives the same index) and checks again the open documents it may change."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

from tests.conftest import REPO, svcmod_executable  # noqa: E402
from tests.test_server import cli, diagnostics_of, open_file, start  # noqa: E402

DEPENDENT = "services/orders/orders/catalog.py"  # uses acme.http's sessions
UNRELATED = "services/orders/orders/fx.py"  # imports nothing of the project
LIBRARY = "libs/acme-framework/acme/http.py"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[svcmod_executable(), "server"]))
async def client(lsp_client: LanguageClient):
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        pass

    yield
    await lsp_client.shutdown_session()


def linted(monorepo: Path, name: str) -> list:
    found = json.loads(cli("lint", "--format", "sarif", "--no-cache", ".", cwd=monorepo).stdout)["runs"][0]["results"]
    return sorted(r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in found
                  if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == name)


async def save(client: LanguageClient, monorepo: Path, *changes: str) -> list:
    """The library saved with each of ``changes`` (old, new, old, new…) made; the dependent's
    diagnostics (their lines) then."""
    library = monorepo / LIBRARY
    text = library.read_text(encoding="utf-8")
    for old, new in zip(changes[::2], changes[1::2]):
        assert old in text
        text = text.replace(old, new)
    library.write_text(text, encoding="utf-8")
    uri = (monorepo / DEPENDENT).as_uri()
    client.diagnostics.pop(uri)
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=library.as_uri())))
    return sorted(d.range.start.line + 1 for d in await diagnostics_of(client, uri))


@pytest.mark.asyncio
async def test_saves_of_a_library_update_its_entry_and_the_documents_using_it(client: LanguageClient,
                                                                             tmp_path: Path):
    monorepo = tmp_path / "monorepo"
    shutil.copytree(REPO / "fixtures" / "monorepo", monorepo)
    await start(client, monorepo, {"logLevel": "debug"})
    assert sorted(d.range.start.line + 1 for d in await open_file(client, monorepo / DEPENDENT)) \
        == linted(monorepo, DEPENDENT) == [9, 14, 18]
    await open_file(client, monorepo / UNRELATED)

    def index_log() -> list:
        return ["built again" if m.message.endswith("built again") else "read again"
                for m in client.log_messages if "saved: the project index" in m.message]

    def checked(name: str) -> int:
        return sum(1 for m in client.log_messages if f"{name}: checked version" in m.message)

    # the first save: the bytes its entry was read from are not known, the index is built again
    assert await save(client, monorepo, "session = requests.Session()", "session = None") \
        == linted(monorepo, DEPENDENT) == [14, 18]
    # then each save reads that file's entry again only, and gives what lint gives
    assert await save(client, monorepo, "session = None", "session = requests.Session()") \
        == linted(monorepo, DEPENDENT) == [9, 14, 18]
    assert await save(client, monorepo, '-> requests.Session:\n    """A session that tells the called service who is '
                      'calling."""\n    named = requests.Session()', '-> dict:\n    named = {}') \
        == linted(monorepo, DEPENDENT) == [9, 18]
    # a new import may make other files lend: built again
    assert await save(client, monorepo, "import requests\n", "import requests\nimport json\n",
                      "session = requests.Session()", "session = None") == linted(monorepo, DEPENDENT) == [18]
    await client.text_document_hover_async(types.HoverParams(  # every notification before it is handled
        text_document=types.TextDocumentIdentifier(uri=(monorepo / UNRELATED).as_uri()),
        position=types.Position(line=0, character=0)))
    assert index_log() == ["built again", "read again", "read again", "built again"]
    # the document that imports nothing of the project was not checked again
    assert checked(UNRELATED.rsplit("/", 1)[-1]) == 1

"""What an editor user feels from ``svcmod server``: diagnostics after an edit, code actions, and
memory over a long session, measured by driving the real server over stdio as an editor does.

    python bench/lsp_latency.py                      # 500-line file, 30 timed edits; 1,000 edits of 50 documents
    python bench/lsp_latency.py --edits 10 --memory-edits 200   # a quicker look

Warm diagnostics: from sending ``didChange`` to receiving its ``publishDiagnostics`` (the server's
``lintDelay`` applies only to edits closer together than it; these are spaced further apart), for
a comment typed and for code typed in one function (the server then checks that function and the
top level; SVC208 also the functions calling it and those it calls), and for code typed in one method
of a class (the same stanzas as methods: that method, the top level and the methods assigning self.x).
Code actions: a ``codeAction`` request at a finding (what the editor's menu waits for: the edits
come later, on ``codeAction/resolve`` of the action chosen), then the resolve of its quick fix and
of fix-all, each timed on its own (a resolve runs the engine's fix and verification). Memory: the server's resident set (VmRSS) before and after
1,000 edits spread over 50 open documents. Issue 19's goals are printed beside the medians; nothing
is asserted (the machines are noisy).
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

from lsprotocol import types
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latency import STANZA  # noqa: E402  (bench/ is not a package; the same 500-line file as latency.py)

GOAL_MS = 50


def five_hundred_lines() -> str:
    head = "import logging\nimport subprocess\nimport time\n\nimport requests\n\n"
    body, n = head, 0
    while body.count("\n") < 500:
        body += STANZA.format(n=n)
        n += 1
    return body


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("svcmod-bench", "1")
        self.published: Dict[str, asyncio.Event] = {}
        self.diagnostics: Dict[str, List[types.Diagnostic]] = {}

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)
            self.event(params.uri).set()

        self.checked_ms: List[float] = []

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            # the server's own measure of the check alone: "<path>: checked version N in X ms: ..."
            if ": checked version " in params.message:
                self.checked_ms.append(float(params.message.split(" in ", 1)[1].split(" ms", 1)[0]))

        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams) -> None:
            print(f"server: {params.message}", file=sys.stderr)

    def event(self, uri: str) -> asyncio.Event:
        return self.published.setdefault(uri, asyncio.Event())

    async def wait(self, uri: str) -> List[types.Diagnostic]:
        await asyncio.wait_for(self.event(uri).wait(), 60)
        self.event(uri).clear()
        return self.diagnostics[uri]


def class_of(text: str) -> str:
    """``text`` with its functions made the methods of one class (each taking ``self`` first)."""
    head, _, functions = text.partition("\ndef ")
    body = ("def " + functions).replace("(session, url)", "(self, session, url)")
    return head + "\nclass Service:\n" + "".join(f"    {line}" if line.strip() else line
                                                 for line in body.splitlines(True))


async def timed_edits(client: "Client", uri: str, version: int, edits: int, edit: Callable[[int], str],
                      what: str) -> int:
    """Times ``edits`` edits of ``uri`` (each made by ``edit`` from a version number) from didChange
    to publishDiagnostics, prints them; the last version sent."""
    latencies = []
    client.checked_ms.clear()
    for _ in range(edits):
        version += 1
        await asyncio.sleep(0.2)  # a pause between edits, longer than lintDelay
        edited = edit(version)
        started = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)]))
        await client.wait(uri)
        latencies.append((time.perf_counter() - started) * 1000)
    report(f"warm diagnostics after {what}", latencies)
    print(f"  of which the check itself (svcmod's engine and rules, as in svcmod lint): median "
          f"{statistics.median(client.checked_ms):.1f} ms")
    return version


def rss_kib(pid: int) -> Optional[int]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


async def measure(server: List[str], edits: int, memory_edits: int, documents: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="svcmod-lsp-bench-"))
    try:
        (workdir / "pyproject.toml").write_text("[tool.svcmod]\n", encoding="utf-8")
        client = Client()
        await client.start_io(*server)
        capabilities = types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
            code_action=types.CodeActionClientCapabilities(
                resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]))))
        await client.initialize_async(types.InitializeParams(
            capabilities=capabilities, root_uri=workdir.as_uri(), process_id=None,
            # the file's fixes are all unsafe (timeouts): fix-all offers them with this setting
            initialization_options={"svcmod": {"unsafeFixes": True, "logLevel": "debug"}},
            workspace_folders=[types.WorkspaceFolder(uri=workdir.as_uri(), name="bench")]))
        client.initialized(types.InitializedParams())
        pid = client._server.pid  # type: ignore[union-attr]

        text = five_hundred_lines()
        path = workdir / "service.py"
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        started = time.perf_counter()
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=1, text=text)))
        diagnostics = await client.wait(uri)
        first = (time.perf_counter() - started) * 1000
        print(f"file: {text.count(chr(10))} lines, {len(diagnostics)} findings; first diagnostics "
              f"(cold: rules built, config read) {first:.0f} ms")

        version = 1
        for what, edit in (
                ("a comment typed", lambda v: text.replace("return response.json()", f"return response.json()  # {v}", 1)),
                ("code typed (a loop's count)", lambda v: text.replace("range(3)", f"range({v % 7 + 4})", 1))):
            version = await timed_edits(client, uri, version, edits, edit, f"an edit in one function: {what}")

        # the same stanzas as the methods of one class
        methods = class_of(text)
        methods_uri = (workdir / "service_class.py").as_uri()
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=methods_uri, language_id="python", version=1, text=methods)))
        await client.wait(methods_uri)
        await timed_edits(client, methods_uri, 1, edits,
                          lambda v: methods.replace("range(3)", f"range({v % 7 + 4})", 1),
                          "an edit in one method of a class: code typed (a loop's count)")

        target = next(d for d in client.diagnostics[uri] if d.code == "SVC101")
        listed, quick, fix_all = [], [], []
        for _ in range(edits):
            started = time.perf_counter()
            actions = await client.text_document_code_action_async(types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), range=target.range,
                context=types.CodeActionContext(diagnostics=[target])))
            listed.append((time.perf_counter() - started) * 1000)
            fix = next(a for a in actions or [] if a.title.startswith("SVC101"))
            every = next(a for a in actions or [] if a.kind == "source.fixAll.svcmod")
            started = time.perf_counter()
            resolved = await client.code_action_resolve_async(fix)
            assert resolved.edit is not None
            quick.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            resolved = await client.code_action_resolve_async(every)
            assert resolved.edit is not None
            fix_all.append((time.perf_counter() - started) * 1000)
            # a new version each round: nothing computed for the last one is reused
            version += 1
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(
                    text=text.replace("return response.json()", f"return response.json()  # {version}", 1))]))
            await client.wait(uri)
        report("code actions at a finding (the editor's menu: quick fix, ignore, fix-all)", listed)
        report("resolve of one quick fix (its edit: the engine fixes and verifies the file)", quick, goal=False)
        report("resolve of fix-all (every fix of the file, verified)", fix_all, goal=False)

        uris = []
        small = five_hundred_lines()[:4000]
        for number in range(documents):
            other = workdir / f"module_{number}.py"
            other.write_text(small, encoding="utf-8")
            uris.append(other.as_uri())
            client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
                uri=other.as_uri(), language_id="python", version=1, text=small)))
            await client.wait(other.as_uri())
        before = rss_kib(pid)
        checkpoints = []
        for edit in range(1, memory_edits + 1):
            target_uri = uris[edit % documents]
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=target_uri, version=edit + 1),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=small + f"# edit {edit}\n")]))
            await client.wait(target_uri)
            if edit % max(1, memory_edits // 5) == 0:
                checkpoints.append(rss_kib(pid))
        print(f"memory (VmRSS of the server) over {memory_edits} edits of {documents} documents: "
              f"{_mib(before)} before, then {', '.join(_mib(c) for c in checkpoints)}")

        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _mib(kib: Optional[int]) -> str:
    return "?" if kib is None else f"{kib / 1024:.1f} MiB"


def report(what: str, samples: List[float], goal: bool = True) -> None:
    median = statistics.median(samples)
    verdict = f" (goal <= {GOAL_MS} ms: {'met' if median <= GOAL_MS else 'NOT met'})" if goal else ""
    print(f"{what}: median {median:.1f} ms, p90 {sorted(samples)[int(len(samples) * 0.9) - 1]:.1f} ms "
          f"over {len(samples)}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=30, help="timed edits and code-action rounds")
    parser.add_argument("--memory-edits", type=int, default=1000)
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--server", default=None, help="server command (default: the svcmod beside this Python)")
    args = parser.parse_args()
    command = args.server.split() if args.server else [str(Path(sys.executable).parent / "svcmod"), "server"]
    asyncio.run(measure(command, args.edits, args.memory_edits, args.documents))


if __name__ == "__main__":
    main()

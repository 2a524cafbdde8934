"""A buffer edited again and again in ``svcmod server`` gets, at every version, the diagnostics a fresh
``svcmod lint`` of that text gives: what the server reuses from the version before never shows."""
from __future__ import annotations

import json
import random
import re
import textwrap
from pathlib import Path
from typing import Callable, List, Tuple

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

from tests.conftest import svcmod_executable, write  # noqa: E402
from tests.test_server import change, cli, open_file, start  # noqa: E402

HEAD = '''"""Orders: every function fetches, retries by hand and shells out."""
import subprocess
import time

import requests
from requests.adapters import HTTPAdapter
from tenacity import retry, stop_after_attempt

SESSION = requests.Session()
OPTIONS = {}
PING = requests.get("https://example.com/ping", **OPTIONS)  # its finding depends on "timeout" anywhere


'''
# a docstring with lines at the left margin that read like code: a function's text goes on past them
STANZA = '''def fetch_{n}(url):
    """Fetch page {n}.

def not_code():
    requests.get(url)
"""
    response = requests.get(url)
    for attempt in range(3):
        try:
            return SESSION.get(url, params={{"page": attempt}})
        except requests.ConnectionError:
            time.sleep(1)
    subprocess.run(["echo", "{n}"])
    return response.json()


'''
TAIL = '''@retry(stop=stop_after_attempt(3))
def sync(url):
    return fetch_0(url)


def refresh(url):
    return fetch_1(url)


class Client:
    def __init__(self):
        self.http = requests.Session()

    def get(self, url):
        return self.http.get(url)

    def read(self, path):
        with open(path, encoding="utf-8") as file:
            return file.read()

    def load(self, url):
        for attempt in range(3):
            try:
                return self.page(url)
            except requests.ConnectionError:
                time.sleep(1)

    def page(self, url):
        for attempt in range(2):
            try:
                return self.http.get(url, timeout=5)
            except requests.ConnectionError:
                time.sleep(1)

    def fallback(self, url):
        return self.backup.get(url)
'''
TEXT = HEAD + "".join(STANZA.format(n=n) for n in range(10)) + TAIL


def replace(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, count)
    return edit


def in_function(name: str, old: str, new: str) -> Callable[[str], str]:
    """``old`` made ``new`` in function ``name`` only."""
    def edit(text: str) -> str:
        start = text.index(f"def {name}(")
        at = text.index(old, start)
        return text[:at] + new + text[at + len(old):]
    return edit


READ = '''    def read(self, path):
        with open(path, encoding="utf-8") as file:
            return file.read()
'''
#: (what the user does, the edit): each applied to the text the one before left
EDITS: List[Tuple[str, Callable[[str], str]]] = [
    ("a comment typed in a function", in_function("fetch_3", "return response.json()", "return response.json()  # ok")),
    ("a line typed in a function", in_function("fetch_3", "    response = ", "    requests.post(url)\n    response = ")),
    ("a line deleted", in_function("fetch_1", '    subprocess.run(["echo", "1"])\n', "")),
    ("a line reindented into a block", in_function("fetch_2", '    subprocess.run(["echo", "2"])',
                                                   '            subprocess.run(["echo", "2"])')),
    ("words changed inside a docstring", in_function("fetch_5", "Fetch page 5.", "Fetch page five, slowly.")),
    ("code-like lines added inside a docstring", in_function("fetch_5", "def not_code():\n",
                                                             "def not_code():\n    requests.put(url)\n")),
    ("a docstring's closing quotes deleted", in_function("fetch_6", '    requests.get(url)\n"""\n',
                                                                  "    requests.get(url)\n")),
    ("and typed again", in_function("fetch_6", "    requests.get(url)\n    response", '    requests.get(url)\n"""\n    response')),
    ("a string opened that runs into the next function",
     in_function("fetch_7", '    return response.json()\n', '    return response.json()\n    x = """\n')),
    ("and closed", in_function("fetch_7", '    x = """\n', '    x = """"""\n')),
    ("a line dedented out of its function", in_function("fetch_8", "    return response.json()", "print(response)")),
    ("and indented back", in_function("fetch_8", "print(response)", "    return response.json()")),
    ("a top-level statement typed after a function (other functions' findings change)",
     in_function("fetch_8", "    return response.json()\n", "    return response.json()\nSESSION = object()\n")),
    ("and deleted", in_function("fetch_8", "SESSION = object()\n", "")),
    ("a blank line between functions deleted", replace('    return response.json()\n\n\ndef fetch_9',
                                                       '    return response.json()\n\ndef fetch_9')),
    ("a timeout key set in a function (the top level's finding depends on it)",
     in_function("fetch_4", "    response = requests.get(url)", '    options = {"timeout": 5}\n    response = requests.get(url)')),
    ("an edit elsewhere while that function says timeout", in_function("fetch_3", "# ok", "# fine")),
    ("the timeout key deleted", in_function("fetch_4", '    options = {"timeout": 5}\n', "")),
    ("a timeout passed in a function", in_function("fetch_4", "    response = requests.get(url)",
                                                   "    response = requests.get(url, timeout=5)")),
    ("an edit in a function after it", in_function("fetch_5", "    return response.json()",
                                                    "    return response.text")),
    ("an edit in the function saying timeout", in_function("fetch_4", "    subprocess.run(", "    subprocess.call(")),
    ("a function renamed", replace("def fetch_9(", "def fetch_nine(")),
    ("a function made async", replace("def fetch_1(", "async def fetch_1(")),
    ("a decorator added", replace("def fetch_2(", "@retry(stop=stop_after_attempt(2))\ndef fetch_2(")),
    # SVC208 (nested retry): a finding in one function depends on whether the functions it calls retry
    ("an edit in a function retrying around a call of one that retries",
     in_function("sync", "return fetch_0(url)", "return fetch_0(url)  # the first page")),
    ("a retry decorator added around a call of a function that retries",
     replace("def refresh(", "@retry(stop=stop_after_attempt(2))\ndef refresh(")),
    ("the retries of the function it calls changed", in_function("fetch_1", "range(3)", "range(5)")),
    ("a retrying function defined in another", in_function("fetch_3", "    subprocess.run(",
                                                           "    @retry\n    def helper():\n        pass\n"
                                                           "    subprocess.run(")),
    ("called under a retry elsewhere", in_function("refresh", "return fetch_1(url)", "return helper()")),
    ("and made not to retry where it is defined", in_function("fetch_3", "    @retry\n    def helper",
                                                               "    def helper")),
    ("the retry decorator removed", replace("@retry(stop=stop_after_attempt(2))\ndef refresh(", "def refresh(")),
    ("the retry loop of a function another retries around removed",
     in_function("fetch_0", "        except requests.ConnectionError:\n            time.sleep(1)\n",
                 "        except requests.ConnectionError:\n            raise\n")),
    ("a finding silenced with noqa", in_function("fetch_3", "    response = requests.get(url)",
                                                 "    response = requests.get(url)  # noqa: SVC101")),
    ("a method edited", replace("return self.http.get(url)", "return self.http.get(url, params={})")),
    # a method's findings depend on what its class's methods assign to self, and (SVC208) on whether
    # the methods it calls retry
    ("a method edited again (its finding depends on what __init__ assigns)",
     in_function("get", "params={}", "params={'q': 1}")),
    ("an edit in a method retrying around one of its class that retries",
     in_function("load", "return self.page(url)", "return self.page(url)  # the page")),
    ("the retries of the method it calls changed", in_function("page", "range(2)", "range(4)")),
    ("an attribute assigned in another method (another's finding depends on it)",
     in_function("read", "        with open(", "        self.backup = requests.Session()\n        with open(")),
    ("and deleted", in_function("read", "        self.backup = requests.Session()\n", "")),
    ("a class-level statement typed after a method", in_function("get", "'q': 1})\n", "'q': 1})\n    retries = 3\n")),
    ("and deleted", in_function("get", "    retries = 3\n", "")),
    ("a method dedented to the top level", replace(READ, textwrap.dedent(READ))),
    ("and indented back", replace(textwrap.dedent(READ), READ)),
    ("a function added at the top level", replace("@retry(stop=stop_after_attempt(3))\ndef sync",
                                                  "def extra():\n    requests.head('x')\n\n\n"
                                                  "@retry(stop=stop_after_attempt(3))\ndef sync")),
    ("a function's body emptied", in_function("fetch_6", "    response = requests.get(url)\n", "")),
    # an adapter made in one function and mounted in another: SVC208 then reads the whole text
    ("an adapter that retries made in a function", in_function("fetch_5", "    response = requests.get(url)",
                                                                "    adapter = HTTPAdapter(max_retries=3)\n"
                                                                "    response = requests.get(url)")),
    ("mounted in another, whose retry loop calls through it",
     in_function("fetch_7", "    response = requests.get(url)",
                 '    SESSION.mount("https://", adapter)\n    response = requests.get(url)')),
    ("the adapter made not to retry", in_function("fetch_5", "max_retries=3", "max_retries=0")),
]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[svcmod_executable(), "server"]))
async def client(lsp_client: LanguageClient):
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:  # an editor starts watching the files asked for
        pass

    yield
    await lsp_client.shutdown_session()


def shown(diagnostics: List[types.Diagnostic]) -> List[tuple]:
    # the engine's SVC901 has no width: the server spans the rest of its line
    return [(d.code, d.range.start.line + 1, d.range.start.character + 1) + (
        () if d.code == "SVC901" else (d.range.end.line + 1, d.range.end.character + 1, d.message))
        for d in diagnostics]


def linted(results: List[dict]) -> List[tuple]:
    found = []
    for result in results:
        region = result["locations"][0]["physicalLocation"]["region"]
        found.append((result["ruleId"], region["startLine"], region["startColumn"]) + (
            () if result["ruleId"] == "SVC901" else (region["endLine"], region["endColumn"], result["message"]["text"])))
    return found


@pytest.mark.asyncio
async def test_every_version_of_an_edited_buffer_gets_what_lint_gives_its_text(client: LanguageClient,
                                                                                  tmp_path: Path):
    project = write(tmp_path / "project", {"pyproject.toml": "[tool.svcmod]\n", "service.py": TEXT})
    await start(client, project, {"logLevel": "debug"})
    path = project / "service.py"
    texts, published = [TEXT], [await open_file(client, path)]
    for version, (_, edit) in enumerate(EDITS, 2):
        texts.append(edit(texts[-1]))
        published.append(await change(client, path, texts[-1], version))

    # svcmod lint of every version at once, each a file of its own (nothing imports another); as
    # SARIF, which gives the findings of --format json without computing every fix's edits alone
    # (for some 900 findings, minutes)
    versions = write(tmp_path / "versions", {"pyproject.toml": "[tool.svcmod]\n",
                                             **{f"v{n:02}.py": text for n, text in enumerate(texts)}})
    found = json.loads(cli("lint", "--format", "sarif", "--no-cache", ".", cwd=versions).stdout)["runs"][0]["results"]
    for n, diagnostics in enumerate(published):
        expected = [r for r in found if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    == f"v{n:02}.py"]
        what = EDITS[n - 1][0] if n else "opened"
        assert sorted(shown(diagnostics)) == sorted(linted(expected)), what

    # the edits inside one function were diagnosed with the other functions' findings reused
    reused = {int(match.group(1)) for match in (re.search(r"checked version (\d+) .*functions the edit left alone",
                                                          m.message) for m in client.log_messages) if match}
    assert len(reused) >= 8, [m.message for m in client.log_messages if "checked version" in m.message]
    # also in a function whose text other functions' findings of one rule may depend on (that rule
    # then reads the whole text)
    assert 2 + [what for what, _ in EDITS].index("an edit in the function saying timeout") in reused
    # SVC208 (nested retry) did not read the whole text for an edit in a function, unless the file
    # mentions what it reads across functions (mount)
    whole = {int(match.group(1)): match.group(2).split(", ") for match in (
        re.search(r"checked version (\d+) .*the whole text read by ([^)]*)\)", m.message)
        for m in client.log_messages) if match}
    version = {what: number for number, (what, _) in enumerate(EDITS, 2)}
    assert "SVC208" not in whole[version["an edit in a function retrying around a call of one that retries"]]
    assert "SVC208" not in whole[version["the retries of the function it calls changed"]]
    # methods too: one edited, the others' findings reused
    assert version["an edit in a method retrying around one of its class that retries"] in reused
    assert "SVC208" not in whole[version["the retries of the method it calls changed"]]
    assert "SVC208" in whole[version["the adapter made not to retry"]]


#: statements an editor user might type inside a function or method, at the indentation of the line below
TYPED = ["time.sleep(1)", "requests.get(url)", "self.http = requests.Session()", "self.backup = requests.Session()",
         "x = fetch_1(url)", "pass", "for attempt in range(2):\n{}    try:\n{}        return fetch_{}(url)\n"
         "{}    except OSError:\n{}        time.sleep(1)",
         "# a note", "helper()", "self.page(url)", "return self.load(url)", "SESSION.mount('https://', adapter)",
         "adapter = HTTPAdapter(max_retries=2)", "@retry", "for attempt in range(2):", "try:", "except OSError:"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edits_are_diagnosed_as_the_whole_text_is(tmp_path: Path, seed: int):
    """Seeded random edits of the edits' file (a statement or retry loop typed, a line deleted,
    duplicated or commented, a retry decorator added or removed), diagnosed one after the other as
    the server does (``BufferChecks.diagnose``, reusing the version before's findings) and checked
    whole (``BufferChecks.check``, as ``svcmod lint`` checks a named file): the same findings at
    every version."""
    from svcmod.run.buffer import BufferChecks

    rnd = random.Random(seed)
    project = write(tmp_path, {"pyproject.toml": "[tool.svcmod]\n"})
    path = project / "service.py"
    buffer, whole = BufferChecks(project_root=project), BufferChecks(project_root=project)
    text = parsed = TEXT
    buffer.diagnose(path, str(path), text.encode())
    reused = 0
    for step in range(70):
        lines = parsed.split("\n")  # a version that does not parse is followed by an edit of the last that did
        inside = [n for n, line in enumerate(lines) if line.startswith("    ") and line.strip()]
        at = rnd.choice(inside)
        indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
        kind = rnd.random()
        if kind < 0.1:  # a retry decorator added to a function or method, or one removed
            defs = [n for n, line in enumerate(lines) if line.lstrip().startswith(("def ", "@retry"))]
            at = rnd.choice(defs)
            if lines[at].lstrip().startswith("@"):
                del lines[at]
            else:
                lines.insert(at, lines[at][:lines[at].index("def")] + "@retry(stop=stop_after_attempt(2))")
        elif kind < 0.5:
            lines.insert(at, indent + rnd.choice(TYPED).format(*[indent] * 2, rnd.randrange(10), *[indent] * 2))
        elif kind < 0.7:
            del lines[at]
        elif kind < 0.85:
            lines.insert(at, lines[rnd.choice(inside)])
        else:
            lines[at] += "  # checked"
        edited = "\n".join(lines)
        try:
            compile(edited, str(path), "exec", dont_inherit=True)
            parsed = edited
        except SyntaxError:
            if rnd.random() < 0.8:  # mostly code that parses, as between keystrokes that complete a line
                continue
        text = edited
        found = buffer.diagnose(path, str(path), text.encode())
        reused += buffer.reused > 0
        expected = whole.check(path, str(path), text.encode())
        assert _findings(found) == _findings(expected), (step, text)
    assert reused >= 10  # the edits did exercise the reuse


def _findings(result) -> List[tuple]:
    return sorted((f.code, f.line, f.column, f.end_line, f.end_column, f.message) for f in result.findings)

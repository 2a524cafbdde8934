"""Deadline rules SVC102–SVC110 beyond their own examples: config-driven values through the CLI,
imports added once, stdlib signatures, and the resolver extensions they rely on."""
from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap

import libcst as cst
import pytest
from conftest import REPO, run_in_process, run_subprocess, write

from svcmod.check.checker import Checker
from svcmod.check.names import Names
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config


def check(code: str, source: str, fix: bool = False, **options):
    config = Config(select=(code,), rule_options={code: options} if options else {})
    checker = Checker(config, FixPolicy(apply=fix, unsafe=True), only_codes=frozenset({code}))
    return checker.check("service.py", textwrap.dedent(source).lstrip("\n").encode())


def codes(code: str, source: str):
    return [(f.code, f.line) for f in check(code, source).findings]


def fixed(code: str, source: str, **options) -> str:
    result = check(code, source, fix=True, **options)
    assert result.fixed is not None, result.findings
    return result.fixed.decode()


# -- configuration decides the value a fix writes ----------------------------------------------

GRPC_AND_SUBPROCESS = """
import subprocess

import grpc
from users import users_pb2_grpc

stub = users_pb2_grpc.UsersStub(grpc.insecure_channel("users:50051"))


def user(user_id):
    return stub.GetUser(user_id)


def build():
    subprocess.run(["make"], check=True)
"""


@pytest.mark.parametrize("runner", [run_in_process, run_subprocess], ids=["in-process", "subprocess"])
def test_fix_writes_rule_timeout_and_default_timeout_from_pyproject(tmp_path, runner):
    write(tmp_path, {
        "pyproject.toml": """
            [tool.svcmod]
            default-timeout = 7
            subprocess-timeout = 600

            [tool.svcmod.rules.SVC105]
            timeout = 2
        """,
        "service.py": GRPC_AND_SUBPROCESS,
    })
    result = runner(["lint", "--fix", "--unsafe-fixes", "--select", "SVC1", "."], tmp_path)
    assert result.exit_code == 0, result
    text = (tmp_path / "service.py").read_text()
    assert "stub.GetUser(user_id, timeout=2)" in text  # the rule's own option wins
    assert 'subprocess.run(["make"], check=True, timeout=600)' in text  # the project's subprocess deadline


def test_each_project_of_a_monorepo_gets_its_own_timeout(tmp_path):
    write(tmp_path, {
        "pyproject.toml": "[tool.svcmod]\ndefault-timeout = 30\n",
        "services/fast/pyproject.toml": "[tool.svcmod]\ndefault-timeout = 1.5\n",
        "services/fast/app.py": "import socket\nsocket.create_connection(address)\n",
        "services/slow/app.py": "import socket\nsocket.create_connection(address)\n",
    })
    result = run_in_process(["lint", "--fix", "--unsafe-fixes", "--select", "SVC102", "."], tmp_path)
    assert result.exit_code == 0, result
    assert "create_connection(address, timeout=1.5)" in (tmp_path / "services/fast/app.py").read_text()
    assert "create_connection(address, timeout=30)" in (tmp_path / "services/slow/app.py").read_text()


def test_db_fix_converts_the_timeout_to_each_library_unit(tmp_path):
    write(tmp_path, {
        "pyproject.toml": "[tool.svcmod]\ndefault-timeout = 2.5\n",
        "db.py": """
            import psycopg2
            import pymongo

            pg = psycopg2.connect(dsn)
            mongo = pymongo.MongoClient(uri)
        """,
    })
    result = run_in_process(["lint", "--fix", "--unsafe-fixes", "--select", "SVC108", "."], tmp_path)
    assert result.exit_code == 0, result
    text = (tmp_path / "db.py").read_text()
    assert "psycopg2.connect(dsn, connect_timeout=3)" in text  # libpq wants whole seconds
    assert "pymongo.MongoClient(uri, socketTimeoutMS=2500)" in text


def test_report_only_rules_leave_the_file_alone(tmp_path):
    source = """
        import asyncio
        import threading

        done = threading.Event()


        async def main():
            done.wait()
            await asyncio.wait_for(job(), None)
    """
    write(tmp_path, {"app.py": source})
    before = (tmp_path / "app.py").read_bytes()
    result = run_in_process(["lint", "--fix", "--unsafe-fixes", "--select", "SVC109,SVC110",
                             "--format", "json", "."], tmp_path)
    assert result.exit_code == 1, result
    assert sorted(f["code"] for f in json.loads(result.stdout)) == ["SVC109", "SVC110"]
    assert all(f["fix"] is None for f in json.loads(result.stdout))
    assert (tmp_path / "app.py").read_bytes() == before


# -- imports are added exactly once ------------------------------------------------------------

def test_client_timeout_imported_once_for_many_sessions():
    text = fixed("SVC104", """
        from aiohttp import ClientSession


        async def a():
            async with ClientSession() as s:
                pass


        async def b():
            async with ClientSession(headers=h) as s:
                pass


        class C:
            def __init__(self):
                self.session = ClientSession()
    """)
    assert text.count("import") == 1
    assert text.startswith("from aiohttp import ClientSession, ClientTimeout\n")
    assert text.count("timeout=ClientTimeout(total=10)") == 3


def test_client_timeout_uses_existing_module_import_and_alias():
    text = fixed("SVC104", "import aiohttp as ah\na = ah.ClientSession()\nb = ah.ClientSession()\n")
    assert text == ("import aiohttp as ah\na = ah.ClientSession(timeout=ah.ClientTimeout(total=10))\n"
                    "b = ah.ClientSession(timeout=ah.ClientTimeout(total=10))\n")


def test_client_timeout_already_imported_is_not_imported_again():
    source = "from aiohttp import ClientSession, ClientTimeout\ns = ClientSession()\n"
    assert fixed("SVC104", source) == ("from aiohttp import ClientSession, ClientTimeout\n"
                                       "s = ClientSession(timeout=ClientTimeout(total=10))\n")


def test_all_deadline_fixes_in_one_file_settle_in_one_run(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\nsubprocess-timeout = 60\n", "app.py": """
        import subprocess
        import urllib.request

        import aiohttp
        import redis


        def run():
            urllib.request.urlopen(url)
            subprocess.check_output(["ls"])
            redis.Redis()
            return aiohttp.ClientSession()
    """})
    result = run_in_process(["lint", "--fix", "--unsafe-fixes", "--select", "SVC1", "."], tmp_path)
    assert result.exit_code == 0, result
    text = (tmp_path / "app.py").read_text()
    assert "urlopen(url, timeout=10)" in text
    assert 'check_output(["ls"], timeout=60)' in text
    assert "redis.Redis(socket_timeout=10, socket_connect_timeout=10)" in text
    assert "aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))" in text
    assert text.count("import aiohttp") == 1
    again = run_in_process(["lint", "--select", "SVC1", "."], tmp_path)
    assert again.exit_code == 0, again


# -- positional timeouts match the real signatures ---------------------------------------------

def test_stdlib_timeout_slots_match_inspect_signature():
    import importlib

    from svcmod.lint_rules.deadlines.stdlib_call_without_timeout import TIMEOUT_SLOTS
    checked = 0
    for qualified, slot in TIMEOUT_SLOTS.items():
        if ".build_opener." in qualified:
            qualified = "urllib.request.OpenerDirector.open"
        module_name, _, attr = qualified.rpartition(".")
        if module_name.endswith("OpenerDirector"):
            module_name, _, owner = module_name.rpartition(".")
            target = getattr(getattr(importlib.import_module(module_name), owner), attr)
        else:
            target = getattr(importlib.import_module(module_name), attr)
        params = [p for p in inspect.signature(target).parameters.values() if p.name != "self"]
        positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if "timeout" in positional:
            assert positional.index("timeout") == slot, qualified
            checked += 1
        else:
            # Python 3.12 made the TLS variants' later parameters keyword-only: no slot to count
            assert sys.version_info >= (3, 12) and any(p.name == "timeout" for p in params), qualified
    assert checked >= 7


@pytest.mark.parametrize("source", [
    "import urllib.request\nurllib.request.urlopen(url, data, 5)\n",
    "import http.client\nhttp.client.HTTPConnection(host, port, 5)\n",
    "import socket\nsocket.create_connection(address, 5)\n",
    "import smtplib\nsmtplib.SMTP(host, 25, None, 5)\n",
    "import ftplib\nftplib.FTP(host, user, password, '', 5)\n",
    "import poplib\npoplib.POP3(host, 110, 5)\n",
    "import imaplib\nimaplib.IMAP4(host, 143, 5)\n",
])
def test_positional_timeout_counts(source):
    assert codes("SVC102", source) == []


def test_positional_none_is_replaced_in_place():
    assert fixed("SVC102", "import urllib.request\nurllib.request.urlopen(url, None, None)\n") == \
        "import urllib.request\nurllib.request.urlopen(url, None, 10)\n"


def test_https_connection_third_argument_is_not_a_timeout():
    # HTTPSConnection(host, port, key_file, cert_file, timeout) until 3.11: slot 2 is key_file
    assert codes("SVC102", "import http.client\nhttp.client.HTTPSConnection(host, 443, key_file)\n") == \
        [("SVC102", 2)]


def test_grpc_positional_timeout_counts_and_none_is_replaced():
    source = "import a_pb2_grpc\nstub = a_pb2_grpc.AStub(ch)\nstub.Get(req, 3)\nstub.Get.future(req, None)\n"
    assert codes("SVC105", source) == [("SVC105", 4)]
    assert fixed("SVC105", source).endswith("stub.Get.future(req, 10)\n")


def test_subprocess_wait_after_terminate_is_reported_but_after_kill_is_not():
    source = """
        import subprocess
        p = subprocess.Popen(cmd)
        p.terminate()
        p.wait()
        q = subprocess.Popen(cmd)
        q.kill()
        q.wait()
        p.kill()
        q.wait()
    """
    assert codes("SVC106", source) == [("SVC106", 4), ("SVC106", 9)]


def test_redis_positional_socket_timeout_counts_and_keyword_only_clients_get_keywords():
    assert codes("SVC107", "import redis\nredis.Redis('h', 6379, 0, None, 5)\n") == []
    assert fixed("SVC107", "import redis.asyncio\nredis.asyncio.Redis(host='h')\n") == \
        "import redis.asyncio\nredis.asyncio.Redis(host='h', socket_timeout=10, socket_connect_timeout=10)\n"


def test_queue_get_non_blocking_and_with_timeout_are_not_reported():
    source = """
        import queue
        q = queue.Queue()
        q.get(False)
        q.get(block=False)
        q.get(timeout=1)
        q.get(True, 1)
        q.get()
        q.get(True)
    """
    assert codes("SVC109", source) == [("SVC109", 7), ("SVC109", 8)]


# -- resolver extensions the deadline rules rely on --------------------------------------------

def creators(source: str, function: str):
    """What each parameter / ``self.<attr>`` of ``function`` was created by."""
    module = cst.parse_module(textwrap.dedent(source))
    names = Names(module)
    found = {}

    class Find(cst.CSTVisitor):
        def visit_FunctionDef(self, node):
            if node.name.value == function:
                stack = [n for n in self.stack if isinstance(n, (cst.ClassDef, cst.FunctionDef))] + [node]
                for name in ("p", "self.proc"):
                    found[name] = names.created_by(cst.parse_expression(name), stack)

        def on_visit(self, node):
            self.stack.append(node)
            return super().on_visit(node)

        def on_leave(self, node):
            self.stack.pop()
            return super().on_leave(node)

    finder = Find()
    finder.stack = []
    module.visit(finder)
    return found


@pytest.mark.parametrize("annotation", [
    "subprocess.Popen", "Optional[subprocess.Popen]", "subprocess.Popen | None", "None | subprocess.Popen",
    "Union[subprocess.Popen, None]", "'subprocess.Popen'", "'Optional[subprocess.Popen]'",
    "subprocess.Popen[bytes]", "Optional['subprocess.Popen[str]']",
])
def test_annotations_name_the_class(annotation):
    source = f"""
        import subprocess
        from typing import Optional, Union

        def f(p: {annotation}):
            pass
    """
    assert creators(source, "f")["p"] == "subprocess.Popen"


@pytest.mark.parametrize("annotation", ["Union[subprocess.Popen, str]", "'not an expression ('", "Optional"])
def test_annotations_that_name_no_single_class_stay_unknown(annotation):
    source = f"""
        import subprocess
        from typing import Optional, Union

        def f(p: {annotation}):
            pass
    """
    assert creators(source, "f")["p"] in (None, "typing.Optional")


def test_none_placeholder_does_not_hide_the_real_value():
    source = """
        import subprocess

        class Runner:
            def __init__(self):
                self.proc = None

            def start(self):
                self.proc = subprocess.Popen(cmd)

            def stop(self):
                pass

            def reset(self):
                self.proc = None
    """
    assert creators(source, "stop")["self.proc"] == "subprocess.Popen"


def test_two_different_values_still_make_the_name_unknown():
    source = """
        import subprocess, threading

        class Runner:
            def __init__(self):
                self.proc = None

            def start(self):
                self.proc = subprocess.Popen(cmd)

            def other(self):
                self.proc = threading.Thread(target=f)

            def stop(self):
                pass
    """
    assert creators(source, "stop")["self.proc"] is None


def test_placeholder_then_thread_is_reported_by_svc109():
    source = """
        import threading

        class Poller:
            def __init__(self):
                self._thread = None

            def start(self):
                self._thread = threading.Thread(target=self.run)
                self._thread.start()

            def stop(self):
                self._thread.join()
    """
    assert codes("SVC109", source) == [("SVC109", 12)]


def test_futures_from_executor_submit_and_run_coroutine_threadsafe():
    source = """
        import asyncio
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor()
        f = executor.submit(work)
        f.result()
        g = asyncio.run_coroutine_threadsafe(coro(), loop)
        g.result()
        g.result(5)
    """
    assert codes("SVC109", source) == [("SVC109", 6), ("SVC109", 8)]


def test_grpc_aio_stub_on_annotated_attribute():
    source = """
        import grpc
        from typing import Optional
        from shop import orders_pb2_grpc

        class Client:
            stub: Optional[orders_pb2_grpc.OrdersStub] = None

            async def connect(self):
                self.channel = grpc.aio.insecure_channel(self.target)

            async def place(self, order):
                return await self.stub.Place(order)
    """
    assert codes("SVC105", source) == [("SVC105", 12)]


# -- SVC101 finds everything ruff's S113 finds ---------------------------------------------------

S113_TREE = {
    "plain.py": """
        import requests
        requests.get("https://example.com")
        requests.post(url, json={}, timeout=None)
        requests.request("GET", url)
        requests.put(
            url,
            data=body,
        )
    """,
    "aliases.py": """
        import requests as rq
        from requests import delete, head as probe
        rq.patch(url)
        delete(url)
        probe(url, timeout=None)
    """,
    "wrappers.py": """
        import requests

        def call(method, url, **kwargs):
            return requests.request(method, url, **kwargs)

        class Api:
            def __init__(self):
                self.session = requests.Session()

            def get(self, path):
                return self.session.get(self.base + path)
    """,
    "async_client.py": """
        import httpx

        async def main():
            async with httpx.AsyncClient(timeout=None) as client:
                await client.get(url)
            httpx.get(url, timeout=None)
            httpx.Client(timeout=None)
            with httpx.stream("GET", url, timeout=None) as response:
                pass
    """,
    "clean.py": """
        import requests, httpx
        requests.get(url, timeout=5)
        httpx.get(url)
    """,
}


def compare_s113(tmp_path):
    completed = subprocess.run([sys.executable, str(REPO / "bench" / "compare_ruff_s113.py"), "--json", str(tmp_path)],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode in (0, 1), completed.stderr
    return completed.returncode, json.loads(completed.stdout)


def test_svcmod_misses_none_of_ruffs_s113_findings(tmp_path):
    write(tmp_path, S113_TREE)
    code, result = compare_s113(tmp_path)
    assert result["ruff_s113"] >= 12
    assert result["missed"] == []
    assert code == 0
    # and more: the session kept in self.session, which ruff cannot follow
    assert result["extra_by_category"] == {"method on a session kept in self.<attribute>": 1}


def test_ruff_false_positive_on_kwargs_with_timeout_is_explained(tmp_path):
    write(tmp_path, {"wrapper.py": """
        import requests

        def call(method, url, **kwargs):
            kwargs.setdefault("timeout", 10)
            return requests.request(method, url, **kwargs)
    """})
    code, result = compare_s113(tmp_path)
    assert [m["why"] for m in result["missed"]] == \
        ["ruff false positive: a 'timeout' key is put in a dict next to the **kwargs call"]
    assert code == 0


# -- audit-driven precision ----------------------------------------------------------------------

def test_passing_the_callers_none_through_is_not_a_missing_deadline():
    source = """
        import queue, socket, subprocess, threading

        class Box:
            def __init__(self):
                self.ready = threading.Condition()

            def take(self, block=True, timeout=None):
                if not block:
                    return None
                elif timeout is None:
                    self.ready.wait()
                else:
                    self.ready.wait(timeout)
                self.ready.wait()

        def connect(address, timeout=None):
            if timeout is not None:
                return socket.create_connection(address, timeout)
            return socket.create_connection(address)

        def run(cmd, timeout=None):
            if timeout is not None:
                subprocess.run(cmd, timeout=timeout)
            else:
                subprocess.run(cmd)
            subprocess.run(cmd)
    """
    assert codes("SVC109", source) == [("SVC109", 14)]  # only the wait outside the branch
    assert codes("SVC102", source) == []
    assert codes("SVC106", source) == [("SVC106", 26)]


def test_aiohttp_session_is_reported_when_one_request_lacks_a_timeout():
    source = """
        import aiohttp

        class Client:
            def __init__(self):
                self.session = aiohttp.ClientSession()

            async def a(self):
                return await self.session.get(url, timeout=aiohttp.ClientTimeout(total=5))

            async def b(self):
                return await self.session.post(url)
    """
    assert codes("SVC104", source) == [("SVC104", 5)]
    without_b = source.split("    async def b")[0]
    assert codes("SVC104", without_b) == []


def test_hostless_ftp_connects_later_but_hostless_smtp_has_no_timeout_on_connect():
    source = """
        import ftplib, smtplib
        ftp = ftplib.FTP()
        ftp.connect(host, 21, 5)
        smtp = smtplib.SMTP()
        smtp.connect(host)
    """
    assert codes("SVC102", source) == [("SVC102", 4)]


def test_wait_after_communicate_or_kill_returns_at_once_and_until_none_is_the_callers_choice():
    source = """
        import subprocess, threading
        p = subprocess.Popen(cmd)
        out, err = p.communicate(timeout=5)
        code = p.wait()
        done = threading.Condition()

        def wait(until=None):
            if until is None:
                done.wait()
    """
    assert codes("SVC106", source) == []
    assert codes("SVC109", source) == []


def test_subprocess_calls_get_no_network_default_only_the_configured_subprocess_deadline(tmp_path, svcmod):
    write(tmp_path, {
        "pyproject.toml": "[tool.svcmod]\ndefault-timeout = 10\n",
        "report.py": """
            import subprocess


            def render(script):
                return subprocess.check_output(script, shell=True)
        """,
    })
    result = svcmod("lint", "--fix", "--unsafe-fixes", "--no-cache", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "set subprocess-timeout in [tool.svcmod]" in result.stdout
    assert "timeout=" not in (tmp_path / "report.py").read_text()  # no 10 s network default on a process
    (tmp_path / "pyproject.toml").write_text("[tool.svcmod]\ndefault-timeout = 10\nsubprocess-timeout = 900\n")
    result = svcmod("lint", "--fix", "--unsafe-fixes", "--no-cache", ".", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert "subprocess.check_output(script, shell=True, timeout=900)" in (tmp_path / "report.py").read_text()

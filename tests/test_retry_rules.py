"""Retry rules SVC201–SVC208 on whole files: fixes that combine, settings, messages, look-alikes."""
from __future__ import annotations

import textwrap
from typing import List

from conftest import run_subprocess, write

from svcmod.check.checker import Checker
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config


def findings(source: str, select: str = "SVC2") -> List[str]:
    checker = Checker(Config(select=(select,)))
    result = checker.check("service.py", textwrap.dedent(source).lstrip("\n").encode())
    return [f"{f.line} {f.code}" for f in result.findings]


def messages(source: str, select: str) -> List[str]:
    checker = Checker(Config(select=(select,)))
    return [f.message for f in checker.check("service.py", textwrap.dedent(source).encode()).findings]


def test_bare_retry_is_fixed_by_svc201_and_svc202_together(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\nmax-attempts = 3\n", "service.py": """
        from tenacity import retry


        @retry
        def fetch():
            return call()
        """})
    result = run_subprocess(["lint", "--fix", "--unsafe-fixes", "service.py"], tmp_path)
    assert result.exit_code == 0, result
    assert (tmp_path / "service.py").read_text() == (
        "from tenacity import retry, stop_after_attempt, wait_random_exponential\n\n\n"
        "@retry(stop=stop_after_attempt(3), wait=wait_random_exponential(multiplier=0.5, max=2))\n"
        "def fetch():\n    return call()\n")
    again = run_subprocess(["lint", "--select", "SVC2", "service.py"], tmp_path)
    assert again.exit_code == 0, again


def test_project_settings_and_per_rule_overrides_reach_the_fixes(tmp_path):
    write(tmp_path, {"pyproject.toml": """
        [tool.svcmod]
        max-attempts = 4
        backoff-max = 10
        jitter = 0.5

        [tool.svcmod.rules.SVC201]
        max-attempts = 7

        [tool.svcmod.rules.SVC202]
        max-wait = 10
        """, "service.py": """
        import backoff
        import tenacity


        @tenacity.retry(wait=tenacity.wait_exponential(max=8))
        def fetch():
            return call()


        @tenacity.retry
        def push():
            return call()


        @backoff.on_exception(backoff.expo, OSError)
        def load():
            return call()
        """})
    result = run_subprocess(["lint", "--fix", "--unsafe-fixes", "service.py"], tmp_path)
    assert result.exit_code == 0, result
    fixed = (tmp_path / "service.py").read_text()
    # each wrapped to the default line length of 88, as ruff format would
    assert "@tenacity.retry(\n    wait=tenacity.wait_exponential(max=8) + tenacity.wait_random(0, 0.5),\n" \
           "    stop=tenacity.stop_after_attempt(7),\n)" in fixed
    assert "@tenacity.retry(\n    stop=tenacity.stop_after_attempt(7),\n" \
           "    wait=tenacity.wait_random_exponential(multiplier=0.5, max=10),\n)" in fixed
    assert "@backoff.on_exception(backoff.expo, OSError, max_tries=7)" in fixed


def test_a_well_written_retry_loop_has_no_findings():
    assert findings("""
        import random
        import time

        import requests


        def fetch(session, url):
            for attempt in range(5):
                try:
                    return session.get(url, timeout=5)
                except (requests.ConnectionError, requests.Timeout):
                    if attempt == 4:
                        raise
                    time.sleep(min(30, 2 ** attempt) * random.random())
        """) == []


def test_a_careless_retry_loop_is_reported_by_each_rule_it_breaks():
    assert findings("""
        def fetch(session, url):
            while True:
                try:
                    return session.get(url, timeout=5)
                except Exception:
                    pass
        """) == ["2 SVC202", "2 SVC206", "5 SVC204"]


def test_look_alikes_of_retry_loops_are_not_reported():
    assert findings("""
        import os
        import socket
        import time


        def send_all(session, items):
            for item in items:
                try:
                    session.post(URL, json=item, timeout=5)
                except Exception:
                    log.exception("skipped %s", item)


        def wait_until_done(job):
            while True:
                try:
                    if job.status() == "done":
                        return
                except ConnectionError:
                    pass
                time.sleep(5)


        def serve(queue):
            while True:
                try:
                    handle(queue.get())
                except Exception:
                    log.exception("failed")


        def free_port(sock):
            for port in range(8000, 9000):
                try:
                    sock.bind(("", port))
                    return port
                except OSError:
                    continue


        def read_all(fd):
            while True:
                try:
                    return os.read(fd, 4096)
                except InterruptedError:
                    continue


        def ask_number():
            while True:
                try:
                    return int(input("number: "))
                except ValueError:
                    print("try again")


        def first_reachable(hosts):
            while hosts:
                host = hosts.pop()
                try:
                    return socket.create_connection((host, 443), timeout=3)
                except OSError:
                    pass
        """) == []


def test_nested_retry_message_multiplies_attempts():
    found = messages("""
        from tenacity import retry, stop_after_attempt


        @retry(stop=stop_after_attempt(5))
        def fetch():
            return call()


        @retry
        def forever():
            return call()


        @retry(stop=stop_after_attempt(3))
        def sync():
            fetch()
            forever()
        """, "SVC208")
    assert found == [
        "nested retry: fetch() retries itself (5 attempts) inside a retry of 3 attempts: up to 15 attempts per call",
        "nested retry: forever() retries itself (unbounded attempts) inside a retry of 3 attempts: "
        "up to unbounded attempts per call",
    ]


def test_retry_loop_around_a_session_that_retries_multiplies_attempts():
    found = messages("""
        import time

        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        session = requests.Session()
        adapter = HTTPAdapter(max_retries=Retry(total=3, backoff_factor=0.5))
        session.mount("https://", adapter)


        def fetch(url):
            for _ in range(4):
                try:
                    return session.get(url, timeout=5)
                except requests.ConnectionError:
                    time.sleep(1)
        """, "SVC208")
    assert found == ["nested retry: session.get() goes through an HTTPAdapter that retries (4 attempts) "
                     "inside a retry of 4 attempts: up to 16 attempts per call"]


def test_retried_post_without_idempotency_key_is_reported_only_when_retried():
    assert findings("""
        import requests
        from tenacity import retry, stop_after_attempt, wait_random_exponential


        @retry(stop=stop_after_attempt(3), wait=wait_random_exponential(max=10))
        def create(order):
            return requests.post(URL, json=order, timeout=5)


        @retry(stop=stop_after_attempt(3), wait=wait_random_exponential(max=10))
        def create_once(order, key):
            return requests.post(URL, json=order, headers={"Idempotency-Key": key}, timeout=5)


        def create_unretried(order):
            return requests.post(URL, json=order, timeout=5)
        """) == ["7 SVC205"]


def test_fixes_that_touch_the_same_decorator_settle():
    checker = Checker(Config(select=("SVC2",)), FixPolicy(apply=True, unsafe=True))
    source = b"import tenacity\n\n@tenacity.retry(wait=tenacity.wait_fixed(1))\ndef f():\n    pass\n"
    result = checker.check("service.py", source)
    assert result.fixed is not None and result.findings == []
    assert result.fixed.decode() == (
        "import tenacity\n\n@tenacity.retry(\n    wait=tenacity.wait_fixed(1) + tenacity.wait_random(0, 1),\n"
        "    stop=tenacity.stop_after_attempt(5),\n)\ndef f():\n    pass\n")


def test_suppression_comment_silences_one_rule():
    assert findings("""
        from tenacity import retry, stop_after_attempt


        @retry(stop=stop_after_attempt(3))  # noqa: SVC202
        def f():
            pass
        """) == []


def test_svc202_adds_small_waits_by_default_and_names_each_in_the_migration_report(tmp_path):
    from svcmod.migrate.migration import migrate
    write(tmp_path / "svc", {"pyproject.toml": "[project]\nname = 'svc'\n", "svc/jobs.py": """
        import tenacity


        @tenacity.retry(stop=tenacity.stop_after_attempt(3))
        def reread():
            return call()
        """})
    outcome = migrate("v2", [tmp_path / "svc"])
    assert "wait=tenacity.wait_random_exponential(multiplier=0.5, max=2)" in (tmp_path / "svc/svc/jobs.py").read_text()
    [project] = outcome.projects
    [added] = [e for e in project.behaviour_changing if e.code == "SVC202"]
    assert (added.file, added.line) == ("svc/jobs.py", 4) and "up to 2 s" in added.description

"""Issue 17: names followed across the project's modules and to declared clients, and the real misses,
each in fresh code of the shape it was found in, through `svcmod lint` and the flake8 plugin."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Set, Tuple

import pytest
from conftest import write

Found = Set[Tuple[str, int, str]]

#: A service whose HTTP sessions are made in one module and used in others.
CROSS_MODULE = {
    "pyproject.toml": """
        [project]
        name = "shop"

        [[tool.svcmod.clients]]
        name = "framework.web.Request.http"
        like = "requests.Session"

        [[tool.svcmod.clients]]
        name = "framework.retries.with_retries"
        like = "tenacity.retry"
        """,
    "shop/__init__.py": "",
    "shop/net/__init__.py": "from .http import BaseSession, requests_or_proxy\n",
    "shop/net/http.py": """
        import requests
        import requests as requests_or_proxy

        shared = requests.Session()


        class BaseSession(requests.Session):
            def __init__(self, base_url):
                super().__init__()
                self.base_url = base_url


        def new_session():
            session = requests.Session()
            session.headers["User-Agent"] = "shop"
            return session
        """,
    # case 2: the subclass's instances are made in one module ...
    "shop/clients.py": """
        from shop.net import BaseSession


        def inventory_client():
            return BaseSession("http://inventory")
        """,
    # ... and used in another, as are a module's session, a function's and a re-exported requests
    "shop/orders.py": """
        from shop.clients import inventory_client
        from shop.net.http import new_session, shared
        from .net import requests_or_proxy


        def reserve(method, url, **kwargs):
            return inventory_client().request(method, url, **kwargs)


        def status(url):
            return shared.get(url)


        def notify(url, body):
            return new_session().post(url, json=body)


        def ping(url):
            return requests_or_proxy.get(url)


        def fine(url):
            return shared.get(url, timeout=5)
        """,
    # case 5: the framework's own objects, declared in config
    "shop/views.py": """
        from framework.retries import with_retries
        from framework.web import Request


        def lookup(request: Request):
            return request.http.post("/lookup", json={})


        @with_retries(reraise=True)
        def flaky():
            return 1
        """,
}

EXPECTED = {
    ("shop/orders.py", 7, "SVC101"),  # a subclass's instance made in another module, **kwargs
    ("shop/orders.py", 11, "SVC101"),  # a module-level session of another module
    ("shop/orders.py", 15, "SVC101"),  # a function of another module returning a session
    ("shop/orders.py", 19, "SVC101"),  # requests re-exported under another name
    ("shop/views.py", 6, "SVC101"),  # declared client framework.web.Request.http
    ("shop/views.py", 9, "SVC201"),  # declared retry decorator, like tenacity.retry
    ("shop/views.py", 9, "SVC202"),
}


def lint(root: Path, *args: str) -> Found:
    completed = subprocess.run([sys.executable, "-m", "svcmod", "lint", "--format", "json", "--exit-zero",
                                "--select", "SVC1,SVC2", *args, "."], cwd=root, capture_output=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    # JSON names files as ruff does (absolute): compared relative to the project
    return {(Path(os.path.relpath(f["filename"], root)).as_posix(), f["location"]["row"], f["code"])
            for f in json.loads(completed.stdout)}


def flake8(root: Path, *files: str) -> Found:
    completed = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "SVC1,SVC2",
                                "--format", "%(path)s|%(row)d|%(code)s", *files], cwd=root, capture_output=True,
                               timeout=300)
    found = set()
    for line in completed.stdout.decode().splitlines():
        path, row, code = line.split("|")
        found.add((os.path.normpath(path).replace(os.sep, "/"), int(row), code))
    return found


def flake8_messages(root: Path, select: str, *paths: str) -> str:
    """flake8's report as it prints it (the findings' messages say why a fix was left out)."""
    return subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", select, *paths],
                          cwd=root, capture_output=True, text=True, timeout=300).stdout


@pytest.fixture()
def shop(tmp_path: Path) -> Path:
    return write(tmp_path / "shop-repo", CROSS_MODULE)


def test_sessions_made_in_other_modules_and_declared_clients_are_found_by_lint(shop):
    assert lint(shop, "--no-cache") == EXPECTED


def test_the_flake8_plugin_finds_them_too(shop):
    assert flake8(shop, "shop/orders.py", "shop/views.py") == EXPECTED


def test_the_fix_adds_the_timeout_where_the_session_is_used(shop, svcmod):
    result = svcmod("lint", "--select", "SVC101", "--fix", "--unsafe-fixes", "--no-cache", ".", cwd=shop)
    assert result.exit_code == 1, result  # the **kwargs call stays, without a fix
    orders = (shop / "shop/orders.py").read_text()
    assert "shared.get(url, timeout=10)" in orders and "json=body, timeout=10)" in orders
    assert "requests_or_proxy.get(url, timeout=10)" in orders
    assert 'request.http.post("/lookup", json={}, timeout=10)' in (shop / "shop/views.py").read_text()


def test_a_warm_run_sees_what_another_module_no_longer_lends(shop):
    assert ("shop/orders.py", 11, "SVC101") in lint(shop)
    http = shop / "shop/net/http.py"
    http.write_text(http.read_text().replace("shared = requests.Session()", "shared = object()"))
    assert ("shop/orders.py", 11, "SVC101") not in lint(shop)  # orders.py itself did not change
    assert lint(shop) == lint(shop, "--no-cache")


def test_a_project_that_is_a_library_keeps_its_own_names(tmp_path):
    # inside the project nothing is renamed: os.path stays os.path although os.py imports posixpath
    root = write(tmp_path / "lib", {
        "os.py": "import posixpath as path\n",
        "posixpath.py": "def join(*parts):\n    return '/'.join(parts)\n",
        "user.py": "import subprocess\nfrom os import path\nsubprocess.run(['ls'])\n",
    })
    assert lint(root, "--no-cache") == {("user.py", 3, "SVC106")}


@pytest.mark.parametrize("entry, problem", [
    ('name = "acme.web.Request.http"', "missing key 'like'"),
    ('name = "acme.web.Request.http"\nlike = "requests Session"', "key 'like': expected a qualified name"),
    ('name = "acme"\nlike = "requests.Session"', "key 'name': expected a qualified name"),
    ('name = "acme.web.Request.http"\nlike = "requests.Session"\nkind = "attribute"', "unknown key 'kind'"),
])
def test_a_bad_declared_client_is_a_config_error_naming_file_and_key(tmp_path, svcmod, entry, problem):
    root = write(tmp_path / "p", {"pyproject.toml": f"[[tool.svcmod.clients]]\n{entry}\n", "a.py": "x = 1\n"})
    result = svcmod("lint", ".", cwd=root)
    assert result.exit_code == 2, result
    assert "pyproject.toml: [[tool.svcmod.clients]] #1" in result.stderr and problem in result.stderr
    assert "Traceback" not in result.stderr


#: The real misses of issue 17 that need no other module, and its false positives, as fresh code.
IN_ONE_FILE = {
    "send.py": """
        import requests


        def forward(prepared, proxies):
            with requests.Session() as session:
                return session.send(prepared, proxies=proxies)
        """,
    "subclass.py": """
        import requests


        class ApiSession(requests.Session):
            def __init__(self, base):
                super().__init__()
                self.base = base


        def call(method, url):
            return ApiSession("https://api").request(method, url)
        """,
    "conditional.py": """
        import requests


        class Client:
            def __init__(self, session=None):
                self.http = session if session is not None else requests.session()
                self.other = session or requests.Session()

            def fetch(self, url):
                return self.http.get(url)

            def fetch_other(self, url):
                return self.other.get(url)
        """,
    "retrying_without_wait.py": """
        import retrying


        @retrying.retry(stop_max_attempt_number=4, retry_on_exception=lambda e: isinstance(e, IOError))
        def fetch():
            return 1
        """,
    "immediate_retry.py": """
        from requests.exceptions import ConnectionError, Timeout


        def fetch(url, max_retries=3):
            for attempt in range(max_retries):
                try:
                    return _get(url, attempt)
                except (ConnectionError, Timeout):
                    log("attempt failed", attempt)
        """,
    "wait_named.py": """
        import time

        import requests


        def wait_for_service(url):
            while True:
                try:
                    return requests.get(url, timeout=5)
                except requests.ConnectionError:
                    time.sleep(30)
        """,
    "quiet_threads.py": """
        import queue
        import threading


        class Pool:
            def __init__(self):
                self.worker = threading.Thread(target=self.run)
                self.inbox = queue.Queue()
                self.cond = threading.Condition()
                self.pending = 0

            def shutdown(self, wait=True):
                if wait:
                    self.worker.join()

            def run(self):
                while True:
                    item = self.inbox.get()
                    if item is None:
                        break
                    handle(item)

            def drain(self):
                with self.cond:
                    while self.pending != 0:
                        self.cond.wait()
        """,
    "file_race.py": """
        import os


        def move(a, b):
            for i in range(2):
                try:
                    os.rename(a, b)
                    break
                except Exception:
                    pass
        """,
}

IN_ONE_FILE_EXPECTED = {
    ("send.py", 6, "SVC101"),
    ("subclass.py", 11, "SVC101"),
    ("conditional.py", 10, "SVC101"),
    ("conditional.py", 13, "SVC101"),
    ("retrying_without_wait.py", 4, "SVC202"),
    ("immediate_retry.py", 5, "SVC202"),
    ("wait_named.py", 11, "SVC203"),
}


def test_the_real_misses_are_found_and_the_false_positives_stay_silent(tmp_path):
    root = write(tmp_path / "cases", IN_ONE_FILE)
    assert lint(root, "--no-cache") == IN_ONE_FILE_EXPECTED
    assert flake8(root, *sorted(IN_ONE_FILE)) == IN_ONE_FILE_EXPECTED


#: Issue 17, item 4: retry decorator objects and Retrying objects made in one module, used in another.
RETRY_OBJECTS = {
    "pyproject.toml": '[project]\nname = "billing"\n',
    "billing/__init__.py": "",
    "billing/policy.py": """
        import retrying
        import tenacity

        retry_policy = tenacity.retry(stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_random(1, 3))
        retryer = tenacity.Retrying(stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_random(1, 3))
        legacy_retry = retrying.retry(stop_max_attempt_number=3, wait_random_max=2000)
        """,
    "billing/charges.py": """
        import requests

        from billing.policy import legacy_retry, retry_policy, retryer


        @retry_policy
        def charge(card):
            return requests.post("https://psp/charges", json=card, timeout=5)


        @retryer.wraps
        def amend(charge_id, amount):
            return requests.patch(f"https://psp/charges/{charge_id}", json=amount, timeout=5)


        def refund(charge_id):
            for attempt in retryer:
                with attempt:
                    return requests.post(f"https://psp/refunds/{charge_id}", timeout=5)


        @legacy_retry
        def capture(charge_id):
            return requests.post(f"https://psp/captures/{charge_id}", timeout=5)


        @retry_policy
        def settle(card):
            return charge(card)


        @retry_policy
        def lookup(charge_id):
            return requests.get(f"https://psp/charges/{charge_id}", timeout=5)
        """,
}

RETRY_OBJECTS_FOUND = {
    ("billing/charges.py", 8, "SVC205"),  # @retry_policy: a tenacity.retry(...) object of another module
    ("billing/charges.py", 13, "SVC205"),  # @retryer.wraps: a tenacity Retrying object
    ("billing/charges.py", 19, "SVC205"),  # for attempt in retryer:
    ("billing/charges.py", 24, "SVC205"),  # @legacy_retry: a retrying.retry(...) object
    ("billing/charges.py", 29, "SVC208"),  # a retried function called under another retry
}


def test_retry_objects_of_another_module_are_retries_for_lint_and_flake8(tmp_path):
    root = write(tmp_path / "billing-repo", RETRY_OBJECTS)
    found = {f for f in lint(root, "--no-cache", "--select", "SVC205,SVC208") if f[2] in ("SVC205", "SVC208")}
    assert found == RETRY_OBJECTS_FOUND
    flake8_found = {f for f in flake8(root, "billing/charges.py") if f[2] in ("SVC205", "SVC208")}
    assert flake8_found == RETRY_OBJECTS_FOUND


#: Issue 16, item 1: redis clients made in one module, read from with blocking commands in others.
REDIS_JOBS = {
    "pyproject.toml": '[project]\nname = "jobs"\n',
    "jobs/__init__.py": "",
    "jobs/connections.py": """
        import redis

        queue_redis = redis.from_url("redis://queue")
        cache = redis.Redis(host="cache")
        events = redis.Redis(host="events")
        streams = redis.Redis(host="streams")


        def make_bus():
            return redis.Redis(host="bus")
        """,
    "jobs/worker.py": """
        from rq import Worker

        from jobs.connections import queue_redis


        def main():
            Worker(["default"], connection=queue_redis).work()
        """,
    "jobs/consumer.py": """
        from jobs import connections
        from jobs.connections import cache, make_bus


        def next_event():
            return connections.events.blpop("events", timeout=0)


        def lookup(key):
            return cache.get(key)


        def follow():
            for message in make_bus().pubsub().listen():
                print(message)


        def tail():
            return connections.streams.xread({"s": "$"}, block=0)
        """,
}


def test_a_redis_client_read_with_blocking_commands_in_another_module_gets_no_read_timeout(tmp_path, svcmod):
    root = write(tmp_path / "jobs-repo", REDIS_JOBS)
    reasons = flake8_messages(root, "SVC107", "jobs")
    assert "module jobs.worker of the project hands this client to `rq.Worker`" in reasons
    assert "module jobs.consumer of the project uses this client for blocking reads (`blpop`)" in reasons
    result = svcmod("lint", "--select", "SVC107", "--fix", "--unsafe-fixes", ".", cwd=root)
    assert result.exit_code == 0, result
    assert (root / "jobs/connections.py").read_text() == textwrap.dedent("""\
        import redis

        queue_redis = redis.from_url("redis://queue", socket_connect_timeout=10)
        cache = redis.Redis(host="cache", socket_timeout=10, socket_connect_timeout=10)
        events = redis.Redis(host="events", socket_connect_timeout=10)
        streams = redis.Redis(host="streams", socket_connect_timeout=10)


        def make_bus():
            return redis.Redis(host="bus", socket_connect_timeout=10)
        """)


def test_a_warm_run_sees_a_blocking_read_added_in_another_module(tmp_path):
    root = write(tmp_path / "jobs-repo", REDIS_JOBS)
    assert ("jobs/connections.py", 4, "SVC107") in lint(root, "--select", "SVC107")
    message = lambda: json.loads(subprocess.run(  # noqa: E731
        [sys.executable, "-m", "svcmod", "lint", "--format", "json", "--exit-zero", "--select", "SVC107", "."],
        cwd=root, capture_output=True, timeout=300).stdout)
    cache_line = [f for f in message() if f["location"]["row"] == 4]
    assert "left out" not in cache_line[0]["message"]
    consumer = root / "jobs/consumer.py"
    consumer.write_text(consumer.read_text().replace("cache.get(key)", "cache.brpop(key)"))
    cache_line = [f for f in message() if f["location"]["row"] == 4]  # connections.py did not change
    assert "uses this client for blocking reads (`brpop`)" in cache_line[0]["message"]


def test_same_named_modules_of_two_services_stay_apart(tmp_path):
    """Issue 17, item 6: each service's ``client.py`` is its own module ``client`` (keyed by its import root)."""
    root = write(tmp_path / "services-repo", {
        "pyproject.toml": '[project]\nname = "services"\n',
        "billing/client.py": "import requests\n\nsession = requests.Session()\n",
        "billing/app.py": "from client import session\n\n\ndef status(url):\n    return session.get(url)\n",
        "cache/client.py": "import redis\n\nsession = redis.Redis(host='cache', socket_timeout=5)\n",
        "cache/app.py": "from client import session\n\n\ndef status(key):\n    return session.get(key)\n",
    })
    expected = {("billing/app.py", 5, "SVC101")}
    assert lint(root, "--no-cache") == expected
    assert flake8(root, "billing/app.py", "cache/app.py") == expected


#: Issue 17: redis pools made in one module, clients built on them in another.
REDIS_POOLS = {
    "pyproject.toml": '[project]\nname = "app"\n',
    "app/__init__.py": "",
    "app/cache.py": """
        import redis

        POOL = redis.ConnectionPool(host="cache", socket_timeout=5)
        BARE = redis.ConnectionPool(host="sessions")
        QUEUE = redis.ConnectionPool(host="queue")
        JOBS = redis.ConnectionPool(host="jobs")
        """,
    "app/views.py": """
        import redis
        from rq import Worker

        from app.cache import BARE, JOBS, POOL, QUEUE

        cache = redis.Redis(connection_pool=POOL)
        sessions = redis.Redis(connection_pool=BARE)


        class Tasks:
            def __init__(self):
                self.queue = redis.Redis(connection_pool=QUEUE)

            def next(self):
                return self.queue.blpop("tasks", timeout=0)


        def lookup(key):
            return cache.get(key) or sessions.get(key)


        def work():
            Worker(["default"], connection=redis.Redis(connection_pool=JOBS)).work()
        """,
}


def test_a_pool_of_another_module_answers_for_its_clients(tmp_path, svcmod):
    root = write(tmp_path / "pools-repo", REDIS_POOLS)
    found = lint(root, "--no-cache", "--select", "SVC107")
    # the clients take the pools' timeouts: only the pools without one are reported
    assert found == {("app/cache.py", 4, "SVC107"), ("app/cache.py", 5, "SVC107"), ("app/cache.py", 6, "SVC107")}
    assert flake8(root, "app/cache.py", "app/views.py") == found
    reasons = flake8_messages(root, "SVC107", "app/cache.py")
    assert "module app.views of the project uses a client built on this pool for blocking reads (`blpop`)" in reasons
    assert "module app.views of the project hands a client built on this pool to `rq.Worker`" in reasons
    result = svcmod("lint", "--select", "SVC107", "--fix", "--unsafe-fixes", "app/cache.py", cwd=root)
    assert result.exit_code == 0, result
    assert (root / "app/cache.py").read_text() == textwrap.dedent("""\
        import redis

        POOL = redis.ConnectionPool(host="cache", socket_timeout=5)
        BARE = redis.ConnectionPool(
            host="sessions", socket_timeout=10, socket_connect_timeout=10
        )
        QUEUE = redis.ConnectionPool(host="queue", socket_connect_timeout=10)
        JOBS = redis.ConnectionPool(host="jobs", socket_connect_timeout=10)
        """)

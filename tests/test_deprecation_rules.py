"""SVC302–SVC313 beyond their examples: fixed code runs, look-alikes stay, fixes of many rules converge."""
from __future__ import annotations

import datetime as dt
import io
import logging
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from svcmod.check.checker import Checker
from svcmod.check.names import imported_modules
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config
from svcmod.registry.rules import builtin_rules

DEPRECATION_CODES = tuple(f"SVC3{n:02d}" for n in range(2, 14))


def check(source: str, codes=DEPRECATION_CODES, fix: bool = True, unsafe: bool = True):
    config = Config(select=tuple(codes))
    checker = Checker(config, FixPolicy(apply=fix, unsafe=unsafe), only_codes=frozenset(codes))
    return checker.check("service.py", textwrap.dedent(source).encode())


def fixed(source: str, codes=DEPRECATION_CODES, unsafe: bool = True) -> str:
    result = check(source, codes, unsafe=unsafe)
    assert result.fixed is not None, f"nothing fixed: {result.findings}"
    return result.fixed.decode()


def run(code: str) -> dict:
    """Execute fixed code in a fresh namespace, with deprecation warnings as errors."""
    namespace: dict = {"__name__": "fixed_module"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        exec(compile(code, "fixed.py", "exec"), namespace)
    return namespace


# -- SVC302 -------------------------------------------------------------------------------------

def test_urllib3_retry_fixed_code_constructs_a_retry_under_urllib3_2():
    import urllib3
    from urllib3.util.retry import Retry
    assert urllib3.__version__.startswith("2."), "this test is about urllib3 2.x"
    source = """\
        from urllib3.util.retry import Retry as R
        methods = R.DEFAULT_METHOD_WHITELIST | {"POST"}
        retry = R(total=3, backoff_factor=0.5, method_whitelist=methods)
        again = retry.new(method_whitelist=None)
        ceiling = R.BACKOFF_MAX
        dropped = R.DEFAULT_REDIRECT_HEADERS_BLACKLIST
        """
    with pytest.raises((TypeError, AttributeError)):
        run(textwrap.dedent(source))  # what urllib3 2 does to the original
    namespace = run(fixed(source))
    assert isinstance(namespace["retry"], Retry)
    assert namespace["retry"].allowed_methods == Retry.DEFAULT_ALLOWED_METHODS | {"POST"}
    assert namespace["retry"].total == 3
    assert namespace["again"].allowed_methods is None
    assert namespace["ceiling"] == Retry.DEFAULT_BACKOFF_MAX
    assert namespace["dropped"] == Retry.DEFAULT_REMOVE_HEADERS_ON_REDIRECT


def test_urllib3_retry_via_requests_adapter_is_fixed():
    source = """\
        from requests.adapters import HTTPAdapter, Retry
        adapter = HTTPAdapter(max_retries=Retry(total=2, method_whitelist=frozenset(["GET"])))
        """
    assert "allowed_methods=frozenset" in fixed(source)


# -- SVC303 / SVC305 ---------------------------------------------------------------------------

def test_asyncio_fixed_code_runs_on_this_python():
    source = """\
        import asyncio

        async def main():
            loop = asyncio.get_event_loop()
            queue = asyncio.Queue(maxsize=2, loop=loop)
            lock = asyncio.Lock(loop=loop)
            await queue.put(1)
            async with lock:
                got = await asyncio.wait_for(queue.get(), 1, loop=loop)
            values = await asyncio.gather(asyncio.sleep(0, result=got, loop=loop), loop=loop)
            return loop is asyncio.get_running_loop(), values

        result = asyncio.run(main())
        """
    with pytest.raises(TypeError):
        run(textwrap.dedent(source))
    code = fixed(source)
    assert "loop=" not in code and "get_running_loop()\n" in code
    assert run(code)["result"] == (True, [1])


def test_loop_argument_kept_on_apis_that_still_take_it():
    source = """\
        import asyncio

        async def main(loop, pool):
            fut = asyncio.ensure_future(work(), loop=loop)
            asyncio.run_coroutine_threadsafe(work(), loop=loop)
            await loop.run_in_executor(pool, work)
            reader = asyncio.StreamReader(loop=loop)
            task = asyncio.Task(work(), loop=loop)
        """
    assert [f.code for f in check(source, fix=False).findings] == []


# -- SVC304 ------------------------------------------------------------------------------------

def test_generator_coroutine_rewritten_to_async_def_runs_the_same():
    source = """\
        import asyncio

        @asyncio.coroutine
        def double(x):
            yield from asyncio.sleep(0)
            return 2 * x

        @asyncio.coroutine
        def main():
            first = yield from double(2)
            second = yield from asyncio.wait_for(double(first), 1)
            return second

        result = asyncio.run(main())
        """
    with pytest.raises(AttributeError):  # Python 3.11 removed asyncio.coroutine
        run(textwrap.dedent(source))
    code = fixed(source)
    assert "yield" not in code and code.count("async def") == 2
    assert run(code)["result"] == 8


def test_coroutine_delegating_to_unknown_generator_is_reported_not_rewritten():
    source = """\
        import asyncio
        from legacy import helper

        @asyncio.coroutine
        def main():
            value = yield from helper()
            return value
        """
    result = check(source)
    assert result.fixed is None
    assert [f.code for f in result.findings] == ["SVC304"]
    assert "not known to be awaitable" in result.findings[0].message


# -- SVC306 ------------------------------------------------------------------------------------

def test_naive_utc_fix_gives_the_same_instant_as_an_aware_datetime():
    source = """\
        from datetime import datetime

        def stamps(ts):
            return datetime.utcnow(), datetime.utcfromtimestamp(ts)
        """
    code = fixed(source)
    now, at = run(code)["stamps"](1_700_000_000)
    assert now.tzinfo is dt.timezone.utc and at.tzinfo is dt.timezone.utc
    assert at.replace(tzinfo=None) == dt.datetime(2023, 11, 14, 22, 13, 20)
    assert abs(now - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=1)


def test_naive_utc_fix_is_unsafe_and_not_applied_by_plain_fix():
    result = check("from datetime import datetime\nnow = datetime.utcnow()\n", unsafe=False)
    assert result.fixed is None
    assert [f.fix_applicability for f in result.findings] == ["unsafe"]


def test_naive_utc_not_fixed_where_a_local_timezone_hides_the_import():
    source = """\
        from datetime import datetime

        def convert(timezone):
            return datetime.utcnow().astimezone(timezone)
        """
    result = check(source)
    assert result.fixed is None and [f.code for f in result.findings] == ["SVC306"]


# -- SVC307 ------------------------------------------------------------------------------------

def test_warn_on_objects_that_are_not_loggers_is_left_alone():
    source = """\
        import logging
        import warnings
        import structlog

        log = structlog.get_logger()

        class Checker:
            def __init__(self, reporter):
                self.reporter = reporter

            def run(self, validator):
                warnings.warn("old", DeprecationWarning)
                self.reporter.warn("x")
                validator.warn("y")
                log.warn("structlog's own alias")
                logging.getLogger(__name__).warning("fine")
        """
    result = check(source)
    assert result.fixed is None and result.findings == []


def test_logger_warn_fix_logs_a_warning_without_deprecation_warning(caplog):
    source = """\
        import logging

        class Service:
            def __init__(self):
                self.log = logging.getLogger("svc")

            def degrade(self):
                self.log.warn("degraded %s", "mode")
                logging.getLogger("svc").warn("second")
        """
    code = fixed(source)
    assert ".warn(" not in code
    with caplog.at_level(logging.WARNING, logger="svc"):
        run(code)["Service"]().degrade()
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "degraded mode"), (logging.WARNING, "second")]


def test_conventional_logger_names_need_a_logging_import():
    source = "from app.util import make\nlogger = thing\nlogger.warn('x')\n"
    assert check(source, fix=False).findings == []


# -- SVC308 ------------------------------------------------------------------------------------

def test_unittest_aliases_fixed_test_runs_clean():
    import unittest
    source = """\
        import unittest

        class T(unittest.TestCase):
            def test_all(self):
                self.assertEquals(1, 1)
                self.assertNotEquals(1, 2)
                self.assert_(True)
                self.failIf(False)
                self.failUnlessAlmostEqual(1.0, 1.00000001)
                self.assertRegexpMatches("abc", "b")
                with self.assertRaisesRegexp(ValueError, "bad"):
                    raise ValueError("bad")
        """
    code = fixed(source)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(run(code)["T"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        outcome = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
    assert outcome.wasSuccessful(), outcome.errors + outcome.failures


def test_unittest_alias_outside_test_case_is_left_alone():
    source = """\
        import unittest

        class Helper:
            def check(self, case):
                case.assertEquals(1, 1)
                self.assertEquals(2, 2)
        """
    assert check(source, fix=False).findings == []


# -- SVC309 / SVC310 / SVC311 / SVC313 -------------------------------------------------------

def test_imp_reload_becomes_importlib_reload_and_still_reloads(tmp_path, monkeypatch):
    (tmp_path / "settings_mod.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import settings_mod
    (tmp_path / "settings_mod.py").write_text("VALUE = 22\n")  # another size: no stale .pyc
    code = fixed("import imp\nimport settings_mod\nimp.reload(settings_mod)\nvalue = settings_mod.VALUE\n")
    assert re.search(r"\bimp\b", code) is None and "importlib.reload(settings_mod)" in code
    assert run(code)["value"] == 22
    del sys.modules["settings_mod"], settings_mod


def test_removed_module_not_reported_inside_the_package_that_provides_it():
    config = Config(select=("SVC309",))
    checker = Checker(config, FixPolicy(), only_codes=frozenset({"SVC309"}))
    source = b"import distutils.log\nfrom distutils.util import convert_path\n"
    assert checker.check("site-packages/setuptools/dist.py", source).findings == []
    assert checker.check("lib/python3.11/distutils/command/sdist.py", source).findings == []
    assert checker.check("services/billing/setup.py", source).findings == []
    assert [f.code for f in checker.check("services/billing/setup_helpers.py", source).findings] == \
        ["SVC309", "SVC309"]


def test_aioredis_rewrite_imports_only_the_names_redis_asyncio_has():
    assert fixed("import aioredis\nr = aioredis.Redis.from_url(url)\n") == \
        "from redis import asyncio as aioredis\nr = aioredis.Redis.from_url(url)\n"
    # 1.x API and the `exceptions` attribute do not exist on redis.asyncio: reported only
    for source in ("import aioredis\npool = aioredis.create_redis_pool(url)\n",
                   "import aioredis\nexcept_ = aioredis.exceptions.ConnectionError\n"):
        result = check(source)
        assert result.fixed is None and [f.code for f in result.findings] == ["SVC310"]


def test_flask_and_sqlalchemy_moves_keep_the_other_names_of_an_import():
    code = fixed("from flask import Flask, Markup as M, request\n"
                 "from sqlalchemy.ext.declarative import ConcreteBase, declared_attr as da\n")
    assert "from flask import Flask, request\n" in code
    assert "from markupsafe import Markup as M\n" in code
    assert "from sqlalchemy.ext.declarative import ConcreteBase\n" in code
    assert "from sqlalchemy.orm import declared_attr as da\n" in code


# -- all of them together ------------------------------------------------------------------------

MANY = """\
import asyncio
import imp
import logging
from datetime import datetime

from flask import Markup, send_file
from sqlalchemy.ext.declarative import declarative_base
from urllib3.util.retry import Retry

import aioredis

logger = logging.getLogger(__name__)
Base = declarative_base()
RETRY = Retry(total=3, method_whitelist=Retry.DEFAULT_METHOD_WHITELIST)


async def handler(name, path):
    loop = asyncio.get_event_loop()
    await asyncio.sleep(0.1, loop=loop)
    logger.warn("serving %s", Markup(name))
    imp.reload(logging)
    client = aioredis.from_url("redis://cache")
    started = datetime.utcnow()
    return send_file(path, attachment_filename=name, cache_timeout=0), client, started
"""


def test_lint_fix_with_many_rules_on_one_file_converges(tmp_path):
    target = tmp_path / "service.py"
    target.write_text(MANY)
    svcmod = str(Path(sys.executable).parent / "svcmod")
    first = subprocess.run([svcmod, "lint", "--fix", "--select", "SVC3", str(target)],
                           capture_output=True, text=True, timeout=120)
    text = target.read_text()
    for gone in ("method_whitelist", "METHOD_WHITELIST", "loop=loop", ".warn(", "imp.reload",
                 "import aioredis", "ext.declarative", "from flask import Markup", "attachment_filename",
                 "cache_timeout", "get_event_loop"):
        assert gone not in text, (gone, text, first.stdout, first.stderr)
    assert "datetime.utcnow()" in text  # unsafe: only with --unsafe-fixes
    assert "SVC306" in first.stdout
    compile(text, "service.py", "exec")
    again = subprocess.run([svcmod, "lint", "--fix", "--select", "SVC3", str(target)],
                           capture_output=True, text=True, timeout=120)
    assert target.read_text() == text, again.stdout
    unsafe = subprocess.run([svcmod, "lint", "--fix", "--unsafe-fixes", "--select", "SVC3", str(target)],
                            capture_output=True, text=True, timeout=120)
    assert unsafe.returncode == 0, unsafe.stdout + unsafe.stderr
    assert "datetime.now(timezone.utc)" in target.read_text()


# -- prefilter -----------------------------------------------------------------------------------

ORDINARY_FILES = [
    "import requests\n\ndef fetch(url):\n    return requests.get(url, timeout=5).json()\n",
    "import logging\nlogger = logging.getLogger(__name__)\nlogger.warning('x')\n",
    "import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n",
    "from datetime import datetime, timezone\nnow = datetime.now(timezone.utc)\n",
    "import unittest\n\nclass T(unittest.TestCase):\n    def test(self):\n        self.assertEqual(1, 1)\n",
]


@pytest.mark.parametrize("source", ORDINARY_FILES)
def test_prefilter_skips_ordinary_files(source):
    rules = [r for r in builtin_rules() if r.code in DEPRECATION_CODES]
    data = source.encode()
    wanted = [r.code for r in rules if r.wants(data, imported_modules(data))]
    assert wanted == []

"""The fast path never changes a result: it finds what the reference (``--no-fast-path``) finds.

The reference parses every file whole with LibCST and runs every selected rule on it. A fixed-seed
slice of ``bench/differential.py`` runs here: every rule example (with fixes), a sample of the
standard library, small pinned wheels (downloaded with ``pip download --no-deps`` and cached in
the git-ignored ``bench/.corpus/``), mutants of all of them, and hypothesmith modules with rule
examples spliced in. ``python bench/differential.py`` runs the long mode and prints counts.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import REPO, write

sys.path.insert(0, str(REPO / "bench"))

APP = """
import subprocess

import requests


def fetch(url):
    return requests.get(url)


def run(cmd):
    while True:
        try:
            return subprocess.run(cmd, check=True)
        except subprocess.CalledProcessError:
            pass
"""


def test_no_fast_path_reports_the_same_in_every_format_and_keeps_no_cache(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP, "other.py": "print('no rule wants me')\n"})
    for output in ("json", "text", "github"):
        fast = svcmod("lint", "--format", output, "--no-cache", ".", cwd=tmp_path)
        reference = svcmod("lint", "--no-fast-path", "--format", output, ".", cwd=tmp_path)
        assert (fast.exit_code, fast.stdout) == (reference.exit_code, reference.stdout) == (1, fast.stdout), reference
    reference = svcmod("lint", "--no-fast-path", "--format", "json", ".", cwd=tmp_path)
    codes = sorted(finding["code"] for finding in json.loads(reference.stdout))
    assert codes == ["SVC101", "SVC106", "SVC202", "SVC206"]
    assert not (tmp_path / ".svcmod_cache").exists()  # the reference neither reads nor writes results


# -- what the fast path missed, each found by a mutant and minimised -------------------------------
import pytest  # noqa: E402

from svcmod.check.checker import Checker  # noqa: E402
from svcmod.check.policy import FixPolicy  # noqa: E402
from svcmod.project.config import Config  # noqa: E402

FAST = Checker(Config())
REFERENCE = Checker(Config(), fast_path=False)

COLUMN_ZERO_QUERY_IN_LOOP = '''
import requests


def fetch(url):
    {loop}
        try:
            query = """
SELECT id
FROM jobs
"""
            return requests.get(url, timeout=5, params={{"q": query}})
        except requests.ConnectionError:
            pass
'''

#: Long enough for excerpts (only the functions a rule may find something in are parsed).
LONG = b"import logging\nimport subprocess\nfrom concurrent.futures import ThreadPoolExecutor\n\n\n" + b"".join(
    b"def step%d(x):\n    return x + %d\n\n\n" % (number, number) for number in range(60))

LESS_INDENTED = """import requests


def fetch(url):
    while True:
        try:
            return {call}
        except requests.ConnectionError:
            pass
"""

MISSES = {
    "one-line try import": (b"try: import requests\nexcept ImportError: pass\n\nrequests.get(url)\n", "SVC101"),
    "import continued by a backslash": (b"import os, \\\n    requests\n\nrequests.get(url)\n", "SVC101"),
    "import and a tab": (b"import\trequests\n\nrequests.get(url)\n", "SVC101"),
    "one-line if import": (b"if True: from aiohttp import ClientSession\nsession = ClientSession()\n", "SVC104"),
    "import after a comment ending in a backslash": (b"x = 1  # see \\\nimport requests\nrequests.get(u)\n",
                                                      "SVC101"),
    "import continued after from": (b"from requests \\\n    import get\nget(url)\n", "SVC101"),
    "import with CRLF continuation": (b"import os, \\\r\n    requests\r\nrequests.get(url)\r\n", "SVC101"),
    "while True with a column-0 query": (COLUMN_ZERO_QUERY_IN_LOOP.format(loop="while True:").encode(), "SVC206"),
    "for range with a column-0 query": (COLUMN_ZERO_QUERY_IN_LOOP.format(loop="for _ in range(3):").encode(),
                                        "SVC202"),
    "form feeds before top-level lines": (b"\x0c\nfrom psycopg2 import connect as pg_connect\n\x0cconn = pg_connect(dsn)\n",
                                          "SVC108"),
    # tokens (.warn(, loop=, range() read as written, not as Python reads them
    "a spaced call in a long file": (LONG + b"log = logging.getLogger()\n\n\ndef g():\n    log . warn ('x')\n",
                                     "SVC307"),
    "a call after a comment in brackets": (LONG + b"def g(cmd):\n    return (subprocess.run  # why\n        (cmd))\n",
                                           "SVC106"),
    "a line end before the dot in brackets": (LONG + b"def g(job):\n    future = ThreadPoolExecutor().submit(job)\n"
                                              b"    return (future.\n        result())\n", "SVC109"),
    "a backslash before the dot": (LONG + b"def g(job):\n    future = ThreadPoolExecutor().submit(job)\n"
                                   b"    return future \\\n        .result ()\n", "SVC109"),
    "a keyword argument over two lines": (b"import asyncio\n\n\nasync def f(loop):\n    await asyncio.sleep(1, loop\n= loop)\n",
                                          "SVC303"),
    "a name after others in a from-import": (b"from logging import getLogger, warn\nwarn('x')\n", "SVC307"),
    "a spaced deprecated alias": (b"import unittest\n\n\nclass T(unittest.TestCase):\n    def test(self):\n"
                                  b"        self.assert_ (1)\n", "SVC308"),
    # a line in brackets indented less than its block ended the retry-loop scan there
    "a retry loop with a bracket continuation at column 0": (LESS_INDENTED.format(
        call='requests.get(url, timeout=5, params={{\n"q": 1}})').encode(), "SVC206"),
    "a retry loop with a backslash continuation at column 0": (LESS_INDENTED.format(
        call="requests.get(url, timeout=5) or \\\nNone").encode(), "SVC206"),
    "a bracket continuation after a string holding a closing bracket": (LESS_INDENTED.format(
        call='requests.get(url, timeout=5, params={{")": 1,\n"q": 1}})').encode(), "SVC206"),
    "a for-range retry loop with a bracket continuation": (LESS_INDENTED.replace("while True", "for _ in range(3)").format(
        call="requests.get(url, timeout=5, params=dict(\n  q=1))").encode(), "SVC202"),
    "a with header over lines indented less than the loop": (
        b"import requests\n\n\ndef fetch(url, fast):\n    while True:\n        with (a\nif fast else b):\n"
        b"            try:\n                return requests.get(url, timeout=5)\n"
        b"            except requests.ConnectionError:\n                pass\n", "SVC206"),
    "form feeds before indented lines of a retry loop": (
        b"import time\n\n\nasync def fetch(client):\n\x0c    while True:\n\x0c        try:\n"
        b"\x0c            return await client.get('/')\n        except OSError:\n\x0c            time.sleep(0.5)\n", "SVC206"),
    "for over a spaced range": (b"import requests\n\n\ndef f(u):\n    for _ in range (3):\n        try:\n"
                                b"            return requests.get(u, timeout=1)\n        except requests.ConnectionError:\n"
                                b"            pass\n", "SVC202"),
}


def keys(result) -> list:
    return sorted((f.code, f.line, f.column, f.end_line, f.end_column, f.message, f.fix_applicability,
                   f.fix_message) for f in result.findings)


@pytest.mark.parametrize("case", sorted(MISSES))
def test_the_fast_path_finds_what_the_reference_finds(case):
    source, code = MISSES[case]
    reference = REFERENCE.check("case.py", source)
    assert code in [f.code for f in reference.findings], reference.findings
    assert keys(FAST.check("case.py", source)) == keys(reference)


def test_a_retry_loop_with_a_column_0_query_loses_neither_finding():
    source = COLUMN_ZERO_QUERY_IN_LOOP.format(loop="while True:").encode()
    assert {"SVC202", "SVC206"} <= {f.code for f in FAST.check("case.py", source).findings}


# -- the fixed-seed slice of bench/differential.py -------------------------------------------------
import differential  # noqa: E402  (bench/differential.py)

#: Lines of the standard library compared here (the long mode compares all of it).
STDLIB_LINES = 15_000
MUTANTS = 150
SEED = 15


def assert_same(tallies) -> None:
    differences = [d for tally in tallies for d in tally.differences]
    assert not differences, "\n".join(map(str, differences[:10]))


def test_every_rule_example_with_and_without_fixes():
    lint, fixing = differential.Comparison(), differential.Comparison(fix=True)
    texts = differential.example_texts()
    tallies = [comparison.compare(f"example-{n}.py", text.encode())
               for n, text in enumerate(texts) for comparison in (lint, fixing)]
    assert_same(tallies)
    assert sum(t.findings for t in tallies) >= 100  # the examples do hold findings


def test_a_sample_of_the_standard_library():
    import random
    files = differential.python_files(differential.stdlib_root())
    random.Random(SEED).shuffle(files)
    comparison, tallies, lines = differential.Comparison(), [], 0
    for path in files:
        if lines >= STDLIB_LINES:
            break
        tally = comparison.compare(str(path), path.read_bytes())
        tallies.append(tally)
        lines += tally.lines
    assert_same(tallies)
    assert lines >= STDLIB_LINES


def test_small_pinned_wheels():
    import subprocess
    try:
        trees = differential.wheel_trees(differential.SMALL_WHEELS)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        pytest.skip(f"pinned wheels {', '.join(differential.SMALL_WHEELS)} neither cached in bench/.corpus "
                    f"nor downloadable (offline?): {error}; the wheel part of the differential check did not run")
    comparison = differential.Comparison()
    tallies = [comparison.compare(str(path), path.read_bytes())
               for tree in trees for path in differential.python_files(tree)]
    assert_same(tallies)
    assert sum(t.findings for t in tallies) > 0 and sum(t.lines for t in tallies) > 5_000


def test_mutants_of_the_examples_and_fixtures():
    differential._init(differential.example_texts() + differential.fixture_texts())
    tally = differential._compare_mutants((SEED, 0, MUTANTS))
    assert_same([tally])
    assert tally.files == MUTANTS and tally.findings > 100


def test_generated_modules_with_rule_examples_spliced_in():
    import hypothesmith
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    comparison = differential.Comparison()
    examples = differential.invalid_example_texts()

    @settings(max_examples=15, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(hypothesmith.from_grammar(), st.sampled_from(examples), st.booleans())
    def check(generated, example, before):
        code = example + "\n" + generated if before else generated + "\n" + example
        assert_same([comparison.compare("generated.py", code.encode("utf-8", "surrogatepass"))])

    check()


# -- a crash is counted, never the end of the run ----------------------------------------------------
#: Found by the 20,000-mutant run (tabs, then form feeds): a form feed before the tab of the first
#: indented line makes it the module's default indent, which LibCST's AddImportsVisitor refuses
#: (``ValueError: invalid value for default_indent``) when SVC301's migration adds ``import tenacity``.
FORM_FEED_AND_TAB = (b"from retrying import retry\n\n\n@retry(stop_max_attempt_number=3)\ndef a():\n\x0c\tpass\n"
                     b"\n\n@retry(wait_func=backoff)\ndef b():\n\tpass\n")


def test_a_crash_while_fixing_keeps_the_file_and_its_findings(svcmod, tmp_path):
    write(tmp_path, {"jobs.py": FORM_FEED_AND_TAB.decode(), "ok.py": "import requests\nrequests.get(url)\n"})
    for fast_path in ([], ["--no-fast-path"]):
        result = svcmod("lint", "--fix", "--unsafe-fixes", "--no-cache", *fast_path, "--format", "json", ".",
                        cwd=tmp_path)
        assert result.exit_code == 1, result
        found = {(Path(f["filename"]).name, f["code"]) for f in json.loads(result.stdout)}
        assert {("jobs.py", "SVC201"), ("jobs.py", "SVC202"), ("jobs.py", "SVC301"), ("jobs.py", "SVC902")} <= found
        assert "internal error while fixing: ValueError" in result.stdout
        assert (tmp_path / "jobs.py").read_bytes() == FORM_FEED_AND_TAB  # not half-fixed
        assert "timeout=" in (tmp_path / "ok.py").read_text()  # the run went on to fix the other file
        write(tmp_path, {"ok.py": "import requests\nrequests.get(url)\n"})


def test_a_crash_in_either_path_is_a_counted_difference_with_its_traceback():
    comparison = differential.Comparison()

    def crash(name, source):
        raise ValueError("the fast path tripped")

    comparison.fast.check = crash
    tally = comparison.compare("crashing.py", b"import requests\nrequests.get(url)\n")
    assert (tally.crashes, len(tally.differences)) == (1, 1)
    report = str(tally.differences[0])
    assert "crashing.py" in report and "the fast path raised ValueError: the fast path tripped" in report
    assert "in crash" in report  # where it was raised
    assert differential.Comparison(fix=True).compare("jobs.py", FORM_FEED_AND_TAB).differences == []


# -- what the reference alone reported -----------------------------------------------------------
#: Logger-named objects in files that never import logging (twisted's own ``Logger``, whose ``warn``
#: is its API): SVC307 took them for stdlib loggers where its import scan had let the file through,
#: so the reference, which has no import scan, reported them and the fast path did not.
LOGGER_NAMES = {
    "an attribute of a base class made by another library": (
        b"from acme.events import Logger\n\n\nclass Protocol:\n    _log = Logger()\n\n\n"
        b"class StatefulProtocol(Protocol):\n    def lineReceived(self, line):\n"
        b"        self._log.warn('unexpected {line!r}', line=line)\n", []),
    "a local made by a subclass of a relative import": (
        b"from ._events import Logger\n\n\nclass Recording(Logger):\n    def emit(self, *event):\n"
        b"        self.emitted = event\n\n\ndef test_warn():\n    log = Recording()\n    log.warn('*', log_format='#')\n",
        []),
    "a parameter, logging imported in another function": (
        b"def setup():\n    import logging\n\n\ndef report(log):\n    log.warn('x')\n", []),
    "a parameter, logging imported in its function": (
        b"def report(log):\n    import logging\n    log.warn('x')\n", ["SVC307"]),
    "a parameter, logging imported by the module": (
        b"import logging.handlers\n\n\ndef report(log):\n    log.warn('x')\n", ["SVC307"]),
}


@pytest.mark.parametrize("case", sorted(LOGGER_NAMES))
def test_a_logger_name_is_a_stdlib_logger_only_where_logging_is_imported(case):
    source, codes = LOGGER_NAMES[case]
    reference = REFERENCE.check("case.py", source)
    assert [f.code for f in reference.findings] == codes
    assert keys(FAST.check("case.py", source)) == keys(reference)


def test_a_session_attribute_spaced_out_is_the_same_session():
    """SVC104 matched the session's requests by LibCST equality, which counts spaces: the reference
    took 'self . _session' and 'self._session' for two objects, the sketch (no spaces) for one."""
    source = (b"import aiohttp\n\n\nclass Transport:\n    async def send(self, url, timeout):\n"
              b"        if self._session is None:\n            self . _session = aiohttp.ClientSession ()\n"
              b"        return await self._session.request('GET', url, timeout=aiohttp.ClientTimeout(total=timeout))\n")
    reference = REFERENCE.check("case.py", source)
    assert "SVC104" not in [f.code for f in reference.findings]  # every request it makes has a timeout
    assert keys(FAST.check("case.py", source)) == keys(reference)

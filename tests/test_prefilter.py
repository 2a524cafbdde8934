"""The retry-loop prefilter: drops files without the shape, never a file with it."""
from __future__ import annotations

import textwrap

import pytest

from svcmod.fastpath.prefilter import may_hold_loop_with_try

KEPT = {
    "while True + return": """
        while True:
            try:
                return fetch()
            except ConnectionError:
                pass
    """,
    "for range + break, try not first": """
        def f():
            for attempt in range(5):
                log(attempt)
                try:
                    r = call()
                    break
                except OSError:
                    continue
    """,
    "try inside with inside loop": """
        while attempts < 3:
            with lock:
                try:
                    return call()
                except Exception:
                    attempts += 1
    """,
    "one-line success exit": """
        for _ in itertools.count():
            try: return call()
            except OSError: pass
    """,
    "exit in else clause": """
        while True:
            try:
                r = call()
            except OSError:
                continue
            else:
                break
    """,
    "multi-line loop header": """
        while (not done and
               attempts < 5):
            try:
                return call()
            except OSError:
                attempts += 1
    """,
    "tab indented": "while True:\n\ttry:\n\t\treturn call()\n\texcept OSError:\n\t\tpass\n",
    # lines of a triple-quoted string at column 0 end no block: inside the try, and between it and its loop
    "a query at column 0 in the try": (
        'while True:\n    try:\n        query = """\nSELECT 1\n"""\n        return call(query)\n'
        '    except OSError:\n        pass\n'),
    "a usage text at column 0 above the try": (
        'x = """\n"""\nwhile True:\n    usage = """\ndef thing():\n    """\n    try:\n        return call()\n'
        '    except OSError:\n        pass\n'),
    "one handler leaves, another goes round": """
        while True:
            try:
                return call()
            except ValueError:
                raise
            except OSError:
                time.sleep(1)
    """,
    "a handler leaving only in one branch": """
        while True:
            try:
                return call()
            except OSError as error:
                if fatal(error):
                    raise
    """,
    "a raise over several lines": """
        while True:
            try:
                return call()
            except OSError:
                log()
                raise Failed(
                    "gone")
    """,
    "a string ending on a line that starts with return": (
        "while True:\n"
        "    try:\n"
        "        return call()\n"
        "    except OSError:\n"
        "        log('''\n"
        "        return''')\n"
    ),
    "a one-line handler that goes round": """
        while True:
            try:
                return call()
            except OSError: continue
    """,
    "returning a value named like the statement": """
        while True:
            try:
                return call()
            except OSError:
                return_code = 1
    """,
}

DROPPED = {
    "no loop around the try": """
        def f():
            try:
                return call()
            except OSError:
                return None
    """,
    "loop over items (a search, not a retry)": """
        for path in paths:
            try:
                return open(path)
            except OSError:
                continue
    """,
    "try in an if inside the loop": """
        while True:
            if ready:
                try:
                    return call()
                except OSError:
                    pass
    """,
    "nothing leaves the loop on success": """
        while True:
            try:
                handle(queue.get())
            except Empty:
                pass
    """,
    "no try at all": "while True:\n    call()\n",
    "try: inside a word or a string": """
        while True:
            retry: int = call()
            log("try: again")
            if done: break
    """,
    "return and break as words, not statements": """
        while True:
            try:
                options = {"break": True, "return": returns}
            except OSError:
                pass
    """,
    "every handler leaves the loop": """
        while True:
            try:
                return call()
            except KeyError:
                return None
            except OSError as error:
                log(error)
                raise Failed(str(error)) from error
            except StopIteration: break
    """,
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_retry_loop_shapes_are_kept(name):
    assert may_hold_loop_with_try(textwrap.dedent(KEPT[name]).encode())


@pytest.mark.parametrize("name", sorted(DROPPED))
def test_other_code_is_dropped(name):
    assert not may_hold_loop_with_try(textwrap.dedent(DROPPED[name]).encode())


def test_unittest_aliases_need_a_test_case_somewhere_in_the_file():
    from svcmod.lint_rules.deprecations.unittest_deprecated_alias import (
        UnittestDeprecatedAlias,
    )
    helper = b"class Checks:\n    def check(self):\n        self.assertEquals(1, 1)\n"
    assert not UnittestDeprecatedAlias.wants(helper, frozenset())
    assert UnittestDeprecatedAlias.wants(b"from unittest import TestCase as Base\n" + helper, frozenset({"unittest"}))


def loop_catching(header: str) -> bytes:
    return textwrap.dedent(f"""
        while True:
            try:
                return call()
            {header}
                pass
    """).encode()


@pytest.mark.parametrize("header,kept", [
    ("except KeyError:", False),
    ("except (KeyError, json.JSONDecodeError) as error:", False),
    ("except (KeyError, OSError):", True),
    ("except socket.timeout:", True),
    ("except:", True),
    ("except (KeyError,\n          ValueError):", True),  # over two lines: not read, kept
    ("except errors[0]:", True),
])
def test_a_handler_naming_only_permanent_errors_makes_no_retry(header, kept):
    from svcmod.lint_rules.retries.patterns import permanent
    assert may_hold_loop_with_try(loop_catching(header), permanent) is kept
    assert may_hold_loop_with_try(loop_catching(header))  # without the rules' knowledge: kept


def test_a_file_using_only_asyncio_needs_run_coroutine_threadsafe_to_block():
    from svcmod.lint_rules.deadlines.blocking_wait_without_timeout import (
        BlockingWaitWithoutTimeout,
    )
    events = b"import asyncio\n\nasync def main(stop: asyncio.Event):\n    await stop.wait()\n"
    assert not BlockingWaitWithoutTimeout.wants(events, frozenset({"asyncio"}))
    bridged = b"import asyncio\nfuture = asyncio.run_coroutine_threadsafe(work(), loop)\nfuture.result()\n"
    assert BlockingWaitWithoutTimeout.wants(bridged, frozenset({"asyncio"}))
    threads = b"import asyncio, threading\nstop = threading.Event()\nstop.wait()\n"
    assert BlockingWaitWithoutTimeout.wants(threads, frozenset({"asyncio", "threading"}))

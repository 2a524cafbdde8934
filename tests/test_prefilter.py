"""The retry-loop prefilter: drops files without the shape, never a file with it."""
from __future__ import annotations

import textwrap

import pytest

from svcmod.prefilter import may_hold_loop_with_try

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
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_retry_loop_shapes_are_kept(name):
    assert may_hold_loop_with_try(textwrap.dedent(KEPT[name]).encode())


@pytest.mark.parametrize("name", sorted(DROPPED))
def test_other_code_is_dropped(name):
    assert not may_hold_loop_with_try(textwrap.dedent(DROPPED[name]).encode())

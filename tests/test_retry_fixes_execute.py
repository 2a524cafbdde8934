"""The retry fixes really bound and jitter retries: code fixed by ``svcmod lint --fix --unsafe-fixes``
is imported and run (sleeping patched out), and its attempts and waits are counted.
"""
from __future__ import annotations

import asyncio
import importlib.util
import itertools
import time
from pathlib import Path
from typing import List

import pytest

tenacity = pytest.importorskip("tenacity")
backoff = pytest.importorskip("backoff")
import backoff._sync  # noqa: E402
import tenacity.nap  # noqa: E402
from conftest import run_subprocess, write  # noqa: E402

_names = itertools.count()

SETTINGS = """
[tool.svcmod]
max-attempts = 3
"""


def fix_and_import(tmp_path: Path, source: str, *extra: str):
    """Write ``source`` beside a pyproject with ``max-attempts = 3``, fix it with the real command,
    and import the fixed module."""
    write(tmp_path, {"pyproject.toml": SETTINGS, "service.py": source})
    result = run_subprocess(["lint", "--fix", *extra, "service.py"], tmp_path)
    assert result.exit_code in (0, 1), result
    fixed = (tmp_path / "service.py").read_text()
    spec = importlib.util.spec_from_file_location(f"fixed_service_{next(_names)}", tmp_path / "service.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, fixed


def record_sleeps(monkeypatch) -> List[float]:
    """From now on, record the seconds each sleep asks for instead of sleeping (tenacity and backoff
    both end in ``time.sleep``: tenacity's default ``sleep`` is ``tenacity.nap.sleep``). Called after
    svcmod ran: ``subprocess`` itself waits with ``time.sleep``."""
    recorded: List[float] = []

    def sleep(seconds: float) -> None:
        recorded.append(seconds)
        if len(recorded) > 100:  # a fix that did not bound the retry must fail, not hang
            raise RuntimeError("retried without end")

    monkeypatch.setattr(tenacity.nap.time, "sleep", sleep)
    assert backoff._sync.time is tenacity.nap.time  # one patch covers both libraries
    return recorded


def run_twice(function, calls: List[int], waits: List[float], error) -> List[List[float]]:
    """Call ``function`` twice; each run must fail after exactly 3 attempts. Returns the waits."""
    runs = []
    for _ in range(2):
        calls.clear()
        waits.clear()
        with pytest.raises(error):
            function()
        assert len(calls) == 3, f"expected 3 attempts, got {len(calls)}"
        runs.append(list(waits))
    return runs


def test_bare_tenacity_retry_stops_after_configured_attempts_and_waits_with_jitter(tmp_path, monkeypatch):
    module, fixed = fix_and_import(tmp_path, """
        from tenacity import retry

        CALLS = []


        @retry
        def always_fails():
            CALLS.append(1)
            raise ConnectionError("down")
        """, "--unsafe-fixes")
    waits = record_sleeps(monkeypatch)
    assert "stop=stop_after_attempt(3)" in fixed and "wait=wait_random_exponential(" in fixed
    first, second = run_twice(module.always_fails, module.CALLS, waits, tenacity.RetryError)
    assert len(first) == len(second) == 2  # a wait between attempts, none after the last
    assert all(0 <= w <= 30 for w in first + second)  # backoff-max
    assert first != second, "waits are the same in two runs: no jitter"


def test_fixed_wait_gets_jitter_added(tmp_path, monkeypatch):
    module, fixed = fix_and_import(tmp_path, """
        import tenacity

        CALLS = []


        @tenacity.retry(wait=tenacity.wait_fixed(2), reraise=True)
        def always_fails():
            CALLS.append(1)
            raise TimeoutError("slow")
        """, "--unsafe-fixes")
    waits = record_sleeps(monkeypatch)
    assert "tenacity.wait_fixed(2) + tenacity.wait_random(0, 1)" in fixed
    first, second = run_twice(module.always_fails, module.CALLS, waits, TimeoutError)
    assert all(2 <= w <= 3 for w in first + second)
    assert first != second


def test_retrying_object_is_bounded(tmp_path, monkeypatch):
    module, _ = fix_and_import(tmp_path, """
        from tenacity import Retrying

        CALLS = []


        def always_fails():
            for attempt in Retrying(reraise=True):
                with attempt:
                    CALLS.append(1)
                    raise ConnectionResetError("reset")
        """, "--unsafe-fixes")
    waits = record_sleeps(monkeypatch)
    first, second = run_twice(module.always_fails, module.CALLS, waits, ConnectionResetError)
    assert first != second


def test_backoff_decorator_is_bounded(tmp_path, monkeypatch):
    module, fixed = fix_and_import(tmp_path, """
        import backoff

        CALLS = []


        @backoff.on_exception(backoff.expo, ConnectionError)
        def always_fails():
            CALLS.append(1)
            raise ConnectionError("down")
        """, "--unsafe-fixes")
    waits = record_sleeps(monkeypatch)
    assert "max_tries=3" in fixed
    first, second = run_twice(module.always_fails, module.CALLS, waits, ConnectionError)
    assert first != second  # backoff's default full jitter


def test_without_unsafe_fixes_the_retry_is_left_alone(tmp_path):
    source = "from tenacity import retry\n\n\n@retry\ndef f():\n    pass\n"
    write(tmp_path, {"pyproject.toml": SETTINGS, "service.py": source})
    result = run_subprocess(["lint", "--fix", "--select", "SVC2", "service.py"], tmp_path)
    assert result.exit_code == 1, result
    assert (tmp_path / "service.py").read_text() == source
    assert "SVC201" in result.stdout and "SVC202" in result.stdout


def test_async_retry_loop_no_longer_blocks_the_event_loop(tmp_path, monkeypatch):
    module, fixed = fix_and_import(tmp_path, """
        import time

        CALLS = []


        async def flaky():
            for _ in range(3):
                try:
                    CALLS.append(1)
                    if len(CALLS) < 3:
                        raise ConnectionError("down")
                    return "ok"
                except ConnectionError:
                    time.sleep(0.01)
        """)
    assert "await asyncio.sleep(0.01)" in fixed and "import time" not in fixed

    def blocking(seconds):
        raise AssertionError("time.sleep called in a coroutine")

    monkeypatch.setattr(time, "sleep", blocking)
    ticks = []

    async def main():
        async def ticker():
            while True:
                ticks.append(1)
                await asyncio.sleep(0)

        task = asyncio.ensure_future(ticker())
        value = await module.flaky()
        task.cancel()
        return value

    assert asyncio.run(main()) == "ok"
    assert len(module.CALLS) == 3
    assert ticks, "other tasks did not run while the coroutine waited to retry"

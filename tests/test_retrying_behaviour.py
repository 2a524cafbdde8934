"""SVC301 keeps behaviour: each retrying function and its tenacity migration, run on a fake clock, make
the same attempts, sleep the same durations and end with the same value or error.

The migrated source is what the real checker writes (``svcmod lint --fix --unsafe-fixes --select SVC301``), imported
and run; nothing here compares text.
"""
from __future__ import annotations

import importlib.util
import itertools
import random
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Tuple

import pytest

retrying = pytest.importorskip("retrying")
tenacity = pytest.importorskip("tenacity")
nap = pytest.importorskip("tenacity.nap")  # where tenacity sleeps

from svcmod.check.checker import Checker  # noqa: E402
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config  # noqa: E402

#: A module the cases import from: retry_on_exception values the migrated file cannot see into.
POLICIES = """
RETRYABLE = (IOError, KeyError)


# a service's own exception class, as requests.exceptions.ConnectionError is a library's
class TransientError(IOError):
    pass


def is_io_error(error):
    return isinstance(error, IOError)
"""

WORK = '''

OUTCOMES = []
CLOCK = None


def work(*args):
    CLOCK.attempt()
    outcome = OUTCOMES.pop(0)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
'''


class Stop(BaseException):
    """Not an Exception: neither library retries it."""


class FakeClock:
    """``time.time``/``monotonic``/``sleep`` for both libraries; each attempt costs ``cost`` seconds."""

    def __init__(self, cost: float = 0.0) -> None:
        self.now = 1000.0
        self.cost = cost
        self.sleeps: List[float] = []
        self.attempts = 0

    def time(self) -> float:
        return self.now

    monotonic = time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def attempt(self) -> None:
        self.attempts += 1
        self.now += self.cost


@dataclass
class Case:
    id: str
    code: str  # imports + a function ``target()`` that calls ``work`` under retrying
    outcomes: Callable[[], list]  # a fresh script of return values / exceptions for ``work``
    cost: float = 0.0
    bounds: Optional[Tuple[float, float]] = None  # random waits: each sleep within these, in seconds
    seeds: Sequence[int] = (0,)
    expect_attempts: Optional[int] = None  # a sanity check that the case exercises what it says


def fails(n: int, then: Any = "ok", error: type = IOError) -> Callable[[], list]:
    return lambda: [error(f"attempt {i + 1}") for i in range(n)] + [then]


def always_fails(error: type = IOError) -> Callable[[], list]:
    return lambda: [error(f"attempt {i + 1}") for i in range(60)]


def decorated(arguments: str, imports: str = "from retrying import retry", name: str = "retry") -> str:
    return f"{imports}\n\n@{name}{arguments}\ndef target():\n    return work()\n"


CASES = [
    Case("stop_max_attempt_number", decorated("(stop_max_attempt_number=3)"), always_fails(), expect_attempts=3),
    Case("stop_max_attempt_number-succeeds", decorated("(stop_max_attempt_number=5, wait_fixed=1500)"),
         fails(2), expect_attempts=3),
    Case("wait_fixed", decorated("(stop_max_attempt_number=4, wait_fixed=1500)"), always_fails(),
         expect_attempts=4),
    Case("stop_max_delay", decorated("(stop_max_delay=2000, wait_fixed=500)"), always_fails(), cost=0.25),
    Case("stop_max_delay-and-attempts", decorated("(stop_max_attempt_number=10, stop_max_delay=1000, wait_fixed=250)"),
         always_fails(), cost=0.125),
    Case("stop-by-attempts-before-delay", decorated("(stop_max_attempt_number=2, stop_max_delay=60000)"),
         always_fails(), expect_attempts=2),
    Case("wait_random", decorated("(stop_max_attempt_number=6, wait_random_min=100, wait_random_max=400)"),
         always_fails(), bounds=(0.1, 0.4), seeds=range(5), expect_attempts=6),
    Case("wait_random_max-only", decorated("(stop_max_attempt_number=6, wait_random_max=300)"),
         always_fails(), bounds=(0.0, 0.3), seeds=range(5)),
    Case("wait_random_min-only", decorated("(stop_max_attempt_number=6, wait_random_min=700)"),
         always_fails(), bounds=(0.7, 1.0), seeds=range(5)),
    Case("wait_incrementing", decorated("(stop_max_attempt_number=5, wait_incrementing_start=200, "
                                        "wait_incrementing_increment=300)"), always_fails()),
    Case("wait_incrementing_max", decorated("(stop_max_attempt_number=6, wait_incrementing_start=200, "
                                            "wait_incrementing_increment=300, wait_incrementing_max=600)"),
         always_fails()),
    Case("wait_incrementing-increment-only", decorated("(stop_max_attempt_number=5, wait_incrementing_increment=250)"),
         always_fails()),
    Case("wait_incrementing_max-alone-is-ignored", decorated("(stop_max_attempt_number=4, wait_incrementing_max=50)"),
         always_fails()),
    Case("wait_exponential", decorated("(stop_max_attempt_number=7, wait_exponential_multiplier=100, "
                                       "wait_exponential_max=1500)"), always_fails(), expect_attempts=7),
    Case("wait_exponential_multiplier-only", decorated("(stop_max_attempt_number=6, wait_exponential_multiplier=1000)"),
         always_fails()),
    Case("wait_exponential_max-only", decorated("(stop_max_attempt_number=6, wait_exponential_max=5000)"),
         always_fails()),
    Case("wait_jitter_max", decorated("(stop_max_attempt_number=5, wait_fixed=1000, wait_jitter_max=500)"),
         always_fails(), bounds=(1.0, 1.5), seeds=range(5)),
    Case("wait_jitter_max-alone", decorated("(stop_max_attempt_number=5, wait_jitter_max=250)"),
         always_fails(), bounds=(0.0, 0.25), seeds=range(5)),
    Case("retry_on_exception-predicate",
         "from retrying import retry\n\ndef io_error(error):\n    return isinstance(error, IOError)\n\n"
         "@retry(stop_max_attempt_number=5, retry_on_exception=io_error, wait_fixed=100)\n"
         "def target():\n    return work()\n",
         lambda: [IOError("a"), IOError("b"), ValueError("not retried"), "unused"], expect_attempts=3),
    Case("retry_on_exception-lambda-gives-up",
         decorated("(stop_max_attempt_number=3, retry_on_exception=lambda e: isinstance(e, IOError))"),
         always_fails(), expect_attempts=3),
    Case("retry_on_exception-predicate-never-sees-base-exceptions",
         decorated("(stop_max_attempt_number=5, retry_on_exception=lambda e: True)"),
         lambda: [IOError("a"), Stop(), "unused"], expect_attempts=2),
    Case("retry_on_exception-isinstance-lambda-with-result",
         decorated("(stop_max_attempt_number=6, retry_on_exception=lambda error: isinstance(error, (IOError, KeyError)),"
                   " retry_on_result=lambda r: r is None)"),
         lambda: [IOError("a"), None, KeyError("b"), ValueError("c")], expect_attempts=4),
    Case("retry_on_exception-tuple",
         decorated("(stop_max_attempt_number=5, retry_on_exception=(IOError, KeyError))"),
         lambda: [IOError("a"), KeyError("b"), ValueError("c")], expect_attempts=3),
    Case("retry_on_exception-tuple-constant",
         "from retrying import retry\n\nRETRYABLE = (IOError, KeyError)\n\n"
         "@retry(stop_max_attempt_number=5, retry_on_exception=RETRYABLE)\ndef target():\n    return work()\n",
         lambda: [KeyError("a"), ValueError("b")], expect_attempts=2),
    Case("retry_on_exception-imported-tuple",
         decorated("(stop_max_attempt_number=5, retry_on_exception=policies.RETRYABLE)",
                   imports="import policies\nfrom retrying import retry"),
         lambda: [IOError("a"), KeyError("b"), ValueError("c")], expect_attempts=3),
    Case("retry_on_exception-imported-predicate",
         decorated("(stop_max_attempt_number=5, retry_on_exception=is_io_error)",
                   imports="from policies import is_io_error\nfrom retrying import retry"),
         lambda: [IOError("a"), KeyError("b")], expect_attempts=2),
    Case("retry_on_exception-imported-class-in-a-tuple",
         decorated("(stop_max_attempt_number=5, retry_on_exception=(policies.TransientError,))",
                   imports="import policies\nfrom retrying import retry"),
         lambda: [__import__("policies").TransientError("a"), KeyError("b")], expect_attempts=2),
    Case("retry_on_result", decorated("(stop_max_attempt_number=6, retry_on_result=lambda r: r is None)"),
         lambda: [None, IOError("still retried"), None, 5], expect_attempts=4),
    Case("retry_on_result-gives-up", decorated("(stop_max_attempt_number=3, retry_on_result=lambda r: r is None, "
                                               "wait_fixed=200)"),
         lambda: [None] * 5, expect_attempts=3),
    Case("retry_on_exception-and-result",
         decorated("(stop_max_attempt_number=6, retry_on_exception=lambda e: isinstance(e, IOError), "
                   "retry_on_result=lambda r: r == 'busy')"),
         lambda: ["busy", IOError("a"), "busy", ValueError("b")], expect_attempts=4),
    Case("wrap_exception", decorated("(stop_max_attempt_number=3, wrap_exception=True)"), always_fails(),
         expect_attempts=3),
    Case("wrap_exception-succeeds", decorated("(stop_max_attempt_number=3, wrap_exception=True)"), fails(2)),
    Case("wrap_exception-false", decorated("(stop_max_attempt_number=2, wrap_exception=False)"), always_fails()),
    Case("bare-retry", decorated(""), fails(4), expect_attempts=5),
    Case("empty-call", decorated("()"), fails(3, then=[1, 2]), expect_attempts=4),
    Case("base-exception-not-retried", decorated("(stop_max_attempt_number=5)"), lambda: [IOError("a"), Stop()],
         expect_attempts=2),
    Case("module-import", decorated("(stop_max_attempt_number=4, wait_fixed=300)", imports="import retrying",
                                    name="retrying.retry"), always_fails()),
    Case("module-alias", decorated("(stop_max_delay=1000, wait_exponential_multiplier=100)", imports="import retrying as rt",
                                   name="rt.retry"), always_fails(), cost=0.0625),
    Case("from-alias", decorated("(stop_max_attempt_number=3, wait_incrementing_start=1000)",
                                 imports="from retrying import retry as retried", name="retried"), always_fails()),
    Case("values-from-names",
         "from retrying import retry\n\nATTEMPTS = 4\nWAIT_MS = 250\n\n"
         "@retry(stop_max_attempt_number=ATTEMPTS, wait_fixed=WAIT_MS * 2, wait_exponential_max=None)\n"
         "def target():\n    return work()\n", always_fails(), expect_attempts=4),
    Case("multi-line",
         "from retrying import retry\n\n@retry(\n    stop_max_attempt_number=4,  # attempts\n"
         "    wait_exponential_multiplier=250,\n)\ndef target():\n    return work()\n", always_fails()),
    Case("Retrying-object",
         "from retrying import Retrying\n\nretryer = Retrying(stop_max_attempt_number=4, wait_fixed=100)\n\n"
         "def target():\n    return retryer.call(work, 'arg')\n", fails(2), expect_attempts=3),
    Case("Retrying-inline",
         "import retrying\n\ndef target():\n"
         "    return retrying.Retrying(stop_max_attempt_number=3, wait_random_min=10, wait_random_max=20).call(work)\n",
         always_fails(), bounds=(0.01, 0.02), seeds=range(3)),
    Case("Retrying-on-self",
         "from retrying import Retrying, RetryError\n\nclass Client:\n    def __init__(self):\n"
         "        self.retryer = Retrying(stop_max_attempt_number=3, retry_on_result=lambda r: r is None,"
         " wait_fixed=50)\n\n    def fetch(self):\n        try:\n            return self.retryer.call(work)\n"
         "        except RetryError:\n            return 'gave up'\n\n"
         "def target():\n    return Client().fetch()\n", lambda: [None] * 5, expect_attempts=3),
]


def migrate(path: Path) -> str:
    """What ``svcmod lint --fix --unsafe-fixes --select SVC301`` writes for ``path`` (the checker it runs)."""
    checker = Checker(Config(select=("SVC301",)), FixPolicy(apply=True, unsafe=True))
    result = checker.check(str(path), path.read_bytes())
    assert result.fixed is not None, f"SVC301 did not migrate:\n{path.read_text()}\n{result.findings}"
    assert [f.code for f in result.findings] == [], result.findings
    return result.fixed.decode()


def load(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ending(outcome: Any, script: list) -> Tuple:
    """How a call ended, comparable across the two libraries."""
    def index(value: Any) -> Any:
        for i, item in enumerate(script):
            if item is value:
                return ("outcome", i)
        return value

    kind, value = outcome
    if kind == "return":
        return ("return", value)
    if type(value).__name__ == "RetryError":
        last = value.last_attempt
        if hasattr(last, "has_exception"):  # retrying's Attempt
            last_value = last.value[1] if last.has_exception else last.value
        else:  # tenacity's Future
            last_value = last.exception() if last.failed else last.result()
        return ("RetryError", last.attempt_number, index(last_value))
    return ("raise", index(value))


def run(module: types.ModuleType, case: Case, monkeypatch, libraries: Sequence[types.ModuleType]):
    clock = FakeClock(case.cost)
    fake_time = types.SimpleNamespace(time=clock.time, monotonic=clock.monotonic, sleep=clock.sleep)
    with monkeypatch.context() as patch:
        for library in libraries:
            patch.setattr(library, "time", fake_time)
        script = case.outcomes()
        module.OUTCOMES[:] = script
        module.CLOCK = clock
        try:
            outcome = ("return", module.target())
        except BaseException as error:  # Stop is a BaseException on purpose
            outcome = ("raise", error)
    return clock.attempts, clock.sleeps, ending(outcome, script)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_migrated_function_behaves_as_the_original(case: Case, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "policies.py").write_text(POLICIES)
    monkeypatch.syspath_prepend(str(tmp_path))
    original = tmp_path / "original_service.py"
    original.write_text(case.code + WORK)
    migrated = tmp_path / "migrated_service.py"
    migrated.write_text(case.code + WORK)
    text = migrate(migrated)
    migrated.write_text(text)
    assert "retrying" not in text.replace("retrying_", ""), text
    before_module = load(original, f"original_{case.id.replace('-', '_')}")
    after_module = load(migrated, f"migrated_{case.id.replace('-', '_')}")
    for seed in case.seeds:
        random.seed(seed)
        before = run(before_module, case, monkeypatch, [retrying])
        random.seed(seed)
        after = run(after_module, case, monkeypatch, [tenacity, nap])
        attempts, sleeps, end = before
        assert after[0] == attempts, f"attempts differ:\n{text}"
        assert after[2] == end, f"ending differs:\n{text}"
        assert len(after[1]) == len(sleeps)
        if case.bounds is None:
            assert after[1] == pytest.approx(sleeps, abs=1e-9), f"sleeps differ:\n{text}"
        else:
            low, high = case.bounds
            for waited in itertools.chain(sleeps, after[1]):
                assert low - 1e-9 <= waited <= high + 1e-9, (waited, case.bounds)
        if case.expect_attempts is not None:
            assert attempts == case.expect_attempts


def test_random_waits_spread_over_the_same_range(tmp_path: Path, monkeypatch) -> None:
    """Not only within bounds: both libraries use the whole range (no constant wait hides as random)."""
    case = Case("spread", decorated("(stop_max_attempt_number=40, wait_random_min=100, wait_random_max=900)"),
                always_fails())
    original = tmp_path / "spread_before.py"
    original.write_text(case.code + WORK)
    migrated = tmp_path / "spread_after.py"
    migrated.write_text(case.code + WORK)
    migrated.write_text(migrate(migrated))
    before = run(load(original, "spread_before"), case, monkeypatch, [retrying])[1]
    after = run(load(migrated, "spread_after"), case, monkeypatch, [tenacity, nap])[1]
    for sleeps in (before, after):
        assert min(sleeps) < 0.35 and max(sleeps) > 0.65
        assert all(0.1 <= s <= 0.9 for s in sleeps)



def test_an_imported_exception_class_alone_is_not_migrated(tmp_path: Path, monkeypatch) -> None:
    """``retry_on_exception=TransientError`` (a class, not a tuple): retrying 1.4 fails with TypeError at
    the first error, and the run-time rewrite the migration wrote before retried every exception under
    tenacity (``retry_if_exception(TransientError)`` calls the class: a truthy instance). Neither is the
    intent, so SVC301 offers no fix and says to write ``(TransientError,)``."""
    (tmp_path / "policies.py").write_text(POLICIES)
    monkeypatch.syspath_prepend(str(tmp_path))
    from policies import TransientError

    code = "from retrying import retry\nfrom policies import TransientError\n\n" \
           "@retry(stop_max_attempt_number=4, retry_on_exception=TransientError)\ndef target():\n    return work()\n"
    source = tmp_path / "class_alone.py"
    source.write_text(code + WORK)
    checker = Checker(Config(select=("SVC301",)), FixPolicy(apply=True, unsafe=True))
    result = checker.check(str(source), source.read_bytes())
    assert result.fixed is None
    [finding] = result.findings
    assert "write retry_on_exception=(TransientError,)" in finding.message, finding.message

    case = Case("class-alone", code, lambda: [TransientError("a"), KeyError("not transient"), "ok"])
    attempts, _, end = run(load(source, "class_alone"), case, monkeypatch, [retrying])
    assert (attempts, end[0], type(end[1]).__name__) == (1, "raise", "TypeError")

    old_rewrite = tmp_path / "old_rewrite.py"
    old_rewrite.write_text(
        "from tenacity import retry, retry_if_exception, retry_if_exception_type, stop_after_attempt\n"
        "from policies import TransientError\n\n"
        "@retry(stop=stop_after_attempt(4), retry=(retry_if_exception_type(TransientError) "
        "if isinstance(TransientError, tuple) else retry_if_exception_type() & retry_if_exception(TransientError)),"
        " reraise=True)\ndef target():\n    return work()\n" + WORK)
    attempts, _, end = run(load(old_rewrite, "old_rewrite"), case, monkeypatch, [tenacity, nap])
    assert (attempts, end) == (3, ("return", "ok"))  # the KeyError was retried too

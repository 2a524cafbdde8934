"""SVC203: retries that wait, but all clients wait the same time (no jitter)."""
from __future__ import annotations

from typing import FrozenSet, List, Optional, Set

import libcst as cst

from svcmod.lint_rules.retries.patterns import (
    RETRYING_JITTERED,
    RETRYING_WAIT_SLOT,
    RETRYING_WAITS,
    TENACITY_JITTERED_WAITS,
    TENACITY_PLAIN_WAITS,
    TENACITY_WAIT_COMBINATORS,
    RetryLoop,
    RetryLoopChecks,
    RetryUse,
    assigned_in,
    has_randomness,
    is_constant,
    may_hold_retry_loop,
    retry_use_of_call,
    retrying_library_keywords,
    retrying_library_uses,
    sleeps,
    walk_local,
)
from svcmod.rule import (
    UNSAFE,
    FastPath,
    Fix,
    FixStep,
    Invalid,
    Parts,
    Rule,
    Setting,
    Valid,
    is_none,
    keyword,
    without_keyword,
)


def _may_retry_in_lockstep(source: bytes, imported: FrozenSet[str]) -> bool:
    return "tenacity" in imported or "backoff" in imported or "retrying" in imported or (b"sleep" in source and may_hold_retry_loop(source))


class RetryWithoutJitter(RetryLoopChecks, Rule):
    """Checks for retry waits with no random part.

    ## Why is this bad?
    When a dependency fails, all its clients fail at once; if they all wait the same fixed or
    exponential time, their retries arrive together again, wave after wave, and the dependency
    cannot recover. A random part (jitter) spreads them out.

    Found: tenacity `wait=` built only from `wait_fixed`, `wait_exponential`, `wait_incrementing`
    (alone, added, or chained); `backoff` decorators with `jitter=None`; in a hand-written retry
    loop, a `time.sleep`/`asyncio.sleep` of a constant or of arithmetic on literals (`2 ** n`)
    when nothing in the loop draws a random number.

    ## Fix safety
    For tenacity the fix adds `+ wait_random(0, <jitter>)` to the wait; for backoff it drops
    `jitter=None` (backoff's default is full jitter). Both are unsafe: waits change. Loops are
    reported only.

    `jitter` is the upper bound of the random part in seconds (the project's `jitter` setting, 1 s).

    ## References
    - https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
    """

    code = "SVC203"
    name = "retry-without-jitter"
    message = "retry wait without jitter: clients retry in lockstep"
    fix_safety = UNSAFE
    fast_path = FastPath(
        test=_may_retry_in_lockstep,
        # a part may hold a finding through tenacity/backoff names or a loop
        parts=Parts(imports=("tenacity", "backoff", "retrying"),
                    test=lambda text, mentioned: mentioned or (b"sleep" in text and may_hold_retry_loop(text))),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "retries"),)
    options = {"jitter": Setting("jitter")}
    examples = (
        Invalid("import retrying\n\n@retrying.retry(stop_max_attempt_number=5, wait_exponential_multiplier=500)\n"
                "def fetch():\n    return call()\n"),
        Valid("import retrying\n\n@retrying.retry(stop_max_attempt_number=5, wait_exponential_multiplier=500, "
              "wait_jitter_max=1000)\ndef fetch():\n    return call()\n"),
        Invalid("import time\nimport requests\n\ndef wait_for_service(url):\n    while True:\n        try:\n"
                "            return requests.get(url, timeout=5)\n        except requests.ConnectionError:\n"
                "            time.sleep(30)\n"),
        Invalid("from tenacity import retry, stop_after_attempt, wait_fixed\n\n"
                "@retry(stop=stop_after_attempt(3), wait=wait_fixed(2))\ndef fetch():\n    return call()\n",
                fixed="from tenacity import retry, stop_after_attempt, wait_fixed, wait_random\n\n"
                      "@retry(stop=stop_after_attempt(3), wait=wait_fixed(2) + wait_random(0, 1))\n"
                      "def fetch():\n    return call()\n"),
        Invalid("import tenacity\nr = tenacity.Retrying(stop=tenacity.stop_after_attempt(3), "
                "wait=tenacity.wait_exponential(multiplier=1, max=10))\n",
                fixed="import tenacity\nr = tenacity.Retrying(\n    stop=tenacity.stop_after_attempt(3),\n"
                      "    wait=tenacity.wait_exponential(multiplier=1, max=10) + tenacity.wait_random(0, 0.5),\n)\n",
                options={"jitter": 0.5}),
        Invalid("import backoff\n\n@backoff.on_exception(backoff.expo, OSError, max_tries=3, jitter=None)\n"
                "def fetch():\n    return call()\n",
                fixed="import backoff\n\n@backoff.on_exception(backoff.expo, OSError, max_tries=3)\n"
                      "def fetch():\n    return call()\n"),
        Invalid("import time\n\ndef fetch(client):\n    for _ in range(5):\n        try:\n            return client.get('/')\n"
                "        except ConnectionError:\n            time.sleep(2)\n"),
        Invalid("import time\n\ndef fetch(client):\n    for attempt in range(5):\n        try:\n"
                "            return client.get('/')\n        except ConnectionError:\n            time.sleep(2 ** attempt)\n"),
        Valid("from tenacity import retry, wait_fixed, wait_random\n\n@retry(wait=wait_fixed(2) + wait_random(0, 1))\n"
              "def f():\n    pass\n"),
        Valid("from tenacity import retry, wait_random_exponential\n\n@retry(wait=wait_random_exponential(max=10))\n"
              "def f():\n    pass\n"),
        Valid("from tenacity import retry\n\n@retry(wait=my_wait)\ndef f():\n    pass\n"),
        Valid("import backoff\n\n@backoff.on_exception(backoff.expo, OSError, max_tries=3)\ndef f():\n    pass\n"),
        Valid("import random, time\n\ndef fetch(client):\n    for _ in range(5):\n        try:\n            return client.get('/')\n"
              "        except ConnectionError:\n            time.sleep(2 + random.random())\n"),
        Valid("import time\n\ndef fetch(client, delay):\n    for _ in range(5):\n        try:\n            return client.get('/')\n"
              "        except ConnectionError:\n            time.sleep(delay)\n"),
        Valid("import time\n\ndef prepare(engine):\n    retries = 0\n    while True:\n        try:\n"
              "            return create_all(engine)\n        except DatabaseError:\n"
              "            pause = backoff_interval(10, retries, 1000, True)\n            time.sleep(pause / 1000)\n"
              "            retries += 1\n"),
        Valid("import time\n\ndef retry_over_time(fun, intervals):\n    while True:\n        try:\n            return fun()\n"
              "        except OSError:\n            tts = next(intervals)\n            for _ in range(int(tts)):\n"
              "                time.sleep(1.0)\n            time.sleep(tts - int(tts))\n"),
        Valid("import time\n\ndef wait_for_server(client, seconds):\n    for _ in range(seconds):\n        try:\n"
              "            return client.ping()\n        except ConnectionError:\n            time.sleep(1)\n"),
        # a polling loop's fixed interval is not a retry wait
        Valid("import time\n\ndef wait_done(job):\n    while True:\n        if job.status() == 'done':\n            break\n"
              "        time.sleep(5)\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        use = retry_use_of_call(self, node)
        if use is None or use.opaque:
            return
        if use.library == "tenacity":
            self._tenacity(use)
        else:
            given = keyword(node, "jitter")
            if given is not None and is_none(given.value):
                self.report(node, message="backoff with jitter=None: clients retry in lockstep",
                            fix=Fix.replace(node, without_keyword(node, "jitter"), safety=UNSAFE,
                                            description="drop jitter=None (backoff's default is full jitter)"))

    def _tenacity(self, use: RetryUse) -> None:
        wait = use.argument("wait", RETRYING_WAIT_SLOT)
        if wait is None or not self._plain(wait.value):
            return
        jitter = self.config["jitter"]
        random_wait, imports = self.reference("tenacity.wait_random")
        jittered = cst.BinaryOperation(left=wait.value, operator=cst.Add(),
                                       right=cst.parse_expression(f"{random_wait}(0, {jitter!r})"))
        self.report(wait.value, message="tenacity wait without a random part: clients retry in lockstep",
                    fix=Fix.replace(wait.value, jittered, safety=UNSAFE, add_imports=imports,
                                    description=f"add + wait_random(0, {jitter!r})"))

    def _plain(self, expr: cst.BaseExpression) -> bool:
        """True when the wait is built only from tenacity waits that have no random part."""
        leaves = self._wait_leaves(expr)
        return bool(leaves) and all(leaf in TENACITY_PLAIN_WAITS for leaf in leaves)

    def _wait_leaves(self, expr: cst.BaseExpression) -> List[Optional[str]]:
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self._wait_leaves(expr.left) + self._wait_leaves(expr.right)
        if isinstance(expr, cst.Call) and isinstance(expr.func, (cst.Name, cst.Attribute)):
            name = self.qualified_name(expr.func)
            if name in TENACITY_WAIT_COMBINATORS:
                parts: List[Optional[str]] = []
                for arg in expr.args:
                    if arg.star:
                        return [None]
                    parts += self._wait_leaves(arg.value)
                return parts
            if name in TENACITY_PLAIN_WAITS or name in TENACITY_JITTERED_WAITS:
                return [name]
        return [None]

    # -- hand-written loops ----------------------------------------------------------------
    judges_polling = True

    def check_retry_loop(self, node: cst.CSTNode, found: RetryLoop) -> None:
        if has_randomness(found):
            return
        calls = [call for call, _ in sleeps(self, found, nested=False)]
        computed = assigned_in(found)
        # every wait of the loop must be fixed: one computed wait may hold the jitter
        if calls and all(c.args and _fixed_delay(c.args[0].value, computed) for c in calls):
            if found.polling and not all(_seconds(c.args[0].value) >= LONG_WAIT for c in calls):
                return  # wait_for_server(): a short poll interval, not a retry wait
            self.report(calls[0], message="retry loop sleeps a fixed time: clients retry in lockstep")

    # -- the retrying library (its fix is SVC301's migration to tenacity) -----------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for expr, call in retrying_library_uses(self, node):
            given = retrying_library_keywords(call)
            if given & set(RETRYING_WAITS) and not given & set(RETRYING_JITTERED):
                self.report(expr, message="retrying wait without a random part: clients retry in lockstep "
                                          "(SVC301 migrates it to tenacity)")


#: In a function named for waiting, a fixed sleep this long (seconds) is a retry wait, not a poll
#: interval: ``time.sleep(30)`` after a connection error is backing off, ``time.sleep(1)`` is probing.
LONG_WAIT = 5


def _seconds(expr: cst.BaseExpression) -> float:
    if isinstance(expr, (cst.Integer, cst.Float)):
        try:
            return float(expr.evaluated_value)
        except ValueError:  # pragma: no cover
            return 0.0
    return 0.0


def _fixed_delay(expr: cst.BaseExpression, computed: Set[str]) -> bool:
    """A constant, or arithmetic on literals and names with no call (``2 ** attempt``) where no
    name is computed in the loop (``delay = backoff_with_jitter(n)`` may hold a random part)."""
    if is_constant(expr):
        return True
    if isinstance(expr, cst.BinaryOperation):
        nodes = [expr, *walk_local(expr)]
        has_literal = any(isinstance(n, (cst.Integer, cst.Float)) for n in nodes)
        if any(isinstance(n, cst.Name) and n.value in computed for n in nodes):
            return False
        return has_literal and not any(isinstance(n, (cst.Call, cst.Subscript)) for n in nodes)
    return False

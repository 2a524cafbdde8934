"""SVC206: hand-written retry loops that never give up."""
from __future__ import annotations


import libcst as cst

from svcmod.fastpath.prefilter import may_hold_loop_with_try
from svcmod.lint_rules.retries.patterns import RetryLoop, RetryLoopChecks, permanent
from svcmod.rule import FastPath, FollowUp, Invalid, Parts, Rule, Valid


class UnboundedRetryLoop(RetryLoopChecks, Rule):
    """Checks for `while True:` retry loops with no attempt bound.

    ## Why is this bad?
    A retry loop whose failure path always goes round again never gives up: during an outage
    it holds its thread or task forever and keeps sending load to the dependency that is down,
    and the caller never learns that the call failed.

    Found: a hand-written retry loop (`while True:` or `for _ in itertools.count():` whose `try`
    leaves on success and whose `except` goes round again) where nothing on the failure path
    can leave the loop: no `raise`, `return` or `break` in the handler that goes round again
    (not even under an `if attempts > n`), none in the rest of the loop body (a deadline check),
    and no `sys.exit`.

    ## Fix safety
    Report only: bound the loop with a counter or a deadline, or use tenacity with `stop=`.
    """

    code = "SVC206"
    name = "unbounded-retry-loop"
    message = "retry loop with no attempt bound retries forever"
    fast_path = FastPath(
        tokens=(b"while", b"count("),
        test=lambda source, imported: b"except" in source and may_hold_loop_with_try(source, permanent),
        parts=Parts(test=lambda text, mentioned: mentioned and b"except" in text
                    and may_hold_loop_with_try(text, permanent)),
        sketch=True,
    )
    in_migrations = (FollowUp("v2"),)
    examples = (
        Invalid("import time\n\ndef connect(host):\n    while True:\n        try:\n            return open_connection(host)\n"
                "        except ConnectionError:\n            time.sleep(1)\n"),
        Invalid("import itertools, time\n\ndef fetch(client):\n    for attempt in itertools.count():\n        try:\n"
                "            data = client.get('/')\n            break\n        except OSError:\n"
                "            time.sleep(min(2 ** attempt, 30))\n    return data\n"),
        Valid("import time\n\ndef connect(host):\n    attempts = 0\n    while True:\n        try:\n"
              "            return open_connection(host)\n        except ConnectionError:\n            attempts += 1\n"
              "            if attempts >= 5:\n                raise\n            time.sleep(1)\n"),
        Valid("import time\n\ndef connect(host, deadline):\n    while True:\n        try:\n"
              "            return open_connection(host)\n        except ConnectionError:\n            pass\n"
              "        if time.monotonic() > deadline:\n            raise TimeoutError(host)\n        time.sleep(1)\n"),
        Valid("import time\n\ndef connect(host):\n    for _ in range(5):\n        try:\n"
              "            return open_connection(host)\n        except ConnectionError:\n            time.sleep(1)\n"),
        Valid("import time\n\ndef retry_target(target, deadline):\n    while True:\n        try:\n"
              "            return target()\n        except ConnectionError as exc:\n"
              "            time.sleep(_next_sleep_or_raise(exc, deadline))\n"),
        Valid("import time\n\ndef consume(queue):\n    while True:\n        try:\n            handle(queue.get())\n"
              "        except ConnectionError:\n            time.sleep(1)\n"),
    )

    def check_retry_loop(self, node: cst.CSTNode, found: RetryLoop) -> None:
        if found.unbounded:
            self.report(node)

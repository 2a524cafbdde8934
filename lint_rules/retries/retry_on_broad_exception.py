"""SVC204: retries written out to retry on every exception, bugs included."""
from __future__ import annotations

from typing import Set

import libcst as cst

from svcmod.lint_rules.retries.patterns import (
    BROAD_EXCEPTIONS,
    RetryLoop,
    RetryLoopChecks,
    catches_everything,
    delegates,
    may_hold_retry_loop,
    retry_use_of_call,
    walk_local,
)
from svcmod.rule import FastPath, FollowUp, Invalid, Parts, Rule, Valid, dotted, keyword

RETRY_IF_EXCEPTION_TYPE = frozenset({"tenacity.retry_if_exception_type",
                                     "tenacity.retry.retry_if_exception_type"})


class RetryOnBroadException(RetryLoopChecks, Rule):
    """Checks for retries that are written out to catch `Exception`, `BaseException` or everything.

    ## Why is this bad?
    Only transient failures are worth retrying: a timeout, a reset connection, a 503. Retrying on
    every exception retries bugs (`TypeError`, `KeyError`), bad requests and authentication
    failures too: each costs the full retry budget in latency and load, and the real error is
    reported late or never. Name the transient errors instead.

    Found: tenacity `retry_if_exception_type(Exception)` (and with no argument, whose default is
    `Exception`); `backoff.on_exception(wait, Exception)`; hand-written retry loops whose `except`
    that goes round again is bare or catches `Exception`/`BaseException`, unless the handler
    re-raises depending on the error (it filters). tenacity's implicit default (no `retry=`) is
    left alone: too noisy.

    ## Fix safety
    Report only: which errors are transient is for the author to say.
    """

    code = "SVC204"
    name = "retry-on-broad-exception"
    message = "retry on every exception retries bugs and permanent errors too"
    fast_path = FastPath(
        test=lambda source, imported: "tenacity" in imported or "backoff" in imported or may_hold_retry_loop(source),
        # a part may hold a finding through tenacity/backoff names or a loop
        parts=Parts(imports=("tenacity", "backoff"),
                    test=lambda text, mentioned: mentioned or may_hold_retry_loop(text)),
        sketch=True,
    )
    in_migrations = (FollowUp("v2"),)
    examples = (
        Invalid("from tenacity import retry, retry_if_exception_type, stop_after_attempt\n\n"
                "@retry(retry=retry_if_exception_type(Exception), stop=stop_after_attempt(3))\ndef f():\n    pass\n"),
        Invalid("import backoff\n\n@backoff.on_exception(backoff.expo, (Exception,), max_tries=3)\ndef f():\n    pass\n"),
        Invalid("import time\n\ndef fetch(client):\n    for _ in range(3):\n        try:\n            return client.get('/')\n"
                "        except Exception:\n            time.sleep(1)\n"),
        Invalid("import time\n\ndef fetch(client):\n    while True:\n        try:\n            return client.get('/')\n"
                "        except:\n            time.sleep(1)\n"),
        Valid("from tenacity import retry, retry_if_exception_type\n\n"
              "@retry(retry=retry_if_exception_type(ConnectionError))\ndef f():\n    pass\n"),
        Valid("from tenacity import retry\n\n@retry\ndef f():\n    pass\n"),
        Valid("import backoff\n\n@backoff.on_exception(backoff.expo, OSError, max_tries=3)\ndef f():\n    pass\n"),
        Valid("import time\n\ndef fetch(client):\n    for _ in range(3):\n        try:\n            return client.get('/')\n"
              "        except Exception as error:\n            if not transient(error):\n                raise\n"
              "            time.sleep(1)\n"),
        Valid("import time\n\ndef retry_target(target, predicate, sleeps):\n    while True:\n        try:\n"
              "            return target()\n        except Exception as exc:\n"
              "            delay = _retry_error_helper(exc, predicate, sleeps)\n            time.sleep(delay)\n"),
        Valid("import time\n\ndef run(node):\n    for _ in range(3):\n        try:\n            return node.execute()\n"
              "        except Exception as e:\n            if type(e) in RETRYABLE:\n                time.sleep(1)\n"
              "            else:\n                raise\n"),
        Valid("from tenacity import retry, retry_if_exception_type, retry_unless_exception_type\n\n"
              "@retry(retry=retry_if_exception_type(Exception) & retry_unless_exception_type(QueryError))\n"
              "def f():\n    pass\n"),
        # a worker loop that logs and goes on is not a retry loop
        Valid("def serve(queue):\n    while True:\n        try:\n            handle(queue.get())\n"
              "        except Exception:\n            log.exception('failed')\n"),
    )

    def reset(self) -> None:
        self.narrowed: Set[int] = set()

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        # retry_if_exception_type(Exception) & retry_unless_exception_type(Permanent): narrowed
        if isinstance(node.operator, cst.BitAnd):
            self.narrowed.update(id(n) for n in walk_local(node) if isinstance(n, cst.Call))

    def visit_Call(self, node: cst.Call) -> None:
        if id(node) in self.narrowed:
            return
        if self.callee(node) in RETRY_IF_EXCEPTION_TYPE:
            given = node.args[0].value if node.args else None
            if given is None or self._broad(given):
                self.report(node, message="tenacity retries on every Exception: name the transient errors")
            return
        use = retry_use_of_call(self, node)
        if use is None or use.library != "backoff" or not use.qualified.endswith("on_exception"):
            return
        given_arg = keyword(node, "exception")
        if given_arg is None:
            positional = [a for a in node.args if a.keyword is None and not a.star]
            given_arg = positional[1] if len(positional) > 1 else None
        if given_arg is not None and self._broad(given_arg.value):
            self.report(node, message="backoff retries on every Exception: name the transient errors")

    def _broad(self, expr: cst.BaseExpression) -> bool:
        exprs = [e.value for e in expr.elements] if isinstance(expr, (cst.Tuple, cst.List)) else [expr]
        return any(dotted(e) in BROAD_EXCEPTIONS for e in exprs)

    def check_retry_loop(self, node: cst.CSTNode, found: RetryLoop) -> None:
        for handler in found.again:
            if catches_everything(self, handler) and not _filters(handler) and not delegates(handler):
                self.report(handler, message="retry loop retries on every exception: name the transient errors")
                return


def _filters(handler: cst.ExceptHandler) -> bool:
    """The handler re-raises depending on the error: ``if not transient(e): raise``, ``isinstance``."""
    bound = handler.name.name.value if handler.name is not None and isinstance(handler.name.name, cst.Name) else None
    for node in walk_local(handler.body):
        if not isinstance(node, cst.If):
            continue
        if not any(isinstance(n, cst.Raise) for n in walk_local(node)):  # in the if or its else
            continue
        for part in [node.test, *walk_local(node.test)]:
            if isinstance(part, cst.Name) and part.value in (bound, "isinstance", "type"):
                return True
    return False

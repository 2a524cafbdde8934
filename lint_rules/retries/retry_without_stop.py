"""SVC201: tenacity, backoff and urllib3 retries that never give up."""
from __future__ import annotations

import libcst as cst

from svcmod.lint_rules.retries.patterns import (
    RETRYING_STOP_SLOT,
    RETRYING_STOPS,
    RetryUse,
    is_urllib3_retry,
    retry_decorators,
    retry_use_of_call,
    retrying_library_keywords,
    retrying_library_uses,
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
    has_star_kwargs,
    is_none,
    keyword,
    with_keyword,
)

#: urllib3 per-kind counts: with any of them set, ``total=None`` means "count each kind separately"
URLLIB3_COUNTS = ("connect", "read", "redirect", "status", "other")


class RetryWithoutStop(Rule):
    """Checks for retries that never stop: tenacity without `stop=`, backoff without `max_tries`.

    ## Why is this bad?
    tenacity's default is to retry forever: a `@retry` without `stop=` turns a dependency's outage
    into an endless loop that holds a worker and keeps hammering the dependency. `backoff`
    decorators without `max_tries` or `max_time` do the same, and so does urllib3's
    `Retry(total=None)` when no per-kind count (connect, read, status…) bounds it.

    Found: `@retry` (bare or called), `retry(...)`, `Retrying(...)`, `AsyncRetrying(...)` without
    `stop=`; `backoff.on_exception` / `on_predicate` without `max_tries` / `max_time` (or both
    `None`); urllib3 `Retry(total=None)`. Calls passing `**kwargs` are skipped.

    ## Fix safety
    The fix adds `stop=stop_after_attempt(<max-attempts>)` (with its import) to tenacity,
    `max_tries=<max-attempts>` to backoff, and `total=<max-attempts - 1>` to urllib3 (`total`
    counts retries, not attempts). It is unsafe: a call that used to keep retrying now raises
    after that many attempts.

    ## References
    - https://tenacity.readthedocs.io/en/latest/#stopping
    - https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
    """

    code = "SVC201"
    name = "retry-without-stop"
    message = "retry without a stop condition retries forever"
    fix_safety = UNSAFE
    fast_path = FastPath(
        imports=("tenacity", "backoff", "urllib3", "requests", "retrying"),
        parts=Parts(),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "retries"),)
    options = {"max-attempts": Setting("max-attempts")}
    examples = (
        Invalid("import retrying\n\n@retrying.retry(wait_fixed=2000)\ndef fetch():\n    return call()\n"),
        Invalid("from retrying import retry\n\n@retry\ndef fetch():\n    return call()\n"),
        Valid("import retrying\n\n@retrying.retry(stop_max_attempt_number=4, wait_random_min=100, wait_random_max=900)\n"
              "def fetch():\n    return call()\n"),
        Invalid("from tenacity import retry\n\n@retry\ndef fetch():\n    return call()\n",
                fixed="from tenacity import retry, stop_after_attempt\n\n"
                      "@retry(stop=stop_after_attempt(5))\ndef fetch():\n    return call()\n"),
        Invalid("import tenacity\n\n@tenacity.retry(wait=tenacity.wait_fixed(1))\ndef fetch():\n    return call()\n",
                fixed="import tenacity\n\n@tenacity.retry(wait=tenacity.wait_fixed(1), "
                      "stop=tenacity.stop_after_attempt(3))\ndef fetch():\n    return call()\n",
                options={"max-attempts": 3}),
        Invalid("from tenacity import Retrying, wait_random\n\nfor attempt in Retrying(wait=wait_random(0, 2)):\n"
                "    with attempt:\n        call()\n",
                fixed="from tenacity import Retrying, wait_random, stop_after_attempt\n\n"
                      "for attempt in Retrying(wait=wait_random(0, 2), stop=stop_after_attempt(5)):\n"
                      "    with attempt:\n        call()\n"),
        Invalid("from tenacity import AsyncRetrying\n\nasync def run():\n"
                "    async for attempt in AsyncRetrying(reraise=True):\n        with attempt:\n            await call()\n",
                fixed="from tenacity import AsyncRetrying, stop_after_attempt\n\nasync def run():\n"
                      "    async for attempt in AsyncRetrying(reraise=True, stop=stop_after_attempt(5)):\n"
                      "        with attempt:\n            await call()\n"),
        Invalid("import backoff\n\n@backoff.on_exception(backoff.expo, ConnectionError)\ndef fetch():\n    return call()\n",
                fixed="import backoff\n\n@backoff.on_exception(backoff.expo, ConnectionError, max_tries=5)\n"
                      "def fetch():\n    return call()\n"),
        Invalid("import backoff\n\n@backoff.on_predicate(backoff.fibo, max_tries=None)\ndef poll():\n    return check()\n",
                fixed="import backoff\n\n@backoff.on_predicate(backoff.fibo, max_tries=5)\ndef poll():\n    return check()\n"),
        Invalid("from urllib3.util.retry import Retry\nretries = Retry(total=None, backoff_factor=0.5)\n",
                fixed="from urllib3.util.retry import Retry\nretries = Retry(total=4, backoff_factor=0.5)\n"),
        Valid("from tenacity import retry, stop_after_attempt\n\n@retry(stop=stop_after_attempt(3))\ndef f():\n    pass\n"),
        Valid("import tenacity\nr = tenacity.Retrying(stop=tenacity.stop_after_delay(30))\n"),
        Valid("import tenacity\n\n@tenacity.retry(**RETRY_POLICY)\ndef f():\n    pass\n"),
        Valid("import backoff\n\n@backoff.on_exception(backoff.expo, OSError, max_time=60)\ndef f():\n    pass\n"),
        Valid("from urllib3 import Retry\nr = Retry(total=None, connect=3, read=2)\n"),
        Valid("from urllib3 import Retry\nr = Retry(3)\n"),
        Valid("def retry(fn):\n    return fn\n\n@retry\ndef f():\n    pass\n"),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for use in retry_decorators(self, node):
            if use.call is None:
                self._tenacity(use)
        for expr, call in retrying_library_uses(self, node):
            if not retrying_library_keywords(call) & set(RETRYING_STOPS):
                self.report(expr, message="retrying retry without a stop retries forever "
                                          "(SVC301 migrates it to tenacity)")

    def visit_Call(self, node: cst.Call) -> None:
        use = retry_use_of_call(self, node)
        if use is not None:
            if use.opaque:
                return
            if use.library == "tenacity":
                self._tenacity(use)
            else:
                self._backoff(node)
        elif is_urllib3_retry(self, node):
            self._urllib3(node)

    def _tenacity(self, use: RetryUse) -> None:
        if use.argument("stop", RETRYING_STOP_SLOT) is not None:
            return
        attempts = self.config["max-attempts"]
        stop, imports = self.reference("tenacity.stop_after_attempt")
        call = use.call if use.call is not None else cst.Call(func=use.node)
        fixed = with_keyword(call, "stop", f"{stop}({attempts!r})")
        self.report(use.node, message="tenacity retry without stop= retries forever",
                    fix=Fix.replace(use.node, fixed, safety=UNSAFE, add_imports=imports,
                                    description=f"add stop=stop_after_attempt({attempts!r})"))

    def _backoff(self, call: cst.Call) -> None:
        for name in ("max_tries", "max_time"):
            given = keyword(call, name)
            if given is not None and not is_none(given.value):
                return
        attempts = self.config["max-attempts"]
        self.report(call, message="backoff retry without max_tries or max_time retries forever",
                    fix=Fix.replace(call, with_keyword(call, "max_tries", repr(attempts)), safety=UNSAFE,
                                    description=f"add max_tries={attempts!r}"))

    def _urllib3(self, call: cst.Call) -> None:
        if has_star_kwargs(call):
            return
        total = keyword(call, "total")
        if total is None:
            positional = [a for a in call.args if a.keyword is None]
            total = positional[0] if positional and not positional[0].star else None
        if total is None or not is_none(total.value):
            return
        for name in URLLIB3_COUNTS:
            given = keyword(call, name)
            if given is not None and not is_none(given.value):
                return
        retries = max(int(self.config["max-attempts"]) - 1, 0)
        fixed = call.with_deep_changes(total, value=cst.Integer(str(retries)))
        self.report(call, message="urllib3 Retry(total=None) with no per-kind count retries forever",
                    fix=Fix.replace(call, fixed, safety=UNSAFE, description=f"set total={retries}"))

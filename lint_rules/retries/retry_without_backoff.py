"""SVC202: retries that go again at once, with no wait in between."""
from __future__ import annotations


import libcst as cst

from svcmod.lint_rules.retries.patterns import (
    RETRYING_WAIT_SLOT,
    RETRYING_WAITS,
    RetryLoop,
    RetryLoopChecks,
    RetryUse,
    may_hold_retry_loop,
    retry_decorators,
    retry_use_of_call,
    retrying_library_keywords,
    retrying_library_uses,
    waits,
)
from svcmod.rule import UNSAFE, FastPath, Fix, FixStep, Invalid, Parts, Rule, Setting, Valid, with_keyword


class RetryWithoutBackoff(RetryLoopChecks, Rule):
    """Checks for retries that do not wait between attempts.

    ## Why is this bad?
    A retry sent at once hits a dependency that has just failed, at the moment it is least able to
    answer; with many clients doing the same the retries arrive as a synchronised wave. Retries
    need a growing, randomised wait ("always use randomized exponential backoff", Google SRE).

    Found: tenacity `@retry`, `retry(...)`, `Retrying(...)`, `AsyncRetrying(...)` without `wait=`
    (tenacity's default is no wait at all); hand-written retry loops (see DESIGN.md: a loop whose
    `try` leaves on success and whose `except` goes round again) in which nothing sleeps or waits.

    ## Fix safety
    For tenacity the fix adds `wait=wait_random_exponential(multiplier=<multiplier>,
    max=<max-wait>)` with its import. It is unsafe: calls now take longer to fail, and a retry
    that was immediate on purpose (a quick re-read, a retry inside a lock-holding path) now
    sleeps; each added wait is listed among the behaviour-changing edits of `svcmod migrate`'s
    report, so they can be reviewed one by one. Loops are reported only.

    `multiplier` is the first wait's upper bound in seconds (0.5), doubling per attempt up to
    `max-wait` (2 s by default, and never more than the project's `backoff-max`): small, so that
    an added wait cannot turn a fast failure into a slow one. Raise it per project with
    `[tool.svcmod.rules.SVC202] max-wait = 10` where longer waits are wanted.

    ## References
    - https://sre.google/sre-book/addressing-cascading-failures/
    - https://tenacity.readthedocs.io/en/latest/#waiting-before-retrying
    """

    code = "SVC202"
    name = "retry-without-backoff"
    message = "retry without a wait between attempts"
    fix_safety = UNSAFE
    fast_path = FastPath(
        test=lambda source, imported: "tenacity" in imported or "retrying" in imported or may_hold_retry_loop(source),
        # a part may hold a finding through tenacity names or a loop
        parts=Parts(imports=("tenacity", "retrying"), test=lambda text, mentioned: mentioned or may_hold_retry_loop(text)),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "retries"),)
    options = {"multiplier": 0.5, "max-wait": 2, "backoff-max": Setting("backoff-max")}
    examples = (
        Invalid("import retrying\n\n@retrying.retry(stop_max_attempt_number=4, retry_on_exception=is_transient)\n"
                "def fetch():\n    return call()\n"),
        Valid("from retrying import retry\n\n@retry(stop_max_attempt_number=4, wait_random_min=100, wait_random_max=900)\n"
              "def fetch():\n    return call()\n"),
        Invalid("from requests.exceptions import ConnectionError, Timeout\n\n"
                "def fetch(url, max_retries=3):\n    for attempt in range(max_retries):\n        try:\n"
                "            return _get(url, attempt)\n        except (ConnectionError, Timeout):\n"
                "            log.warning('attempt %d failed', attempt)\n"),
        Valid("import os\n\ndef move(a, b):\n    for i in range(2):\n        try:\n            os.rename(a, b)\n"
              "            break\n        except Exception:\n            pass\n"),
        Valid("import socket\n\ndef bind_free(sock):\n    for port in range(8000, 8100):\n        try:\n"
              "            return sock.bind(('', port))\n        except OSError:\n            pass\n"),
        Invalid("from tenacity import retry, stop_after_attempt\n\n@retry(stop=stop_after_attempt(3))\n"
                "def fetch():\n    return call()\n",
                fixed="from tenacity import retry, stop_after_attempt, wait_random_exponential\n\n"
                      "@retry(stop=stop_after_attempt(3), wait=wait_random_exponential(multiplier=0.5, max=2))\n"
                      "def fetch():\n    return call()\n"),
        Invalid("import tenacity\n\n@tenacity.retry\ndef fetch():\n    return call()\n",
                fixed="import tenacity\n\n@tenacity.retry(wait=tenacity.wait_random_exponential(multiplier=0.5, max=10))\n"
                      "def fetch():\n    return call()\n",
                options={"multiplier": 0.5, "max-wait": 10}),
        Invalid("import tenacity\nretrying = tenacity.Retrying(stop=tenacity.stop_after_attempt(4))\n",
                fixed="import tenacity\nretrying = tenacity.Retrying(\n    stop=tenacity.stop_after_attempt(4),\n"
                      "    wait=tenacity.wait_random_exponential(multiplier=0.5, max=2),\n)\n"),
        Invalid("def fetch(client):\n    for _ in range(3):\n        try:\n            return client.get('/')\n"
                "        except ConnectionError:\n            log.warning('retrying')\n    raise Unavailable()\n"),
        Invalid("def fetch(client):\n    while True:\n        try:\n            data = client.get('/')\n            break\n"
                "        except (ConnectionError, TimeoutError):\n            continue\n    return data\n"),
        Valid("from tenacity import retry, wait_fixed\n\n@retry(wait=wait_fixed(2))\ndef f():\n    pass\n"),
        Valid("import time\n\ndef fetch(client):\n    for _ in range(3):\n        try:\n            return client.get('/')\n"
              "        except ConnectionError:\n            time.sleep(1)\n"),
        Valid("def fetch(self):\n    while True:\n        try:\n            return self.client.get('/')\n"
              "        except ConnectionError:\n            self._backoff()\n"),
        # a loop over items with a try per item is not a retry loop
        Valid("def send_all(items):\n    for item in items:\n        try:\n            send(item)\n"
              "        except ConnectionError:\n            failed.append(item)\n"),
        # a polling loop ends on a condition, not on the try succeeding
        Valid("import time\n\ndef wait_done(job):\n    while True:\n        try:\n            state = job.status()\n"
              "            if state == 'done':\n                break\n        except ConnectionError:\n"
              "            continue\n"),
        # trying candidates one after another is a search, not a retry
        Valid("import socket\n\ndef bind(sock):\n    for port in range(8000, 8100):\n        try:\n"
              "            sock.bind(('', port))\n            return port\n        except OSError:\n            continue\n"),
        Valid("import os\n\ndef make(name):\n    while True:\n        try:\n            os.mkdir(name)\n            return name\n"
              "        except OSError:\n            name = next_name()\n"),
        # asking again after bad input, or EINTR, are immediate retries by design
        Valid("def ask():\n    while True:\n        try:\n            return int(input('n? '))\n"
              "        except ValueError:\n            print('a number, please')\n"),
        Valid("import os\n\ndef read(fd):\n    while True:\n        try:\n            return os.read(fd, 1024)\n"
              "        except InterruptedError:\n            continue\n"),
        # look-alikes met in real code (see bench/audit_retries.md)
        Valid("import asyncio\n\nasync def reacquire(lock):\n    while True:\n        try:\n"
              "            await lock.acquire()\n            break\n        except asyncio.CancelledError:\n"
              "            cancelled = True\n"),
        Valid("import errno\n\ndef call(func):\n    while True:\n        try:\n            return func()\n"
              "        except OSError as error:\n            if error.errno == errno.EINTR:\n                continue\n"
              "            raise\n"),
        Valid("import os\n\ndef setgroups(groups):\n    while True:\n        try:\n            return os.setgroups(groups)\n"
              "        except OSError:\n            groups[:] = groups[:-1]\n"),
        Valid("def next_record(consumer):\n    while True:\n        try:\n            return consumer.getone()\n"
              "        except RecordTooLargeError:\n            log.exception('skipped')\n"),
        Valid("def tls_call(self, call):\n    while True:\n        try:\n            return call()\n"
              "        except WantReadError:\n            self.checker.select(self, True, False, self.timeout)\n"),
        Valid("def fetch(client):\n    for _ in range(3):\n        try:\n            return client.get('/')\n"
              "        except ConnectionError:\n            raise\n"),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for use in retry_decorators(self, node):
            if use.call is None:
                self._tenacity(use)
        for expr, call in retrying_library_uses(self, node):
            if not retrying_library_keywords(call) & set(RETRYING_WAITS):
                self.report(expr, message="retrying retry without a wait retries at once "
                                          "(SVC301 migrates it to tenacity)")

    def visit_Call(self, node: cst.Call) -> None:
        use = retry_use_of_call(self, node)
        if use is not None and use.library == "tenacity" and not use.opaque:
            self._tenacity(use)

    def check_retry_loop(self, node: cst.CSTNode, found: RetryLoop) -> None:
        if not waits(self, found):
            self.report(node, message="retry loop goes round again without waiting")

    def _tenacity(self, use: RetryUse) -> None:
        if use.argument("wait", RETRYING_WAIT_SLOT) is not None:
            return
        ceiling = min(self.config["max-wait"], self.config["backoff-max"])
        multiplier = min(self.config["multiplier"], ceiling)
        wait, imports = self.reference("tenacity.wait_random_exponential")
        call = use.call if use.call is not None else cst.Call(func=use.node)
        fixed = with_keyword(call, "wait", f"{wait}(multiplier={multiplier!r}, max={ceiling!r})")
        self.report(use.node, message="tenacity retry without wait= retries at once",
                    fix=Fix.replace(use.node, fixed, safety=UNSAFE, add_imports=imports,
                                    description=f"added a wait between attempts (there was none): random "
                                                f"exponential from {multiplier!r} s up to {ceiling!r} s"))

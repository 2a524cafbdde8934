"""SVC207: ``time.sleep`` in the retries of a coroutine, which stops the whole event loop."""
from __future__ import annotations

from typing import Tuple

import libcst as cst

from svcmod.lint_rules.retries.patterns import (
    RetryLoop,
    RetryLoopChecks,
    retry_decorators,
    retry_use_of_call,
    sleeps,
)
from svcmod.rule import SAFE, FastPath, Fix, FollowUp, Invalid, Parts, RemoveImport, Rule, Valid, keyword


class BlockingSleepInAsyncRetry(RetryLoopChecks, Rule):
    """Checks for `time.sleep` between the retries of a coroutine.

    ## Why is this bad?
    `time.sleep` in an `async def` blocks the event loop: while one coroutine waits to retry,
    every other request this process serves stops too, so a retry delay becomes an outage of
    the whole service. `await asyncio.sleep(...)` waits without blocking.

    Found: `time.sleep(...)` (or `from time import sleep`) inside a hand-written retry loop of an
    `async def`; tenacity `sleep=time.sleep` on a decorated `async def` or on `AsyncRetrying`.

    ## Fix safety
    Safe inside `async def`: the fix writes `await asyncio.sleep(...)` (adding `import asyncio`
    when needed), or `sleep=asyncio.sleep` for tenacity. The coroutine waits as long as before;
    only the other tasks are no longer blocked.
    """

    code = "SVC207"
    name = "blocking-sleep-in-async-retry"
    message = "time.sleep in an async retry blocks the event loop"
    fix_safety = SAFE
    fast_path = FastPath(
        tokens=(b"sleep",),
        test=lambda source, imported: "time" in imported and b"async" in source,
        parts=Parts(test=lambda text, mentioned: mentioned and b"async" in text),
        sketch=True,
    )
    in_migrations = (FollowUp("v2"),)
    examples = (
        Invalid("import time\n\nasync def fetch(client):\n    for _ in range(3):\n        try:\n"
                "            return await client.get('/')\n        except ConnectionError:\n            time.sleep(1)\n",
                fixed="import asyncio\n\nasync def fetch(client):\n    for _ in range(3):\n        try:\n"
                      "            return await client.get('/')\n        except ConnectionError:\n"
                      "            await asyncio.sleep(1)\n"),
        Invalid("import asyncio\nfrom time import sleep\n\nasync def fetch(client):\n    while True:\n        try:\n"
                "            return await client.get('/')\n        except OSError:\n            sleep(0.5)\n",
                fixed="import asyncio\n\nasync def fetch(client):\n    while True:\n        try:\n"
                      "            return await client.get('/')\n        except OSError:\n"
                      "            await asyncio.sleep(0.5)\n"),
        Invalid("import time\nfrom tenacity import retry, stop_after_attempt\n\n"
                "@retry(stop=stop_after_attempt(3), sleep=time.sleep)\nasync def fetch():\n    return await call()\n",
                fixed="from tenacity import retry, stop_after_attempt\nimport asyncio\n\n"
                      "@retry(stop=stop_after_attempt(3), sleep=asyncio.sleep)\nasync def fetch():\n"
                      "    return await call()\n"),
        Valid("import asyncio\n\nasync def fetch(client):\n    for _ in range(3):\n        try:\n"
              "            return await client.get('/')\n        except ConnectionError:\n            await asyncio.sleep(1)\n"),
        Valid("import time\n\ndef fetch(client):\n    for _ in range(3):\n        try:\n"
              "            return client.get('/')\n        except ConnectionError:\n            time.sleep(1)\n"),
        Valid("import time\n\nasync def tick():\n    time.sleep(0.01)\n"),
    )

    def _in_coroutine(self) -> bool:
        function = self.enclosing_function
        return function is not None and function.asynchronous is not None

    def check_retry_loop(self, node: cst.CSTNode, found: RetryLoop) -> None:
        if not self._in_coroutine():
            return
        asyncio, imports = self.reference("asyncio")
        for call, name in sleeps(self, found):
            if name != "time.sleep":
                continue
            fixed = cst.Await(expression=call.with_changes(func=cst.parse_expression(f"{asyncio}.sleep")))
            self.report(call, fix=Fix.replace(call, fixed, safety=SAFE, add_imports=imports,
                                              remove_imports=_unused_after(call.func),
                                              description="await asyncio.sleep instead"))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None:
            return
        for use in retry_decorators(self, node):
            if use.call is not None and use.library == "tenacity":
                self._tenacity_sleep(use.call)

    def visit_Call(self, node: cst.Call) -> None:
        use = retry_use_of_call(self, node)
        if use is not None and use.qualified.endswith("AsyncRetrying"):
            self._tenacity_sleep(node)

    def _tenacity_sleep(self, call: cst.Call) -> None:
        given = keyword(call, "sleep")
        if given is None or not isinstance(given.value, (cst.Name, cst.Attribute)):
            return
        if self.qualified_name(given.value) != "time.sleep":
            return
        asyncio, imports = self.reference("asyncio")
        self.report(given.value, message="tenacity sleep=time.sleep on a coroutine blocks the event loop",
                    fix=Fix.replace(given.value, cst.parse_expression(f"{asyncio}.sleep"), safety=SAFE,
                                    add_imports=imports, remove_imports=_unused_after(given.value),
                                    description="sleep=asyncio.sleep"))


def _unused_after(sleep: cst.BaseExpression) -> Tuple[RemoveImport, ...]:
    """``import time`` / ``from time import sleep`` may be left unused by the fix (LibCST removes
    an import only when nothing else uses it)."""
    if isinstance(sleep, cst.Name):
        return (RemoveImport("time", sleep.value),)
    if isinstance(sleep, cst.Attribute) and isinstance(sleep.value, cst.Name) and sleep.value.value == "time":
        return (RemoveImport("time"),)
    return ()

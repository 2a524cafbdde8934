"""SVC305: ``asyncio.get_event_loop()`` where ``asyncio.get_running_loop()`` says what is meant."""
from __future__ import annotations

import libcst as cst

from svcmod.rule import SAFE, FastPath, Fix, FixStep, Invalid, Parts, RemoveImport, Rule, Valid

GET_EVENT_LOOP = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})


class GetEventLoopInCoroutine(Rule):
    """Checks for `asyncio.get_event_loop()` called inside an `async def`.

    ## Why is this bad?
    Inside a coroutine there is always a running loop, and `asyncio.get_running_loop()` (3.7+)
    returns it. `get_event_loop()` is deprecated as a way to get it: outside a running loop it
    warns since 3.10–3.12 and, depending on the version and policy, creates a new loop or raises,
    so code that uses it reads as if it might run outside a loop. Calls in a plain `def` (even one
    nested in an `async def`) and in lambdas are not reported: they may run with no loop.

    ## Fix safety
    The fix calls `asyncio.get_running_loop()` instead. It is safe: called from a coroutine,
    `get_event_loop()` returns the running loop (since Python 3.5.3), which is exactly what
    `get_running_loop()` returns.

    ## References
    - https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.get_event_loop
    - https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.get_running_loop
    """

    code = "SVC305"
    name = "get-event-loop-in-coroutine"
    message = "use `asyncio.get_running_loop()` inside a coroutine"
    fix_safety = SAFE
    fast_path = FastPath(
        imports=("asyncio",),
        tokens=(b"get_event_loop",),
        parts=Parts(via_imports=True),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deprecations"),)
    examples = (
        Invalid("import asyncio\n\nasync def main():\n    loop = asyncio.get_event_loop()\n"
                "    await loop.run_in_executor(None, work)\n",
                fixed="import asyncio\n\nasync def main():\n    loop = asyncio.get_running_loop()\n"
                "    await loop.run_in_executor(None, work)\n"),
        Invalid("import asyncio as aio\n\nclass Client:\n    async def connect(self):\n"
                "        self.waiter = aio.get_event_loop().create_future()\n",
                fixed="import asyncio as aio\n\nclass Client:\n    async def connect(self):\n"
                "        self.waiter = aio.get_running_loop().create_future()\n"),
        Invalid("from asyncio import get_event_loop\n\nasync def now():\n    return get_event_loop().time()\n",
                fixed="from asyncio import get_running_loop\n\nasync def now():\n    return get_running_loop().time()\n"),
        Invalid("from asyncio import get_event_loop as current_loop\n\ndef sync():\n    return current_loop()\n\n"
                "async def now():\n    return current_loop().time()\n",
                fixed="from asyncio import get_event_loop as current_loop, get_running_loop\n\n"
                "def sync():\n    return current_loop()\n\nasync def now():\n    return get_running_loop().time()\n"),
        Valid("import asyncio\n\ndef main():\n    loop = asyncio.get_event_loop()\n    loop.run_until_complete(run())\n"),
        Valid("import asyncio\n\nasync def main():\n    def callback():\n        asyncio.get_event_loop().stop()\n"
              "    return callback\n"),
        Valid("import asyncio\n\nasync def main():\n    schedule(lambda: asyncio.get_event_loop().stop())\n"),
        Valid("import asyncio\n\nasync def main(policy):\n    return policy.get_event_loop()\n"),
    )

    def reset(self) -> None:
        self.lambdas = 0

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.lambdas += 1

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.lambdas -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if node.args or self.lambdas:
            return
        function = self.enclosing_function
        if function is None or function.asynchronous is None:
            return
        if self.callee(node) not in GET_EVENT_LOOP:
            return
        if isinstance(node.func, cst.Attribute):
            fix = Fix.replace(node.func.attr, cst.Name("get_running_loop"), safety=SAFE,
                              description="use `get_running_loop()`")
        else:
            text, imports = self.reference("asyncio.get_running_loop")
            if self.file.names.bound_locally(text.split(".")[0], self.file.scope_stack):
                self.report(node)
                return
            local = node.func.value
            fix = Fix.replace(node.func, cst.parse_expression(text), safety=SAFE,
                              description="use `get_running_loop()`", add_imports=imports,
                              remove_imports=[RemoveImport("asyncio", "get_event_loop",
                                                           None if local == "get_event_loop" else local)])
        self.report(node, fix=fix)

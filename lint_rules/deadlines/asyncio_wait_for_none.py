"""SVC110: ``asyncio.wait_for`` told to wait forever."""
from __future__ import annotations


import libcst as cst

from svcmod.rule import FastPath, FollowUp, Invalid, Parts, Rule, Valid, argument, is_none

#: ``wait_for(fut, timeout)``; ``asyncio.timeout(delay)`` (3.11) with None is the same thing.
TIMEOUT_SLOTS = {
    "asyncio.wait_for": ("timeout", 1),
    "asyncio.tasks.wait_for": ("timeout", 1),
    "asyncio.timeout": ("delay", 0),
    "asyncio.timeouts.timeout": ("delay", 0),
}


class AsyncioWaitForNone(Rule):
    """Checks for `asyncio.wait_for(aw, None)` and `asyncio.timeout(None)`.

    ## Why is this bad?
    `asyncio.wait_for` exists to put a deadline on an awaitable; with `timeout=None` it waits as
    long as the awaitable takes, forever if it never finishes, and only adds overhead. It usually
    means a deadline was meant and never filled in (or a `None` default flowed in from config).
    `async with asyncio.timeout(None)` is the same.

    ## Fix safety
    Report only: the right deadline depends on the operation.

    ## References
    - https://docs.python.org/3/library/asyncio-task.html#asyncio.wait_for
    """

    code = "SVC110"
    name = "asyncio-wait-for-none"
    message = "asyncio.wait_for with timeout=None never times out"
    fast_path = FastPath(
        imports=("asyncio",),
        tokens=(b"wait_for", b"timeout"),
        parts=Parts(
            via_imports=True,
            calls=tuple(sorted({name.rsplit(".", 1)[1] for name in TIMEOUT_SLOTS})),
        ),
        test=lambda source, imported: b"None" in source,
        sketch=True,
    )
    in_migrations = (FollowUp("v2"),)
    examples = (
        Invalid("import asyncio\n\nasync def main():\n    await asyncio.wait_for(fetch(), None)\n"),
        Invalid("import asyncio as aio\n\nasync def main():\n    await aio.wait_for(fetch(), timeout=None)\n"),
        Invalid("from asyncio import wait_for as deadline\n\nasync def main():\n    await deadline(job, None)\n"),
        Invalid(
            "import asyncio\n\n"
            "class Client:\n"
            "    async def call(self):\n"
            "        return await asyncio.wait_for(self.connection.read(), timeout=None)\n"),
        Invalid("import asyncio\n\nasync def main():\n    async with asyncio.timeout(None):\n        await job\n"),
        Valid("import asyncio\n\nasync def main():\n    await asyncio.wait_for(fetch(), 5)\n"),
        Valid("import asyncio\n\nasync def main():\n    await asyncio.wait_for(fetch(), timeout=settings.timeout)\n"),
        Valid("import asyncio\n\nasync def main():\n    await asyncio.wait(tasks, timeout=None)\n"),
        Valid("import asyncio\nimport trio\n\nasync def main():\n    await trio.wait_for(fetch(), None)\n"),
        Valid("import asyncio\n\nasync def main():\n    async with asyncio.timeout(2.5):\n        await job\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        name = self.callee(node)
        if name not in TIMEOUT_SLOTS:
            return
        parameter, slot = TIMEOUT_SLOTS[name]
        given = argument(node, parameter, slot)
        if given is not None and is_none(given.value):
            callee = name.rsplit(".", 1)[-1]
            self.report(node, message=f"asyncio.{callee} with {parameter}=None never times out")

"""SVC303: ``loop=`` passed to the asyncio APIs that Python 3.10 removed it from."""
from __future__ import annotations

import libcst as cst

from svcmod.rule import SAFE, FastPath, Fix, FixStep, Invalid, Parts, Rule, Valid, keyword, without_keyword

# The high-level APIs whose `loop` parameter was deprecated in 3.8 and removed in 3.10 (bpo-42392),
# under every module path they are importable from. Low-level APIs keep theirs on purpose:
# ensure_future, Future, Task, run_coroutine_threadsafe, wrap_future, StreamReader, loop.* methods.
_REMOVED = {
    "tasks": ("sleep", "gather", "shield", "wait_for", "wait", "as_completed"),
    "queues": ("Queue", "PriorityQueue", "LifoQueue"),
    "locks": ("Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"),
    "streams": ("open_connection", "start_server", "open_unix_connection", "start_unix_server"),
    "subprocess": ("create_subprocess_exec", "create_subprocess_shell"),
}
LOOP_REMOVED = frozenset(
    name for module, functions in _REMOVED.items() for function in functions
    for name in (f"asyncio.{function}", f"asyncio.{module}.{function}")
)


class AsyncioLoopArgument(Rule):
    """Checks for `loop=` passed to high-level asyncio APIs that no longer accept it.

    ## Why is this bad?
    Python 3.10 removed the `loop` parameter from `asyncio.sleep`, `gather`, `shield`, `wait_for`,
    `wait`, `as_completed`, the queues (`Queue`, `PriorityQueue`, `LifoQueue`), the locks (`Lock`,
    `Event`, `Condition`, `Semaphore`, `BoundedSemaphore`), `open_connection`, `start_server`, their
    Unix variants and `create_subprocess_exec/shell`: passing it raises `TypeError`. These APIs use
    the running loop.

    Low-level APIs that still take a loop are not reported: `ensure_future`, `Future`, `Task`,
    `run_coroutine_threadsafe`, `wrap_future`, `StreamReader`, and methods of the loop itself such
    as `loop.run_in_executor`.

    ## Fix safety
    The fix drops the `loop=` argument. It is safe: on 3.10+ the call cannot run with it, and
    without it these APIs use the running loop (the objects bind to it on first use). On 3.8/3.9
    the call behaves the same when made from a coroutine, or when the loop passed is the thread's
    current loop, which is how nearly all code passes it; only code that still runs on 3.8/3.9
    and creates queues/locks *outside* any coroutine for a loop other than the current one would
    bind them differently. A `loop=` hidden in `**kwargs` is reported without a fix.

    ## References
    - https://docs.python.org/3/whatsnew/3.10.html#removed (bpo-42392)
    - https://docs.python.org/3.8/whatsnew/3.8.html#deprecated
    """

    code = "SVC303"
    name = "asyncio-loop-argument"
    message = "`loop=` was removed from this asyncio API in Python 3.10"
    fix_safety = SAFE
    fast_path = FastPath(
        imports=("asyncio",),
        tokens=(b"loop=", b"loop ="),
        parts=Parts(
            via_imports=True,
            calls=tuple(sorted({function for functions in _REMOVED.values() for function in functions})),
        ),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deprecations"),)
    examples = (
        Invalid("import asyncio\n\nasync def tick(loop):\n    await asyncio.sleep(1, loop=loop)\n",
                fixed="import asyncio\n\nasync def tick(loop):\n    await asyncio.sleep(1)\n"),
        Invalid("import asyncio as aio\nresults = await aio.gather(a(), b(), loop=self.loop, return_exceptions=True)\n",
                fixed="import asyncio as aio\nresults = await aio.gather(a(), b(), return_exceptions=True)\n"),
        Invalid("from asyncio import Queue, Lock\nq = Queue(maxsize=10, loop=loop)\nlock = Lock(loop=loop)\n",
                fixed="from asyncio import Queue, Lock\nq = Queue(maxsize=10)\nlock = Lock()\n", count=2),
        Invalid("import asyncio\nreader, writer = await asyncio.open_connection(\n    host, port, loop=loop,\n)\n",
                fixed="import asyncio\nreader, writer = await asyncio.open_connection(\n    host, port,\n)\n"),
        Invalid("from asyncio import tasks\nawait tasks.wait_for(fut, 5, loop=loop)\n",
                fixed="from asyncio import tasks\nawait tasks.wait_for(fut, 5)\n"),
        Valid("import asyncio\nloop = asyncio.get_event_loop()\nfut = asyncio.ensure_future(coro(), loop=loop)\n"),
        Valid("import asyncio\nawait loop.run_in_executor(None, work)\nreader = asyncio.StreamReader(loop=loop)\n"),
        Valid("import asyncio\nasyncio.run_coroutine_threadsafe(coro(), loop=loop)\n"),
        Valid("import asyncio\nimport trio\nawait trio.sleep(1, loop=loop)\n"),
        Valid("import asyncio\nawait asyncio.sleep(1, **options)  # loop= may be in there\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        given = keyword(node, "loop")
        if given is None:
            return
        name = self.callee(node)
        if name not in LOOP_REMOVED:
            return
        short = name.rpartition(".")[2]
        message = f"`loop=` was removed from `asyncio.{short}` in Python 3.10"
        if any(arg.star == "**" for arg in node.args):
            self.report(given, message=message)
            return
        self.report(node, message=message,
                    fix=Fix.replace(node, without_keyword(node, "loop"), safety=SAFE,
                                    description=f"drop `loop=` from `{short}()`"))

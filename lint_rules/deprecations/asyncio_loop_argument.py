"""SVC303: ``loop=`` passed to the asyncio APIs that Python 3.10 removed it from."""
from __future__ import annotations

import libcst as cst

from svcmod.rule import (
    SAFE,
    FastPath,
    Fix,
    FixStep,
    Invalid,
    Parts,
    Rule,
    Valid,
    descendants,
    keyword,
    without_keyword,
)

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
    The fix drops the `loop=` argument only where the loop passed is provably the running loop:
    `asyncio.get_running_loop()`, or `asyncio.get_event_loop()` called inside an `async def`
    (directly, or through a name the same coroutine assigned it to), or the `loop` of a function
    whose nested coroutine it runs with `loop.run_until_complete(pump())`, its only use. There it is safe: without
    `loop=` these APIs use the running loop, which is the one passed.

    Anywhere else (a parameter, `self._loop`, a loop made with `new_event_loop()` and run by hand,
    code outside a coroutine) the finding has no fix: the loop passed may not be the one that will
    be running, as in code and tests that drive a private loop with `loop.run_until_complete(...)`.
    Dropping it there makes futures and queues bind to another loop (`ValueError: The future
    belongs to a different loop`) or finds no current loop at all. Move the code into a coroutine
    that runs on that loop (and drop `loop=`), or create the object inside it.
    A `loop=` hidden in `**kwargs` is reported without a fix.

    ## References
    - https://docs.python.org/3/whatsnew/3.10.html#removed (bpo-42392)
    - https://docs.python.org/3.8/whatsnew/3.8.html#deprecated
    """

    code = "SVC303"
    name = "asyncio-loop-argument"
    message = "`loop=` was removed from this asyncio API in Python 3.10"
    fix_safety = SAFE  # only where the loop is provably the running one
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
        Invalid("import asyncio\n\nasync def tick():\n    await asyncio.sleep(1, loop=asyncio.get_event_loop())\n",
                fixed="import asyncio\n\nasync def tick():\n    await asyncio.sleep(1)\n"),
        Invalid("import asyncio as aio\n\nasync def both():\n    loop = aio.get_running_loop()\n"
                "    return await aio.gather(a(), b(), loop=loop, return_exceptions=True)\n",
                fixed="import asyncio as aio\n\nasync def both():\n    loop = aio.get_running_loop()\n"
                "    return await aio.gather(a(), b(), return_exceptions=True)\n"),
        Invalid("from asyncio import Queue, Lock, get_event_loop\n\nasync def start():\n"
                "    loop = get_event_loop()\n    q = Queue(maxsize=10, loop=loop)\n    lock = Lock(loop=loop)\n",
                fixed="from asyncio import Queue, Lock, get_event_loop\n\nasync def start():\n"
                "    loop = get_event_loop()\n    q = Queue(maxsize=10)\n    lock = Lock()\n", count=2),
        Invalid("import asyncio\n\nasync def connect(host, port):\n"
                "    reader, writer = await asyncio.open_connection(\n        host, port, loop=asyncio.get_running_loop(),\n    )\n",
                fixed="import asyncio\n\nasync def connect(host, port):\n"
                "    reader, writer = await asyncio.open_connection(\n        host, port,\n    )\n"),
        # the loop passed may not be the running one: reported, not rewritten
        Invalid("import asyncio\n\nasync def tick(loop):\n    await asyncio.sleep(1, loop=loop)\n"),
        Invalid("import asyncio\n\nclass Worker:\n    def __init__(self, loop):\n        self._loop = loop\n"
                "        self.queue = asyncio.Queue(loop=self._loop)\n"),
        Invalid("import asyncio\nloop = asyncio.new_event_loop()\n"
                "results = loop.run_until_complete(asyncio.gather(a(), b(), loop=loop))\n"),
        Invalid("import asyncio\nlock = asyncio.Lock(loop=asyncio.get_event_loop())\n"),
        Invalid("from asyncio import tasks\nawait tasks.wait_for(fut, 5, loop=loop)\n"),
        # a coroutine its function runs on that very loop
        Invalid("import asyncio\n\ndef run(queue, loop):\n    async def pump():\n"
                "        await asyncio.sleep(0, loop=loop)\n\n    loop.run_until_complete(pump())\n",
                fixed="import asyncio\n\ndef run(queue, loop):\n    async def pump():\n"
                "        await asyncio.sleep(0)\n\n    loop.run_until_complete(pump())\n"),
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
        if not self._is_running_loop(given.value):
            self.report(node, message=message + ": not dropped, as the loop passed may not be the running one; "
                        "create it inside a coroutine running on that loop")
            return
        self.report(node, message=message,
                    fix=Fix.replace(node, without_keyword(node, "loop"), safety=SAFE,
                                    description=f"drop `loop=` from `{short}()`"))

    def _is_running_loop(self, value: cst.BaseExpression) -> bool:
        """Whether ``value`` is provably the loop running this code: ``get_running_loop()``, or
        ``get_event_loop()`` in a coroutine, called here or assigned to a name of this coroutine."""
        function = self.enclosing_function
        in_coroutine = function is not None and function.asynchronous is not None
        if isinstance(value, cst.Call):
            made_by = self.callee(value)
        elif isinstance(value, cst.Name) and in_coroutine:
            scope = self.file.names.scope_for(self.file.scope_stack)
            if value.value not in scope.bindings:
                return self._runs_on(function, value.value)  # bound outside this coroutine
            made_by = self.created_by(value)
        else:
            return False
        if made_by in RUNNING_LOOP:
            return True
        return in_coroutine and made_by in CURRENT_LOOP


    def _runs_on(self, coroutine: cst.FunctionDef, loop: str) -> bool:
        """Whether the function around ``coroutine`` runs it on ``loop`` and nothing else:
        ``loop.run_until_complete(pump())`` is the only use of ``pump`` there."""
        stack = self.file.scope_stack
        index = stack.index(coroutine)
        outer = next((node for node in reversed(stack[:index]) if isinstance(node, cst.FunctionDef)), None)
        if outer is None:
            return False
        name = coroutine.name.value
        uses = [node for node in descendants(outer.body) if isinstance(node, cst.Name) and node.value == name
                and node is not coroutine.name]
        runs = [call for call in descendants(outer.body) if isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute) and call.func.attr.value == "run_until_complete"
                and isinstance(call.func.value, cst.Name) and call.func.value.value == loop
                and len(call.args) == 1 and isinstance(call.args[0].value, cst.Call)
                and isinstance(call.args[0].value.func, cst.Name) and call.args[0].value.func.value == name]
        return len(runs) == 1 and len(uses) == 1 and not _rebinds(outer, loop)


def _rebinds(function: cst.FunctionDef, name: str) -> bool:
    """Whether ``function`` assigns ``name`` anywhere in its body (its parameter may then not be the loop)."""
    for node in descendants(function.body):
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign)) and \
                isinstance(node.target, cst.Name) and node.target.value == name:
            return True
        if isinstance(node, (cst.Global, cst.Nonlocal)) and any(n.name.value == name for n in node.names):
            return True
    return False


RUNNING_LOOP = frozenset({"asyncio.get_running_loop", "asyncio.events.get_running_loop"})
#: In a coroutine the current loop is the running one.
CURRENT_LOOP = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})

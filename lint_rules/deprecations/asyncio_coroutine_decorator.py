"""SVC304: generator-based coroutines (``@asyncio.coroutine``), gone since Python 3.11."""
from __future__ import annotations

import re
from typing import List, Optional, Set

import libcst as cst

from svcmod.rule import UNSAFE, FastPath, Fix, FollowUp, Invalid, Parts, RemoveImport, Rule, Valid

#: Prefilter: a decorator line naming ``coroutine``, or an alias made of it (``as co``, ``co = …coroutine``).
_DECORATOR_TEXT = re.compile(rb"^[ \t]*@[^\n]*coroutine|\bcoroutine[ \t]+as\b|=[ \t]*[\w.]*\bcoroutine[ \t]*$", re.M)
DECORATORS = frozenset({"asyncio.coroutine", "asyncio.coroutines.coroutine"})
#: asyncio functions whose result can be awaited (``as_completed`` is an iterator: not here).
AWAITABLE_FUNCTIONS = frozenset(f"asyncio.{name}" for name in (
    "sleep", "wait_for", "wait", "gather", "shield", "ensure_future", "wrap_future",
    "open_connection", "start_server", "open_unix_connection", "start_unix_server",
    "create_subprocess_exec", "create_subprocess_shell",
))
#: Methods of asyncio objects that return awaitables, by the call that made the object.
_LOOP_METHODS = ("run_in_executor", "create_connection", "create_server", "getaddrinfo", "sock_recv",
                 "sock_sendall", "sock_connect", "sock_accept", "create_datagram_endpoint",
                 "subprocess_exec", "subprocess_shell", "shutdown_asyncgens")
_LOOPS = ("asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop")
AWAITABLE_METHODS = frozenset(
    [f"{loop}.{method}" for loop in _LOOPS for method in _LOOP_METHODS]
    + [f"asyncio.{queue}.{method}" for queue in ("Queue", "PriorityQueue", "LifoQueue")
       for method in ("get", "put", "join")]
    + [f"asyncio.{lock}.acquire" for lock in ("Lock", "Semaphore", "BoundedSemaphore", "Condition")]
    + ["asyncio.Event.wait", "asyncio.Condition.wait", "asyncio.Condition.wait_for"]
)


class _ThisFunctionOnly:
    """A visitor that stays out of the functions, lambdas and classes nested in what it visits."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


class _Generator(_ThisFunctionOnly, cst.CSTVisitor):
    """The ``yield`` expressions of one function body, not of functions nested in it."""

    def __init__(self) -> None:
        self.yields: List[cst.Yield] = []

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields.append(node)


class _AwaitYieldFrom(_ThisFunctionOnly, cst.CSTTransformer):
    """``yield from x`` → ``await x`` in one function body, nested functions left alone."""

    def leave_Yield(self, original: cst.Yield, updated: cst.Yield) -> cst.BaseExpression:
        assert isinstance(updated.value, cst.From)
        return cst.Await(expression=updated.value.item, lpar=updated.lpar, rpar=updated.rpar)


class AsyncioCoroutineDecorator(Rule):
    """Checks for generator-based coroutines declared with `@asyncio.coroutine`.

    ## Why is this bad?
    `@asyncio.coroutine` was deprecated in Python 3.8 and removed in 3.11: the module fails at
    import with `AttributeError: module 'asyncio' has no attribute 'coroutine'`. Native coroutines
    (`async def` with `await`) replace it.

    ## Fix safety
    The fix turns the function into `async def`, drops the decorator and writes each
    `yield from x` as `await x`. It is offered only when the function is a generator whose every
    `yield from` is applied to a call known to return an awaitable: an asyncio function
    (`asyncio.sleep`, `wait_for`, `gather`, `open_connection`, …), a method of an asyncio loop,
    queue, lock or event made in view, or a coroutine of the same module (`async def` or itself
    decorated; `self.method()` for methods of the same class). Anything else is only reported,
    because `await` refuses plain generators that `yield from` accepted, and a decorated function
    that is not a generator awaited what it returned.

    It is unsafe: callers that treated the result as a generator (`next()`, `send()`, `yield from`
    in other generator-based coroutines, `inspect.isgeneratorfunction`) see a coroutine instead,
    and a decorated function that is called but never awaited now warns "never awaited".

    ## References
    - https://docs.python.org/3/whatsnew/3.11.html#removed
    - https://docs.python.org/3.10/library/asyncio-task.html#generator-based-coroutines
    """

    code = "SVC304"
    name = "asyncio-coroutine-decorator"
    message = "`@asyncio.coroutine` was removed in Python 3.11; use `async def`"
    fix_safety = UNSAFE
    fast_path = FastPath(
        imports=("asyncio",),
        tokens=(b"coroutine",),
        # "coroutine" is in every other asyncio docstring; the decorator is on a line of its own
        test=lambda source, imported: _DECORATOR_TEXT.search(source) is not None,
        parts=Parts(),  # the coroutines it looks up elsewhere are async (stubs stay async) or decorated (kept)
        sketch=True,
    )
    in_migrations = (FollowUp("v2"),)
    examples = (
        Invalid("import asyncio\n\n@asyncio.coroutine\ndef pause():\n    yield from asyncio.sleep(1)\n",
                fixed="import asyncio\n\nasync def pause():\n    await asyncio.sleep(1)\n"),
        Invalid("import asyncio as aio\n\n@aio.coroutine\ndef fetch(host):\n"
                "    reader, writer = yield from aio.open_connection(host, 80)\n"
                "    data = yield from aio.wait_for(reader.read(), 5)\n    return data\n",
                fixed="import asyncio as aio\n\nasync def fetch(host):\n"
                "    reader, writer = await aio.open_connection(host, 80)\n"
                "    data = await aio.wait_for(reader.read(), 5)\n    return data\n"),
        Invalid("from asyncio import coroutine, sleep\n\n@coroutine\ndef step():\n    yield from sleep(0)\n\n"
                "@coroutine\ndef run():\n    result = (yield from step())\n    return result\n",
                fixed="from asyncio import sleep\n\nasync def step():\n    await sleep(0)\n\n"
                "async def run():\n    result = (await step())\n    return result\n", count=2),
        Invalid("import asyncio\n\nclass Worker:\n    async def stop(self):\n        pass\n\n"
                "    @asyncio.coroutine\n    def close(self):\n        yield from self.stop()\n",
                fixed="class Worker:\n    async def stop(self):\n        pass\n\n"
                "    async def close(self):\n        await self.stop()\n"),
        # `helper()` may be a plain generator, which `await` refuses: reported, not rewritten
        Invalid("import asyncio\nfrom lib import helper\n\n@asyncio.coroutine\ndef run():\n    yield from helper()\n"),
        # not a generator: the decorator awaited the returned value, `async def` would not
        Invalid("import asyncio\n\n@asyncio.coroutine\ndef later(loop):\n    return loop.create_future()\n"),
        Invalid("import asyncio\n\n@asyncio.coroutine\ndef ticks():\n    yield\n    yield from asyncio.sleep(1)\n"),
        Valid("import asyncio\n\nasync def pause():\n    await asyncio.sleep(1)\n"),
        Valid("import asyncio\nimport types\n\n@types.coroutine\ndef switch():\n    yield\n"),
        Valid("import asyncio\nfrom tornado.gen import coroutine\n\n@coroutine\ndef handler():\n    yield fetch()\n"),
        Valid("import asyncio\n\ndef is_coroutine(f):\n    return asyncio.iscoroutinefunction(f)\n"),
    )

    def reset(self) -> None:
        self.coroutines: Set[str] = set()  # module-level coroutine functions
        self.methods: dict = {}  # ClassDef -> names of its coroutine methods

    def visit_Module(self, node: cst.Module) -> None:
        for statement in node.body:
            if isinstance(statement, cst.FunctionDef) and self._is_coroutine(statement):
                self.coroutines.add(statement.name.value)
            elif isinstance(statement, cst.ClassDef):
                self.methods[statement] = {
                    item.name.value for item in statement.body.body
                    if isinstance(item, cst.FunctionDef) and self._is_coroutine(item)
                } if isinstance(statement.body, cst.IndentedBlock) else set()

    def _is_coroutine(self, fn: cst.FunctionDef) -> bool:
        # at module level the resolver sees the module scope, which is where decorators resolve
        return fn.asynchronous is not None or self._decorator(fn) is not None

    def _decorator(self, fn: cst.FunctionDef) -> Optional[cst.Decorator]:
        for decorator in fn.decorators:
            expr = decorator.decorator
            if isinstance(expr, (cst.Name, cst.Attribute)) and self.qualified_name(expr) in DECORATORS:
                return decorator
        return None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        decorator = self._decorator(node)
        if decorator is None or node.asynchronous is not None:
            return
        finder = _Generator()
        node.body.visit(finder)
        # names in the body resolve in the function's own scope, which the walk enters after this
        self.file.scope_stack.append(node)
        try:
            reason = self._why_not_awaitable(finder.yields)
        finally:
            self.file.scope_stack.pop()
        if reason is not None:
            self.report(decorator, message=f"{self.message} (rewrite by hand: {reason})")
            return
        rewritten = node.body.visit(_AwaitYieldFrom())
        new = node.with_changes(
            asynchronous=cst.Asynchronous(),
            decorators=[d for d in node.decorators if d is not decorator],
            body=rewritten,
        )
        if decorator is node.decorators[0]:
            new = new.with_changes(leading_lines=[*node.leading_lines, *decorator.leading_lines])
        expr = decorator.decorator
        if isinstance(expr, cst.Name):  # from asyncio import coroutine [as alias]
            alias = expr.value if expr.value != "coroutine" else None
            removal = RemoveImport("asyncio", "coroutine", alias)
        else:
            removal = RemoveImport("asyncio")
        self.report(decorator, fix=Fix.replace(node, new, safety=UNSAFE,
                                               description="rewrite as `async def` with `await`",
                                               remove_imports=[removal]))

    def _why_not_awaitable(self, yields: List[cst.Yield]) -> Optional[str]:
        if not yields:
            return "not a generator, so the decorator awaited whatever it returns"
        for found in yields:
            if not isinstance(found.value, cst.From):
                return "it uses a bare `yield`"
            if not self._awaitable(found.value.item):
                return "`yield from` on something not known to be awaitable"
        return None

    def _awaitable(self, expr: cst.BaseExpression) -> bool:
        if not isinstance(expr, cst.Call) or not isinstance(expr.func, (cst.Name, cst.Attribute)):
            return False
        func = expr.func
        name = self.qualified_name(func)
        if name is not None:
            return name in AWAITABLE_FUNCTIONS or name in AWAITABLE_METHODS
        if isinstance(func, cst.Name):
            return func.value in self.coroutines and not self.file.names.bound_locally(
                func.value, self.file.scope_stack)
        if isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            klass = next((n for n in reversed(self.file.scope_stack) if isinstance(n, cst.ClassDef)), None)
            return klass is not None and func.attr.value in self.methods.get(klass, ())
        return False

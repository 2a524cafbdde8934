"""SVC109: blocking waits on futures, threads, queues and events with no time limit."""
from __future__ import annotations

from typing import Dict, FrozenSet, Optional, Tuple

import libcst as cst

from svcmod.lint_rules.deadlines.caller_chose_no_timeout import CallerChoseNoTimeout
from svcmod.rule import (
    FastPath,
    FollowUp,
    Invalid,
    Parts,
    Rule,
    Valid,
    argument,
    descendants,
    has_star_kwargs,
    is_none,
    mentions_any,
    positional_count,
)

FUTURE_MAKERS = ("concurrent.futures.Future", "asyncio.run_coroutine_threadsafe")
EXECUTORS = ("concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor",
             "concurrent.futures.Executor", "concurrent.futures.thread.ThreadPoolExecutor",
             "concurrent.futures.process.ProcessPoolExecutor")
THREADS = ("threading.Thread", "threading.Timer", "multiprocessing.Process", "multiprocessing.context.Process")
QUEUES = ("queue.Queue", "queue.LifoQueue", "queue.PriorityQueue", "queue.SimpleQueue",
          "multiprocessing.Queue", "multiprocessing.JoinableQueue", "multiprocessing.queues.Queue",
          "multiprocessing.queues.JoinableQueue")
EVENTS = ("threading.Event", "threading.Condition", "threading.Barrier", "multiprocessing.Event",
          "multiprocessing.Condition", "multiprocessing.Barrier")
CONDITIONS = ("threading.Condition", "multiprocessing.Condition")
POOLS = ("multiprocessing.Pool", "multiprocessing.pool.Pool", "multiprocessing.pool.ThreadPool")
ASYNC_RESULTS = tuple(f"{pool}.{method}" for pool in POOLS for method in ("apply_async", "map_async", "starmap_async"))

#: creator → (what it makes, for messages, {blocking method: positional slot of its timeout})
WAITS: Dict[str, Tuple[str, Dict[str, int]]] = {
    **{c: ("a Future", {"result": 0}) for c in FUTURE_MAKERS + tuple(f"{e}.submit" for e in EXECUTORS)},
    **{c: (f"a {c.rsplit('.', 1)[1]}", {"join": 0}) for c in THREADS},
    **{c: (f"a {c.rsplit('.', 1)[1]}", {"get": 1}) for c in QUEUES},  # get(block=True, timeout=None)
    **{c: (("an " if c.endswith("Event") else "a ") + c.rsplit(".", 1)[1], {"wait": 0}) for c in EVENTS},
    **{c: ("an AsyncResult", {"get": 0, "wait": 0}) for c in ASYNC_RESULTS},
}

MODULES = ("concurrent", "threading", "queue", "multiprocessing", "asyncio")
#: The file must show where a waitable object comes from (its creation or annotation).
CREATORS = (b"Future", b"run_coroutine_threadsafe", b"submit(", b"Thread", b"Timer", b"Process", b"Queue",
            b"Event", b"Condition", b"Barrier", b"Pool", b"_async(")


def _shows_a_waitable(source: bytes, imported: FrozenSet[str]) -> bool:
    if not mentions_any(source, CREATORS):
        return False
    if not any(module in imported for module in MODULES if module != "asyncio"):
        # of asyncio's objects only run_coroutine_threadsafe's future blocks a thread
        return b"run_coroutine_threadsafe" in source
    return True


class BlockingWaitWithoutTimeout(CallerChoseNoTimeout, Rule):
    """Checks for `.result()`, `.join()`, `.get()` and `.wait()` without a timeout on objects that block.

    ## Why is this bad?
    A thread that waits on a future, another thread, a queue or an event without a timeout waits
    as long as the other side takes, and forever if the other side died, deadlocked or was never
    started. The service then stops answering without any error to show why. A timeout turns the
    hang into an exception that can be logged, retried or reported.

    Only objects whose creation the resolver sees are checked: `concurrent.futures` futures
    (`executor.submit(...)`, `run_coroutine_threadsafe`), `threading.Thread`/`Timer` and
    `multiprocessing.Process` (`.join()`), `queue`/`multiprocessing` queues (`.get()`, unless
    `block=False`), `threading.Event`/`Condition`/`Barrier` (`.wait()`), and
    `multiprocessing` pool results (`.get()`/`.wait()`). asyncio's own queues and events are not
    reported: awaiting them does not block a thread. Nor is a wait in the branch where the
    caller's own timeout is None (`elif timeout is None: self.not_empty.wait()`).

    ## Fix safety
    Report only: what should happen when the wait times out is the author's call.

    ## References
    - https://docs.python.org/3/library/concurrent.futures.html#concurrent.futures.Future.result
    - https://docs.python.org/3/library/queue.html#queue.Queue.get
    """

    code = "SVC109"
    name = "blocking-wait-without-timeout"
    message = "blocking wait without a timeout can hang forever"
    fast_path = FastPath(
        imports=MODULES,
        tokens=(b".result(", b".join(", b".get(", b".wait("),
        test=_shows_a_waitable,
        #: a function holding a finding sees where the waited-on object comes from, or uses a name
        #: assigned from there (``self.jobs`` after ``self.jobs = queue.Queue()``)
        parts=Parts(tokens=CREATORS, via_imports=True, calls=("result", "join", "get", "wait")),
        sketch=True,
    )
    in_migrations = (FollowUp("v2"),)
    examples = (
        Invalid("from concurrent.futures import ThreadPoolExecutor\n"
                "with ThreadPoolExecutor() as pool:\n    future = pool.submit(work)\n    future.result()\n"),
        Invalid("import threading as th\nworker = th.Thread(target=run)\nworker.start()\nworker.join()\n"),
        Invalid("import queue\njobs = queue.Queue()\njob = jobs.get(True, None)\n"),
        Invalid(
            "import threading\n\n"
            "class Service:\n"
            "    def __init__(self):\n"
            "        self.ready = threading.Event()\n\n"
            "    def wait_ready(self):\n"
            "        self.ready.wait()\n"),
        Invalid(
            "import threading\nfrom typing import Optional\n\n"
            "class Poller:\n"
            "    def __init__(self):\n"
            "        self._thread: Optional[threading.Thread] = None\n\n"
            "    def stop(self):\n"
            "        self._thread.join(timeout=None)\n"),
        Invalid("import multiprocessing\npool = multiprocessing.Pool(4)\nresult = pool.apply_async(f, (1,))\n"
                "result.get()\n"),
        Valid("from concurrent.futures import ThreadPoolExecutor\n"
              "with ThreadPoolExecutor() as pool:\n    pool.submit(work).result(timeout=30)\n"),
        Valid("import threading\nworker = threading.Thread(target=run)\nworker.join(5)\n"),
        Valid("import queue\njobs = queue.Queue()\njobs.get(block=False)\njobs.get(False)\njobs.get(True, 1.0)\n"),
        Valid("import asyncio\n\nasync def main():\n    stop = asyncio.Event()\n    await stop.wait()\n"
              "    q = asyncio.Queue()\n    await q.get()\n"),
        Valid("import threading\nheaders = {}\nheaders.get('x')\n', '.join(parts)\n"),
        Valid("import threading\nimport os\nos.path.join(a, b)\n"),
        Valid("import threading\n\nclass Box:\n    def __init__(self):\n        self.ready = threading.Condition()\n\n"
              "    def get(self, block=True, timeout=None):\n        if not block:\n            pass\n"
              "        elif timeout is None:\n            self.ready.wait()\n        else:\n"
              "            self.ready.wait(timeout)\n"),
        Valid("import concurrent.futures\nfor f in concurrent.futures.as_completed(futures):\n    f.result()\n"),
        Valid("import threading\n\nclass Pool:\n    def __init__(self):\n"
              "        self.worker = threading.Thread(target=self.run)\n\n"
              "    def shutdown(self, wait=True):\n        if wait:\n            self.worker.join()\n"),
        Valid("import queue\n\nclass Worker:\n    def __init__(self):\n        self.inbox = queue.Queue()\n\n"
              "    def run(self):\n        while True:\n            item = self.inbox.get()\n"
              "            if item is None:\n                break\n            handle(item)\n"),
        Valid("import threading\n\nclass Counter:\n    def __init__(self):\n        self.count = 0\n"
              "        self.cond = threading.Condition()\n\n    def wait_zero(self):\n        with self.cond:\n"
              "            while self.count != 0:\n                self.cond.wait()\n"),
        Invalid("import queue\njobs = queue.Queue()\nwhile True:\n    job = jobs.get()\n    handle(job)\n"),
    )

    def reset(self) -> None:
        self.reset_caller_choice()
        #: calls that wait by design: a consumer loop's ``get()`` that ends on a sentinel, a
        #: condition's ``wait()`` in the ``while predicate:`` loop that guards it
        self._by_design: set = set()

    def visit_While(self, node: cst.While) -> None:
        predicate = not (isinstance(node.test, cst.Name) and node.test.value == "True")
        statements = _statements(node.body)
        for index, statement in enumerate(statements):
            for small in getattr(statement, "body", ()) if isinstance(statement, cst.SimpleStatementLine) else ():
                if predicate and isinstance(small, cst.Expr) and _method_call(small.value, "wait"):
                    self._by_design.add(id(small.value))
                elif isinstance(small, cst.Assign) and len(small.targets) == 1 \
                        and isinstance(small.targets[0].target, cst.Name) and _method_call(small.value, "get") \
                        and _ends_on(small.targets[0].target.value, statements[index + 1:]):
                    self._by_design.add(id(small.value))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if method not in ("result", "join", "get", "wait"):
            return
        creator = self.created_by(func.value)
        if creator is None:
            return
        kind, slots = WAITS.get(creator, ("", {}))
        slot = slots.get(method)
        if slot is None:
            return
        if has_star_kwargs(node) or positional_count(node) is None or self.caller_chose_no_timeout:
            return
        if id(node) in self._by_design and (method == "get" or creator in CONDITIONS):
            return
        if self._caller_asked_to_wait():
            return
        if creator in QUEUES and _does_not_block(node):
            return
        given = argument(node, "timeout", slot)
        if given is not None and not is_none(given.value):
            return
        self.report(node, message=f"{method}() on {kind} without a timeout can hang forever")

    def _caller_asked_to_wait(self) -> bool:
        """In ``def shutdown(self, wait=True)``: waiting for as long as it takes is what the caller
        asks for (as ``Executor.shutdown(wait=True)`` does)."""
        function = self.enclosing_function
        if function is None:
            return False
        params = function.params
        return any(param.name.value == "wait" for param in (*params.params, *params.kwonly_params))


def _statements(body: cst.BaseSuite) -> list:
    """A loop body's statements, looking into ``with`` blocks (``with self.cond: while …``)."""
    found = []
    for statement in getattr(body, "body", ()):
        if isinstance(statement, cst.With):
            found.extend(_statements(statement.body))
        else:
            found.append(statement)
    return found


def _method_call(expr: cst.BaseExpression, method: str) -> bool:
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == method


def _ends_on(name: str, statements: list) -> bool:
    """An ``if`` testing ``name`` that leaves the loop (``if item is None: break``): the sentinel
    that ends a consumer loop."""
    for statement in statements:
        if isinstance(statement, cst.If) and any(isinstance(n, cst.Name) and n.value == name
                                                 for n in descendants(statement.test)):
            for inner in getattr(statement.body, "body", ()):
                smalls = inner.body if isinstance(inner, cst.SimpleStatementLine) else ()
                if isinstance(statement.body, cst.SimpleStatementSuite):
                    smalls = statement.body.body
                if any(isinstance(small, (cst.Break, cst.Return)) for small in smalls):
                    return True
            if isinstance(statement.body, cst.SimpleStatementSuite) and any(
                    isinstance(small, (cst.Break, cst.Return)) for small in statement.body.body):
                return True
    return False


def _does_not_block(call: cst.Call) -> bool:
    """``queue.get(False)`` / ``get(block=False)`` returns at once."""
    block: Optional[cst.Arg] = argument(call, "block", 0)
    return block is not None and isinstance(block.value, (cst.Name, cst.Integer)) and \
        block.value.value in ("False", "0")


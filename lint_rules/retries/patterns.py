"""Recognising retries: tenacity/backoff decorators, ``Retrying`` objects, urllib3 ``Retry``, and loops.

Shared by the retry rules SVC201–SVC208 (this module defines no rule). A *hand-written retry loop*
follows DESIGN.md: a ``while True:`` / ``while <cond>:`` / ``for _ in range(n):`` loop whose body
holds a ``try`` that leaves the loop on success (an unconditional ``return``/``break`` in the
``try`` or its ``else``) and an ``except`` that goes round again. Precision matters more than
recall, so a loop is only called a retry loop when all of this holds:

- the ``try`` is a statement of the loop body itself (``with`` blocks are looked through);
- the success exit is unconditional: ``if ok: break`` is how polling loops end, not retries;
- the ``try`` body calls something, and a ``for`` loop's variable is not used in it (a loop that
  tries candidate after candidate, e.g. ports or file names, is a search, not a retry);
- nothing the ``try`` body reads is rebound by the handler (``name = next_name()``: a search too);
- some handler that goes round again catches something that can be transient: handlers that only
  catch programming or input errors (``ValueError``, ``KeyError``, ``FileExistsError``,
  ``InterruptedError``…) retry locally and immediately by design.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

import libcst as cst

from svcmod.fastpath.prefilter import answered_per_text, may_hold_loop_with_try
from svcmod.rule import child_nodes, dotted, has_star_kwargs, is_none, keyword, mentions

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.rule import Rule

TENACITY_DECORATORS = frozenset({"tenacity.retry"})
TENACITY_RETRYING = frozenset({
    "tenacity.Retrying", "tenacity.AsyncRetrying", "tenacity.asyncio.AsyncRetrying",
    "tenacity.tornadoweb.TornadoRetrying", "tenacity.TornadoRetrying",
})
BACKOFF_DECORATORS = frozenset({
    "backoff.on_exception", "backoff.on_predicate",
    "backoff._decorator.on_exception", "backoff._decorator.on_predicate",
})
URLLIB3_RETRY = frozenset({
    "urllib3.Retry", "urllib3.util.Retry", "urllib3.util.retry.Retry",
    "requests.adapters.Retry", "requests.packages.urllib3.util.retry.Retry",
    "requests.packages.urllib3.util.Retry", "requests.packages.urllib3.Retry",
    "pip._vendor.urllib3.util.retry.Retry", "pip._vendor.urllib3.util.Retry",
    "botocore.vendored.requests.packages.urllib3.util.retry.Retry",
})
#: the unmaintained ``retrying`` library (SVC301 migrates it to tenacity): its decorator and class
RETRYING_LIBRARY = frozenset({"retrying.retry", "retrying.Retrying"})
RETRYING_STOPS = ("stop", "stop_max_attempt_number", "stop_max_delay", "stop_func")
RETRYING_WAITS = ("wait", "wait_func", "wait_fixed", "wait_random_min", "wait_random_max", "wait_incrementing_start",
                  "wait_incrementing_increment", "wait_exponential_multiplier", "wait_exponential_max")
#: retrying's waits with a random part (``wait_func``/``wait``: a strategy of its own, not judged)
RETRYING_JITTERED = ("wait", "wait_func", "wait_random_min", "wait_random_max", "wait_jitter_max")
HTTP_ADAPTERS = frozenset({"requests.adapters.HTTPAdapter", "requests.HTTPAdapter"})
#: tenacity wait strategies with a random part, and those without one
TENACITY_JITTERED_WAITS = frozenset(f"tenacity.{n}" for n in (
    "wait_random", "wait_random_exponential", "wait_full_jitter", "wait_exponential_jitter",
    "wait.wait_random", "wait.wait_random_exponential", "wait.wait_full_jitter",
    "wait.wait_exponential_jitter"))
TENACITY_PLAIN_WAITS = frozenset(f"tenacity.{n}" for n in (
    "wait_fixed", "wait_exponential", "wait_incrementing", "wait_none",
    "wait.wait_fixed", "wait.wait_exponential", "wait.wait_incrementing", "wait.wait_none"))
TENACITY_WAIT_COMBINATORS = frozenset({"tenacity.wait_chain", "tenacity.wait_combine",
                                       "tenacity.wait.wait_chain", "tenacity.wait.wait_combine"})
#: ``Retrying(sleep, stop, wait, …)``: positional slots of ``stop`` and ``wait``
RETRYING_STOP_SLOT = 1
RETRYING_WAIT_SLOT = 2

#: Exceptions that say "bad input or a bug", never "the peer is briefly unavailable": a loop that
#: goes round only on these retries locally (next candidate, EINTR, ask the user again).
LOCAL_EXCEPTIONS = frozenset({
    "ValueError", "TypeError", "KeyError", "IndexError", "LookupError", "AttributeError",
    "StopIteration", "StopAsyncIteration", "InterruptedError", "FileExistsError", "FileNotFoundError",
    "IsADirectoryError", "NotADirectoryError", "PermissionError", "UnicodeError", "UnicodeDecodeError",
    "UnicodeEncodeError", "ImportError", "ModuleNotFoundError", "NameError", "AssertionError",
    "ZeroDivisionError", "ArithmeticError", "OverflowError", "EOFError", "KeyboardInterrupt",
    "NotImplementedError", "RecursionError", "SyntaxError", "UnboundLocalError", "JSONDecodeError",
    "json.JSONDecodeError", "json.decoder.JSONDecodeError", "BlockingIOError", "ChildProcessError",
    "ProcessLookupError", "GeneratorExit", "SystemExit", "queue.Empty", "queue.Full", "Empty", "Full",
    "binascii.Error", "struct.error", "re.error", "pickle.UnpicklingError", "UnpicklingError",
    "zlib.error", "UnsupportedOperation", "io.UnsupportedOperation", "CancelledError", "RuntimeError",
})
#: Words in an exception's name that say "this will fail the same way again" or "stop": a loop that
#: goes round only on these is skipping (``RecordTooLargeError``) or resolving a conflict by design
#: (``DuplicateKeyError``, ``IntegrityError``), not waiting out a failure.
_PERMANENT_WORDS = re.compile(r"Invalid|Duplicate|TooLarge|NotFound|Decode|Parse|Validation|Integrity|Cancel"
                              r"|Stopped|Exists|Unsupported|Permission|Forbidden")
#: Function names that say the loop waits for something to become ready: a polling loop
_POLLING_FUNCTION = re.compile(r"(^|_)(wait|poll|until|ready)(_|$)", re.IGNORECASE)
BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
#: Callee names (last part) that mean the loop waits before going round again
_WAITING_WORDS = ("sleep", "backoff", "wait", "delay", "pause", "select", "poll")
#: Argument names that say a call is handed the wait to do (``_ensure_connection(interval_start, …)``)
_WAIT_ARGUMENT_WORDS = ("sleep", "backoff", "delay", "interval")
_JITTER_WORDS = ("random", "uniform", "jitter", "randint", "gauss", "choice")
SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep", "gevent.sleep",
                    "eventlet.sleep", "eventlet.greenthread.sleep"})


# -- small syntax helpers -----------------------------------------------------------------

def body_of(node: cst.CSTNode) -> Sequence[cst.BaseStatement]:
    """The statements of a block, a one-line suite, or a compound statement's block."""
    if isinstance(node, cst.IndentedBlock):
        return node.body
    if isinstance(node, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=node.body)]
    body = getattr(node, "body", None)
    if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)):
        return body_of(body)
    return ()


def small_statements(stmt: cst.BaseStatement) -> Sequence[cst.BaseSmallStatement]:
    return stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ()


#: The children of nodes walked lately. LibCST makes ``node.children`` by rebuilding the node, and
#: each loop is walked by several checks of several rules: on a file of many retry loops, most of
#: the rules' time (3x faster with it). Keyed by id, checked by identity, emptied when full.
_CHILDREN: Dict[int, Tuple[cst.CSTNode, Sequence[cst.CSTNode]]] = {}
_CHILDREN_KEEP = 20_000


def children(node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    """``node.children``, remembered."""
    known = _CHILDREN.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    found = child_nodes(node)
    if len(_CHILDREN) >= _CHILDREN_KEEP:
        _CHILDREN.clear()
    _CHILDREN[id(node)] = (node, found)
    return found


#: What the walks below found under the nodes walked lately (the same loops are walked again and
#: again, by several checks of several rules). Keyed by id and walk, checked by identity.
_WALKED: Dict[Tuple[int, int], Tuple[cst.CSTNode, Tuple[cst.CSTNode, ...]]] = {}
_WALKED_KEEP = 256
_NESTED_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_NESTED_LEVELS = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While)


def _below(node: cst.CSTNode, not_entered: Tuple[type, ...]) -> Iterator[cst.CSTNode]:
    """Every node below ``node``, last child first, not entering nodes of the ``not_entered`` types."""
    key = (id(node), id(not_entered))
    known = _WALKED.get(key)
    if known is None or known[0] is not node:
        found = []
        stack = list(children(node))
        while stack:
            current = stack.pop()
            found.append(current)
            if isinstance(current, not_entered):
                continue
            stack.extend(children(current))
        if len(_WALKED) >= _WALKED_KEEP:
            _WALKED.clear()
        known = _WALKED[key] = (node, tuple(found))
    return iter(known[1])


def walk_local(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node below ``node`` except inside nested functions, classes and lambdas."""
    return _below(node, _NESTED_SCOPES)


def int_value(expr: Optional[cst.BaseExpression]) -> Optional[int]:
    if isinstance(expr, cst.Integer):
        try:
            return int(expr.evaluated_value)
        except ValueError:  # pragma: no cover
            return None
    return None


def source_of(node: cst.CSTNode) -> str:
    return cst.Module(body=()).code_for_node(node)


def names_read(node: cst.CSTNode) -> Set[str]:
    """Plain names used anywhere below ``node`` (stores count too; ``x.attr`` gives only ``x``)."""
    found = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)
        elif not isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            stack.extend(children(current))
    return found


# -- tenacity, backoff, urllib3 -------------------------------------------------------------

@dataclass
class RetryUse:
    """One tenacity or backoff retry: a decorator (bare or called) or a ``Retrying(...)`` call.

    ``call`` is None for a bare ``@retry``; ``node`` is what a fix replaces (the bare decorator
    expression or the call); ``function`` is the decorated function, if any.
    """

    library: str  # "tenacity" or "backoff"
    node: cst.BaseExpression
    call: Optional[cst.Call]
    function: Optional[cst.FunctionDef] = None
    qualified: str = ""

    @property
    def is_async(self) -> bool:
        if self.qualified.endswith("AsyncRetrying"):
            return True
        return self.function is not None and self.function.asynchronous is not None

    def argument(self, name: str, slot: Optional[int] = None) -> Optional[cst.Arg]:
        """The argument ``name=`` (or at positional ``slot`` of ``Retrying``)."""
        if self.call is None:
            return None
        found = keyword(self.call, name)
        if found is not None or slot is None or self.qualified not in TENACITY_RETRYING:
            return found
        positional = [a for a in self.call.args if a.keyword is None and not a.star]
        return positional[slot] if len(positional) > slot else None

    @property
    def opaque(self) -> bool:
        """True when ``**kwargs`` or ``*args`` may hold any argument: say nothing about it."""
        if self.call is None:
            return False
        if has_star_kwargs(self.call) or any(a.star == "*" for a in self.call.args):
            return True
        if self.qualified in TENACITY_DECORATORS:
            # retry(fn) applies the bare decorator to fn; retry(a, b) is not tenacity's form
            return any(a.keyword is None for a in self.call.args)
        return False


def retry_use_of_call(rule: "Rule", call: cst.Call) -> Optional[RetryUse]:
    """The tenacity/backoff retry a call makes (``retry(...)``, ``Retrying(...)``, ``on_exception(...)``)."""
    if not isinstance(call.func, (cst.Name, cst.Attribute)):
        return None
    name = rule.qualified_name(call.func)
    if name is None:
        return None
    if name in TENACITY_DECORATORS or name in TENACITY_RETRYING:
        return RetryUse("tenacity", call, call, qualified=name)
    if name in BACKOFF_DECORATORS:
        return RetryUse("backoff", call, call, qualified=name)
    return None


def retry_decorators(rule: "Rule", function: cst.FunctionDef) -> List[RetryUse]:
    """The tenacity/backoff retry decorators of ``function``, bare or called."""
    found = []
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            use = retry_use_of_call(rule, expr)
            if use is not None:
                use.function = function
                found.append(use)
        elif isinstance(expr, (cst.Name, cst.Attribute)):
            name = rule.qualified_name(expr)
            if name in TENACITY_DECORATORS:
                found.append(RetryUse("tenacity", expr, None, function, name))
    return found


#: What made a retry decorator object (``retry_policy = tenacity.retry(...)`` then ``@retry_policy``).
DECORATOR_MAKERS = TENACITY_DECORATORS | BACKOFF_DECORATORS | {"retrying.retry"}
#: What made an object whose ``.wraps`` decorates (tenacity) or whose ``.call`` retries (retrying).
RETRYER_MAKERS = TENACITY_RETRYING | {"retrying.Retrying"}


def retry_objects(rule: "Rule", function: cst.FunctionDef) -> List[str]:
    """What made each retry decorator *object* of ``function`` (``@retry_policy`` where
    ``retry_policy = tenacity.retry(...)``, ``@retryer.wraps``), in this module or, through the
    project index, another: its arguments are not in view, so its attempts are unknown."""
    found = []
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Attribute) and expr.attr.value == "wraps":
            made = rule.created_by(expr.value)
            if made in TENACITY_RETRYING:
                found.append(made)
        elif isinstance(expr, (cst.Name, cst.Attribute)):
            made = rule.created_by(expr)
            if made in DECORATOR_MAKERS:
                found.append(made)
    return found


def retrying_library_uses(rule: "Rule", function: cst.FunctionDef) -> List[Tuple[cst.BaseExpression, Optional[cst.Call]]]:
    """The ``retrying`` decorators of ``function`` (``@retry``, ``@retrying.retry(...)``): the
    decorator expression and its call (None when bare); those passing ``**kwargs`` are left out."""
    found: List[Tuple[cst.BaseExpression, Optional[cst.Call]]] = []
    for decorator in function.decorators:
        expr = decorator.decorator
        call = expr if isinstance(expr, cst.Call) else None
        callee = call.func if call is not None else expr
        if not isinstance(callee, (cst.Name, cst.Attribute)) or rule.qualified_name(callee) not in RETRYING_LIBRARY:
            continue
        if call is not None and (has_star_kwargs(call) or any(a.star for a in call.args)):
            continue
        found.append((expr, call))
    return found


def retrying_library_keywords(call: Optional[cst.Call]) -> Set[str]:
    """The keywords a ``retrying`` decorator or ``Retrying(...)`` is given (none when bare), minus
    those given None."""
    if call is None:
        return set()
    return {arg.keyword.value for arg in call.args if arg.keyword is not None and not is_none(arg.value)}


def tenacity_attempts(use: RetryUse) -> Union[int, float, None]:
    """How many attempts a tenacity retry makes: a number, ``inf`` when unbounded, None if unknown."""
    stop = use.argument("stop", RETRYING_STOP_SLOT)
    if stop is None:
        return float("inf")
    return _stop_attempts(stop.value)


def _stop_attempts(expr: cst.BaseExpression) -> Optional[int]:
    if isinstance(expr, cst.Call) and isinstance(expr.func, (cst.Name, cst.Attribute)):
        callee = dotted(expr.func) or ""
        if callee.split(".")[-1] == "stop_after_attempt" and expr.args:
            return int_value(expr.args[0].value)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        # stop_a | stop_b stops at whichever comes first: at most the smaller known count
        counts = [c for c in (_stop_attempts(expr.left), _stop_attempts(expr.right)) if c is not None]
        return min(counts) if counts else None
    return None


def backoff_attempts(use: RetryUse) -> Union[int, float, None]:
    if use.call is None:
        return None
    tries = keyword(use.call, "max_tries")
    if tries is not None and not is_none(tries.value):
        return int_value(tries.value)
    limit = keyword(use.call, "max_time")
    if limit is not None and not is_none(limit.value):
        return None
    return float("inf")


def attempts_of(use: RetryUse) -> Union[int, float, None]:
    return tenacity_attempts(use) if use.library == "tenacity" else backoff_attempts(use)


def is_urllib3_retry(rule: "Rule", call: cst.Call) -> bool:
    return isinstance(call.func, (cst.Name, cst.Attribute)) and rule.qualified_name(call.func) in URLLIB3_RETRY


def urllib3_attempts(call: cst.Call) -> Union[int, float, None]:
    """Attempts a ``Retry(...)`` allows: total retries + 1; None if unknown."""
    total = keyword(call, "total")
    if total is None:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if positional:
            total = positional[0]
    if total is None:
        return 11  # urllib3's default total=10
    if isinstance(total.value, cst.Name) and total.value.value == "False":
        return 1
    count = int_value(total.value)
    return None if count is None else count + 1


def adapter_attempts(rule: "Rule", value: cst.BaseExpression) -> Union[int, float, None]:
    """Attempts an ``HTTPAdapter(max_retries=value)`` makes; 1 when it does not retry."""
    count = int_value(value)
    if count is not None:
        return count + 1
    if isinstance(value, cst.Call) and is_urllib3_retry(rule, value):
        return urllib3_attempts(value)
    if isinstance(value, cst.Name) and value.value in ("False", "None"):
        return 1
    return None


# -- hand-written retry loops ---------------------------------------------------------------

@dataclass
class RetryLoop:
    """A loop recognised as a hand-written retry loop."""

    loop: Union[cst.While, cst.For]
    attempt: cst.Try  # the try whose success leaves the loop
    again: List[cst.ExceptHandler]  # handlers that go round again
    #: the loop itself never ends: ``while True`` or ``for _ in itertools.count()``
    endless: bool = False
    #: the number of attempts when the loop is ``for _ in range(<literal>)``
    attempts: Optional[int] = None
    rest: List[cst.BaseStatement] = field(default_factory=list)  # loop statements besides the try
    #: in a function named for waiting (``wait_for_db``, ``poll_status``): probing until ready is its
    #: purpose, so only rules with ``judges_polling`` see it (a long fixed wait there is still a retry wait)
    polling: bool = False

    @property
    def unbounded(self) -> bool:
        """Endless, and nothing on the failure path ever leaves: no count, no deadline, no raise."""
        if not self.endless:
            return False
        for handler in self.again:
            if _can_leave(handler.body) or delegates(handler):
                return False
        for stmt in self.rest:
            if _can_leave(stmt):
                return False
        if self.attempt.finalbody is not None and _can_leave(self.attempt.finalbody):
            return False
        return True


#: The last loops analysed: the retry rules visit the same loop one after another in the batched
#: walk, so a few entries spare each rule the same analysis. Keyed by id, checked by identity.
_ANALYSED: Dict[int, Tuple[cst.CSTNode, Optional[RetryLoop]]] = {}
_ANALYSED_KEEP = 64


class RetryLoopChecks:
    """For rules that judge hand-written retry loops: ``check_retry_loop`` is called for each one."""

    def visit_While(self, node: cst.While) -> None:
        self._visit_loop(node)

    def visit_For(self, node: cst.For) -> None:
        self._visit_loop(node)

    #: True for a rule that judges loops in functions named for waiting too (``RetryLoop.polling``)
    judges_polling = False

    def _visit_loop(self, node: cst.CSTNode) -> None:
        found = retry_loop(self, node, self.judges_polling)  # type: ignore[arg-type]
        if found is not None:
            self.check_retry_loop(node, found)

    def check_retry_loop(self, node: cst.CSTNode, found: "RetryLoop") -> None:
        raise NotImplementedError


def retry_loop(rule: "Rule", loop: cst.CSTNode, polling: bool = False) -> Optional[RetryLoop]:
    """``loop`` as a hand-written retry loop, or None when it is not one (see the module docstring);
    a loop in a function named for waiting only when ``polling`` is asked for."""
    cached = _ANALYSED.get(id(loop))
    if cached is not None and cached[0] is loop:
        found = cached[1]
    else:
        found = _analyse_loop(rule, loop)
        if len(_ANALYSED) >= _ANALYSED_KEEP:
            _ANALYSED.clear()
        _ANALYSED[id(loop)] = (loop, found)
    if found is not None and found.polling and not polling:
        return None  # wait_until_ready(), poll_status(): probing until ready is the purpose
    return found


def _analyse_loop(rule: "Rule", loop: cst.CSTNode) -> Optional[RetryLoop]:
    endless = False
    attempts = None
    function = rule.enclosing_function
    polling = function is not None and bool(_POLLING_FUNCTION.search(function.name.value))
    counter = False
    if isinstance(loop, cst.While):
        endless = _always_true(loop.test)
    elif isinstance(loop, cst.For):
        if loop.asynchronous is not None or not isinstance(loop.iter, cst.Call):
            return None
        callee = loop.iter.func
        if isinstance(callee, cst.Name) and callee.value == "range":
            if rule.qualified_name(callee) is not None:
                return None  # a range imported from somewhere else
            args = [a.value for a in loop.iter.args]
            if len(args) == 1:
                attempts = int_value(args[0])
            elif len(args) == 2 and int_value(args[0]) is not None and int_value(args[1]) is not None:
                attempts = int_value(args[1]) - int_value(args[0])  # type: ignore[operator]
        elif rule.qualified_name(callee) == "itertools.count":
            endless = True
        else:
            return None
        used = names_read(loop.target)
        # ``for attempt in range(n)``: the variable counts attempts (passed on to log or to
        # choose a delay), it does not pick a candidate to try
        counter = attempts is not None or (isinstance(callee, cst.Name) and callee.value == "range")
        counter = counter and isinstance(loop.target, cst.Name) and bool(_ATTEMPT_COUNTER.search(loop.target.value))
    else:
        return None
    statements = list(body_of(loop))
    for index, stmt in enumerate(statements):
        attempt = _attempt_try(stmt)
        if attempt is None:
            continue
        again = [h for h in attempt.handlers if not _always_leaves(h.body)]
        if not again:
            continue
        if not any(_may_be_transient(rule, h) for h in again):
            continue
        reads = names_read(attempt.body)
        if not any(isinstance(n, cst.Call) for n in walk_local(attempt.body)):
            continue
        if isinstance(loop, cst.For) and used & reads - {"_"} and not counter:
            continue  # the loop variable picks what to try: a search over candidates
        if _local_only(rule, attempt.body):
            continue  # os.rename() racing another process: retried at once by design, no peer to wait for
        if any(_rebinds(h.body) & reads for h in again):
            continue
        rest = statements[:index] + statements[index + 1:]
        if any(_rebinds(s) & reads for s in rest):
            continue
        return RetryLoop(loop, attempt, again, endless, attempts, rest, polling)
    return None


#: Loop variable names that count attempts (``attempt``, ``retry``, ``tries``, ``n_try``)
_ATTEMPT_COUNTER = re.compile(r"attempt|retr|tries|(^|_)try(_|$)", re.IGNORECASE)
#: Modules whose calls act on the local machine only: a loop retrying them is no remote retry
_LOCAL_MODULES = ("os.", "shutil.")


def _local_only(rule: "Rule", body: cst.CSTNode) -> bool:
    """Every call in ``body`` is a local file-system call (``os.rename``, ``shutil.move``)."""
    calls = [node for node in walk_local(body) if isinstance(node, cst.Call)]
    for call in calls:
        name = rule.qualified_name(call.func) if isinstance(call.func, (cst.Name, cst.Attribute)) else None
        if name is None or not name.startswith(_LOCAL_MODULES):
            return False
    return bool(calls)


def _always_true(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name) and test.value == "True":
        return True
    return int_value(test) not in (None, 0)


def _attempt_try(stmt: cst.BaseStatement) -> Optional[cst.Try]:
    """The ``try`` of a loop statement (looking through ``with``) whose success leaves the loop."""
    while isinstance(stmt, cst.With):
        inner = body_of(stmt)
        if len(inner) != 1:
            return None
        stmt = inner[0]
    if not isinstance(stmt, cst.Try) or not stmt.handlers:
        return None
    if _exits(body_of(stmt.body)) or (stmt.orelse is not None and _exits(body_of(stmt.orelse))):
        return stmt
    return None


def _exits(statements: Sequence[cst.BaseStatement]) -> bool:
    """An unconditional ``return``/``break`` among ``statements`` (through ``with`` blocks)."""
    for stmt in statements:
        for small in small_statements(stmt):
            if isinstance(small, (cst.Return, cst.Break)):
                return True
        if isinstance(stmt, cst.With) and _exits(body_of(stmt)):
            return True
    return False


def _always_leaves(statements: Sequence[cst.BaseStatement]) -> bool:
    """The block always ends with ``raise``/``return``/``break`` (an if/else both ways counts)."""
    if isinstance(statements, cst.CSTNode):
        statements = body_of(statements)
    if not statements:
        return False
    last = statements[-1]
    smalls = small_statements(last)
    if smalls and isinstance(smalls[-1], (cst.Raise, cst.Return, cst.Break)):
        return True
    if isinstance(last, cst.If) and last.orelse is not None:
        other = last.orelse if isinstance(last.orelse, cst.If) else last.orelse
        other_body = [other] if isinstance(other, cst.If) else body_of(other)
        return _always_leaves(body_of(last)) and _always_leaves(other_body)
    return any(isinstance(s, (cst.Raise, cst.Return, cst.Break)) for s in smalls)


def _can_leave(node: cst.CSTNode) -> bool:
    """Something below ``node`` raises, returns or breaks out of the loop (a bound of some kind)."""
    for child in _walk_loop_level(node):
        if isinstance(child, (cst.Raise, cst.Return, cst.Break)):
            return True
        if isinstance(child, cst.Call) and isinstance(child.func, (cst.Name, cst.Attribute)):
            if (dotted(child.func) or "") in ("sys.exit", "exit", "os._exit", "quit"):
                return True
    return False


def _walk_loop_level(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Nodes below ``node``, not entering nested functions; ``break`` of nested loops excluded."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in children(current):
            if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if isinstance(child, (cst.For, cst.While)):
                # a nested loop's break leaves only that loop; its raise/return still leave ours
                stack.extend(c for c in walk_local(child) if isinstance(c, (cst.Raise, cst.Return)))
                continue
            stack.append(child)


def _rebinds(node: Union[cst.CSTNode, Sequence[cst.CSTNode]]) -> Set[str]:
    """Names assigned below ``node`` (what the next attempt would see changed)."""
    nodes = node if isinstance(node, (list, tuple)) else [node]
    found: Set[str] = set()
    for top in nodes:
        for child in [top, *walk_local(top)]:
            targets: List[cst.BaseExpression] = []
            if isinstance(child, cst.Assign):
                targets = [t.target for t in child.targets]
            elif isinstance(child, (cst.AugAssign, cst.AnnAssign)):
                targets = [child.target]
            if isinstance(child, cst.Call) and isinstance(child.func, cst.Attribute) and \
                    isinstance(child.func.value, cst.Name) and child.func.attr.value in _MUTATORS:
                found.add(child.func.value.value)  # hosts.pop(): the next attempt sees another list
            for target in targets:
                if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
                    found.add(target.value.value)  # groups[:] = groups[:-1]
                elif isinstance(target, cst.Name):
                    found.add(target.value)
                elif isinstance(target, (cst.Tuple, cst.List)):
                    found.update(e.value.value for e in target.elements if isinstance(e.value, cst.Name))
    return found


_MUTATORS = frozenset({"pop", "popleft", "remove", "clear", "insert", "discard", "rotate"})


def handler_exceptions(handler: cst.ExceptHandler) -> Optional[List[str]]:
    """Dotted names an ``except`` catches; None for a bare ``except:`` or an unreadable type."""
    if handler.type is None:
        return None
    exprs = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
    names = []
    for expr in exprs:
        name = dotted(expr)
        if name is None:
            return None
        names.append(name)
    return names


def catches_everything(rule: "Rule", handler: cst.ExceptHandler) -> bool:
    """A bare ``except:`` or one that names ``Exception``/``BaseException``."""
    if handler.type is None:
        return True
    names = handler_exceptions(handler)
    return bool(names) and any(n in BROAD_EXCEPTIONS for n in names)


def _may_be_transient(rule: "Rule", handler: cst.ExceptHandler) -> bool:
    if _mentions(handler.body, "EINTR"):
        return False  # the classic EINTR loop: retrying at once is the point
    names = handler_exceptions(handler)
    if names is None:
        return True  # bare except, or a computed type: may be anything
    return not all(permanent(n) for n in names)


def permanent(name: str) -> bool:
    """An exception (its dotted name as written) that is never transient: retrying it at once is
    local handling, not a retry."""
    last = name.split(".")[-1]
    return name in LOCAL_EXCEPTIONS or last in LOCAL_EXCEPTIONS or bool(_PERMANENT_WORDS.search(last))


def _mentions(node: cst.CSTNode, word: str) -> bool:
    for child in walk_local(node):
        if isinstance(child, cst.Name) and child.value == word:
            return True
    return False


def delegates(handler: cst.ExceptHandler) -> bool:
    """The handler hands the caught error to a function that decides (``_retry_error_helper(exc,
    …)``): it may raise, so it filters and bounds the retry. Logging calls do not count."""
    if handler.name is None or not isinstance(handler.name.name, cst.Name):
        return False
    bound = handler.name.name.value
    for node in walk_local(handler.body):
        if not isinstance(node, cst.Call) or not isinstance(node.func, (cst.Name, cst.Attribute)):
            continue
        last = (dotted(node.func) or "").split(".")[-1].lower()
        if last in _LOGGING_CALLS:
            continue
        if any(isinstance(a.value, cst.Name) and a.value.value == bound for a in node.args):
            return True
    return False


_LOGGING_CALLS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log",
                            "print", "append", "add", "format", "str", "repr", "type", "isinstance",
                            "getattr", "hasattr", "_debug", "_log", "set_exception", "capture_exception"})


def waits(rule: "Rule", loop: RetryLoop) -> List[cst.Call]:
    """The calls in the loop that wait (``time.sleep``, ``asyncio.sleep``, ``self._backoff()``…)."""
    found = []
    for node in walk_local(loop.loop):
        if not isinstance(node, cst.Call) or not isinstance(node.func, (cst.Name, cst.Attribute)):
            continue
        name = rule.qualified_name(node.func)
        if name in SLEEPS:
            found.append(node)
            continue
        last = (dotted(node.func) or "").split(".")[-1].lower()
        if any(word in last for word in _WAITING_WORDS):
            found.append(node)
            continue
        for arg in node.args:
            word = arg.keyword.value if arg.keyword is not None else \
                (arg.value.value if isinstance(arg.value, cst.Name) else "")
            if any(w in word.lower() for w in _WAIT_ARGUMENT_WORDS):
                found.append(node)
                break
    return found


def sleeps(rule: "Rule", loop: RetryLoop, nested: bool = True) -> List[Tuple[cst.Call, str]]:
    """``time.sleep``-like calls in the loop, with their qualified names; with ``nested=False``, not
    those inside a loop of its own (``for _ in range(int(tts)): sleep(1.0)`` sleeps ``tts``)."""
    found = []
    nodes = walk_local(loop.loop) if nested else _walk_own_level(loop.loop)
    for node in nodes:
        if isinstance(node, cst.Call) and isinstance(node.func, (cst.Name, cst.Attribute)):
            name = rule.qualified_name(node.func)
            if name in SLEEPS:
                found.append((node, name))
    return found


def _walk_own_level(loop: cst.CSTNode) -> Iterator[cst.CSTNode]:
    return _below(loop, _NESTED_LEVELS)


def assigned_in(loop: RetryLoop) -> Set[str]:
    """Names given a new value by plain assignment inside the loop (``delay = compute()``)."""
    found: Set[str] = set()
    for node in walk_local(loop.loop):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    found.add(target.target.value)
        elif isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name):
            found.add(node.target.value)
    return found


def has_randomness(loop: RetryLoop) -> bool:
    """The loop draws a random number somewhere (a jitter, however it is spelled)."""
    for node in walk_local(loop.loop):
        if isinstance(node, (cst.Name, cst.Attribute)):
            word = (node.value if isinstance(node, cst.Name) else node.attr.value).lower()
            if any(w in word for w in _JITTER_WORDS):
                return True
    return False


def is_constant(expr: cst.BaseExpression) -> bool:
    """A number literal or an ALL_CAPS constant (``RETRY_DELAY``, ``self.RETRY_DELAY``)."""
    if isinstance(expr, (cst.Integer, cst.Float)):
        return True
    if isinstance(expr, cst.UnaryOperation):
        return is_constant(expr.expression)
    if isinstance(expr, cst.Name):
        return expr.value.isupper() and len(expr.value) > 1
    if isinstance(expr, cst.Attribute):
        return expr.attr.value.isupper() and len(expr.attr.value) > 1
    return False


@answered_per_text(4)  # four rules ask it of the same bytes, one after the other
def may_hold_retry_loop(source: bytes) -> bool:
    """Prefilter: the text could hold a hand-written retry loop."""
    return b"except" in source and (b"while" in source or mentions(source, b"range(") or mentions(source, b"count(")) \
        and may_hold_loop_with_try(source, permanent)


def retrying_loop(rule: "Rule", loop: cst.CSTNode) -> Optional[RetryUse]:
    """The tenacity ``Retrying(...)`` of ``for attempt in Retrying(...):``, if that is what ``loop`` is."""
    if isinstance(loop, cst.For) and isinstance(loop.iter, cst.Call):
        use = retry_use_of_call(rule, loop.iter)
        if use is not None and use.qualified in TENACITY_RETRYING:
            return use
    return None


def retrying_object_loop(rule: "Rule", loop: cst.CSTNode) -> bool:
    """``for attempt in retryer:`` over a tenacity ``Retrying`` object made elsewhere."""
    return isinstance(loop, cst.For) and isinstance(loop.iter, (cst.Name, cst.Attribute)) \
        and rule.created_by(loop.iter) in TENACITY_RETRYING


@dataclass
class RetryContext:
    """Code that runs under a retry: a decorated function, a retry loop, a ``Retrying`` loop."""

    node: cst.CSTNode
    attempts: Union[int, float, None]  # inf: unbounded; None: unknown
    function_key: Optional[Tuple[Optional[str], str]] = None


def function_key(stack: Sequence[cst.CSTNode], function: cst.FunctionDef) -> Tuple[Optional[str], str]:
    """(class name or None, function name) of ``function`` defined directly under ``stack[-1]``."""
    owner = stack[-1] if stack else None
    return (owner.name.value if isinstance(owner, cst.ClassDef) else None, function.name.value)


class RetryContextTracker:
    """Mixin for rules: during the walk, ``self.retry_context`` is the retry the visited code runs
    under (innermost), or None. A plain nested function is a barrier: its body runs when called.
    """

    def reset(self) -> None:
        self._contexts: List[Optional[RetryContext]] = []
        self._loops: Set[int] = set()

    @property
    def retry_context(self) -> Optional[RetryContext]:
        return self._contexts[-1] if self._contexts else None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        uses = retry_decorators(self, node)  # type: ignore[arg-type]
        objects = retry_objects(self, node)  # type: ignore[arg-type]
        if uses or objects:
            counts = [attempts_of(u) for u in uses] + [None] * len(objects)
            attempts = None if None in counts else _product(counts)
            key = function_key(self.file.scope_stack, node)  # type: ignore[attr-defined]
            self._contexts.append(RetryContext(node, attempts, key))
        else:
            self._contexts.append(None)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._contexts.pop()

    def _enter_loop(self, node: Union[cst.While, cst.For]) -> None:
        context = None
        found = retry_loop(self, node)  # type: ignore[arg-type]
        if found is not None:
            attempts: Union[int, float, None] = found.attempts
            if found.unbounded:
                attempts = float("inf")
            context = RetryContext(node, attempts)
        else:
            use = retrying_loop(self, node)  # type: ignore[arg-type]
            if use is not None:
                context = RetryContext(node, tenacity_attempts(use))
            elif retrying_object_loop(self, node):  # type: ignore[arg-type]
                context = RetryContext(node, None)
        if context is not None:
            outer = self.retry_context
            if outer is not None:
                context.function_key = outer.function_key
            self._contexts.append(context)
            self._loops.add(id(node))

    def _leave_loop(self, node: Union[cst.While, cst.For]) -> None:
        if id(node) in self._loops:
            self._loops.discard(id(node))
            self._contexts.pop()

    def visit_While(self, node: cst.While) -> None:
        self._enter_loop(node)

    def leave_While(self, node: cst.While) -> None:
        self._leave_loop(node)

    def visit_For(self, node: cst.For) -> None:
        self._enter_loop(node)

    def leave_For(self, node: cst.For) -> None:
        self._leave_loop(node)


def _product(counts: Sequence[Union[int, float]]) -> Union[int, float]:
    total: Union[int, float] = 1
    for count in counts:
        total *= count
    return total


def describe_attempts(count: Union[int, float, None]) -> str:
    if count is None:
        return "an unknown number of"
    if count == float("inf"):
        return "unbounded"
    return str(int(count))

"""Translating the unmaintained ``retrying`` library's arguments and imports to ``tenacity``, behaviour kept.

The formulas, read from retrying 1.4 (``retrying.py``) and tenacity 9 (``tenacity/wait.py``, ``stop.py``):

- retrying counts attempts from 1 and, after a rejected attempt ``n``, first asks its stop condition
  (``n >= stop_max_attempt_number``; milliseconds since the first attempt ``>= stop_max_delay``), then
  sleeps ``wait(n) [+ random() * wait_jitter_max]`` milliseconds. tenacity checks
  ``attempt_number >= max_attempt_number`` and ``seconds_since_start >= max_delay`` the same way.
- ``wait_fixed`` → ``wait_fixed``; ``wait_random_min/max`` (``randint(min, max)``, defaults 0 and
  1000 ms) → ``wait_random(min, max)`` (same bounds, continuous); ``wait_incrementing_start/increment``
  (``start + increment * (n - 1)``, capped by ``wait_incrementing_max``, defaults 0 and 100 ms) →
  ``wait_incrementing`` (same formula; its own defaults are in seconds, so both are always written).
- ``wait_exponential_multiplier=m`` waits ``m * 2**n`` ms after attempt ``n``; tenacity's
  ``wait_exponential(multiplier=k)`` waits ``k * 2**(n - 1)`` s, so ``k = 2 * m / 1000``.
- Several wait kinds at once: retrying sleeps the *longest* of them, tenacity's ``+`` adds them, so
  that combination is left for a person. Several stop conditions: retrying stops when *any* holds,
  which is tenacity's ``|``.
- ``retry_on_exception`` alone: results are never retried. A predicate becomes
  ``retry_if_exception_type() & retry_if_exception(pred)``: retrying catches only ``Exception``, so its
  predicate never sees ``KeyboardInterrupt``; tenacity's would. ``lambda e: isinstance(e, X)`` and a
  tuple of exception types become ``retry_if_exception_type(X)``. ``retry_on_result`` alone: every
  exception is still retried, so it becomes ``retry_if_exception_type() | retry_if_result(...)``.
- ``retry_on_exception=IOError`` (a class, not a tuple): retrying calls it as a predicate and
  ``reject |= IOError(error)`` raises TypeError at the first error, and tenacity's
  ``retry_if_exception(IOError)`` would retry every exception (``IOError(error)`` is truthy), so an
  exception class is left for a person (the message says to write ``(IOError,)``): a built-in one,
  a class of the file, a library's (``requests.exceptions.ConnectionError``) or a name spelled as
  one (``TransientError``). A lowercase name (``is_transient``) is taken for a predicate.
- retrying raises the original error when it gives up (``reraise=True``) unless ``wrap_exception=True``
  (tenacity's default: ``RetryError``). With ``wrap_exception=True`` retrying also wraps an exception
  its ``retry_on_exception`` declines; tenacity raises that one as it is: left for a person.
- The bare ``@retry`` never stops and never waits, as tenacity's.
"""
from __future__ import annotations

import ast
from decimal import Decimal
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import libcst as cst

RETRYING = "retrying"
TENACITY = "tenacity"

#: Names of the retrying module that have a tenacity twin of the same name and use.
TWINS = ("retry", "Retrying", "RetryError")

#: Keywords of retrying's ``Retrying``/``retry`` with no mechanical tenacity equivalent, and why.
NOT_MAPPED: Dict[str, str] = {
    "stop": "a stop strategy named by string",
    "wait": "a wait strategy named by string",
    "stop_func": "a custom stop_func takes (attempt, delay_ms); tenacity's stop takes a RetryCallState",
    "wait_func": "a custom wait_func takes (attempt, delay_ms) and returns ms; tenacity's wait takes a "
                 "RetryCallState and returns seconds",
    "before_attempts": "before_attempts gets the attempt number; tenacity's before= gets a RetryCallState",
    "after_attempts": "after_attempts gets the attempt number; tenacity's after= gets a RetryCallState",
    "logger": "retrying logs each failed attempt to this logger; tenacity has no such option",
}

MAPPED = frozenset({
    "stop_max_attempt_number", "stop_max_delay", "wait_fixed", "wait_random_min", "wait_random_max",
    "wait_incrementing_start", "wait_incrementing_increment", "wait_incrementing_max",
    "wait_exponential_multiplier", "wait_exponential_max", "wait_jitter_max", "retry_on_exception",
    "retry_on_result", "wrap_exception",
})

_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)


class CannotMigrate(Exception):
    """The retrying call uses something with no mechanical tenacity equivalent; ``str()`` says what."""


def source_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _number(expr: cst.BaseExpression) -> Optional[Decimal]:
    if isinstance(expr, (cst.Integer, cst.Float)):
        return Decimal(repr(ast.literal_eval(expr.value)))
    return None


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _atom(expr: cst.BaseExpression) -> str:
    text = source_of(expr)
    return text if isinstance(expr, _ATOMS) and not expr.lpar else f"({text})"


def seconds(expr: cst.BaseExpression, factor: int = 1) -> str:
    """``factor`` times the milliseconds ``expr``, in seconds: a literal is computed, else divided."""
    number = _number(expr)
    if number is not None:
        return _decimal_text(number * factor / 1000)
    prefix = f"{factor} * " if factor != 1 else ""
    return f"{prefix}{_atom(expr)} / 1000"


def _is_literal(expr: cst.BaseExpression, *values: str) -> bool:
    return isinstance(expr, cst.Name) and expr.value in values


def _is_zero(expr: cst.BaseExpression) -> bool:
    number = _number(expr)
    return number is not None and number == 0


def translate(call: Optional[cst.Call], spell: Callable[[str], str],
              exception_kind: Callable[[cst.BaseExpression], Optional[str]]) -> List[str]:
    """The keyword arguments, as source text, of the tenacity call equivalent to retrying's ``call``.

    ``call`` is None for a bare ``@retry``. ``spell("stop_after_attempt")`` returns how the file
    refers to that tenacity name (and records the import it needs); ``exception_kind(expr)`` says
    whether a ``retry_on_exception`` value is a tuple of exception classes (``"types"``), a predicate
    (``"predicate"``), an exception class (``"exception class"``, known; ``"exception class by name"``,
    spelled as one), which retrying 1.4 cannot use (left for a person), or cannot be told from the
    file (None: decided at run time, as retrying does).
    Raises ``CannotMigrate`` for what has no equivalent.
    """
    given: Dict[str, cst.BaseExpression] = {}
    for arg in call.args if call is not None else ():
        if arg.star:
            raise CannotMigrate(f"arguments passed with {arg.star} cannot be read")
        if arg.keyword is None:
            raise CannotMigrate("positional arguments")
        key = arg.keyword.value
        if key in NOT_MAPPED:
            raise CannotMigrate(NOT_MAPPED[key])
        if key not in MAPPED:
            raise CannotMigrate(f"unknown keyword '{key}'")
        if key != "wrap_exception" and _is_literal(arg.value, "None"):
            continue  # retrying treats None as not given
        given[key] = arg.value

    arguments: List[str] = []
    stops = []
    if "stop_max_attempt_number" in given:
        stops.append(f"{spell('stop_after_attempt')}({source_of(given['stop_max_attempt_number'])})")
    if "stop_max_delay" in given:
        stops.append(f"{spell('stop_after_delay')}({seconds(given['stop_max_delay'])})")
    if stops:
        arguments.append("stop=" + " | ".join(stops))

    waits = []
    if "wait_fixed" in given:
        waits.append(f"{spell('wait_fixed')}({seconds(given['wait_fixed'])})")
    if "wait_random_min" in given or "wait_random_max" in given:
        low = seconds(given["wait_random_min"]) if "wait_random_min" in given else "0"
        high = seconds(given["wait_random_max"]) if "wait_random_max" in given else "1"
        waits.append(f"{spell('wait_random')}({low}, {high})")
    # wait_incrementing_max alone does not turn incrementing waits on in retrying
    if "wait_incrementing_start" in given or "wait_incrementing_increment" in given:
        start = seconds(given["wait_incrementing_start"]) if "wait_incrementing_start" in given else "0"
        step = seconds(given["wait_incrementing_increment"]) if "wait_incrementing_increment" in given else "0.1"
        parts = [f"start={start}", f"increment={step}"]
        if "wait_incrementing_max" in given:
            parts.append(f"max={seconds(given['wait_incrementing_max'])}")
        waits.append(f"{spell('wait_incrementing')}({', '.join(parts)})")
    if "wait_exponential_multiplier" in given or "wait_exponential_max" in given:
        multiplier = seconds(given["wait_exponential_multiplier"], factor=2) \
            if "wait_exponential_multiplier" in given else "0.002"
        parts = [f"multiplier={multiplier}"]
        if "wait_exponential_max" in given:
            parts.append(f"max={seconds(given['wait_exponential_max'])}")
        waits.append(f"{spell('wait_exponential')}({', '.join(parts)})")
    if len(waits) > 1:
        raise CannotMigrate("retrying sleeps the longest of several wait kinds, tenacity adds them up")
    jitter = given.get("wait_jitter_max")
    if jitter is not None and not _is_zero(jitter):
        waits.append(f"{spell('wait_random')}(0, {seconds(jitter)})")
    if waits:
        arguments.append("wait=" + " + ".join(waits))

    on_exception = given.get("retry_on_exception")
    on_result = given.get("retry_on_result")
    conditions = []
    if on_exception is not None:
        value = source_of(on_exception)
        kind = exception_kind(on_exception)
        checked_type = _isinstance_check(on_exception)
        # retrying only catches Exception: its predicate never sees KeyboardInterrupt or SystemExit,
        # tenacity's would, so the predicate is guarded by tenacity's own Exception check
        # (spelled only when used: spelling a name records its import, and an unused one is F401)
        def guarded() -> str:
            return f"{spell('retry_if_exception_type')}() & {spell('retry_if_exception')}({value})"
        if kind in ("exception class", "exception class by name"):
            # retrying wraps only a tuple in an isinstance test: a class is called as a predicate,
            # and ``reject |= IOError(error)`` raises TypeError at the first error it sees; tenacity's
            # retry_if_exception(X) would make a (truthy) X(error) and retry every exception
            what = "is an exception class" if kind == "exception class" else "looks like an exception class"
            raise CannotMigrate(f"retry_on_exception={value} {what}, which retrying calls as a predicate "
                                f"(TypeError at the first error) and tenacity would retry on every "
                                f"exception: to retry on it, write retry_on_exception=({value},), or pass "
                                f"a predicate")
        if kind == "types":
            conditions.append(f"{spell('retry_if_exception_type')}({value})")
        elif checked_type is not None:
            conditions.append(f"{spell('retry_if_exception_type')}({source_of(checked_type)})")
        elif kind == "predicate":
            conditions.append(f"({guarded()})" if on_result is not None else guarded())
        elif isinstance(on_exception, (cst.Name, cst.Attribute)):
            # retrying itself checks isinstance(value, tuple) when the Retrying object is made
            conditions.append(f"({spell('retry_if_exception_type')}({value}) if isinstance({value}, tuple) "
                              f"else {guarded()})")
        else:
            raise CannotMigrate("cannot tell whether retry_on_exception is a predicate or a tuple of "
                                "exception types without evaluating it twice")
    elif on_result is not None:
        # retrying still retries every exception when only retry_on_result is given
        conditions.append(f"{spell('retry_if_exception_type')}()")
    if on_result is not None:
        conditions.append(f"{spell('retry_if_result')}({source_of(on_result)})")
    if conditions:
        arguments.append("retry=" + " | ".join(conditions))

    wrap = given.get("wrap_exception")
    if wrap is not None and not _is_literal(wrap, "True", "False", "None"):
        raise CannotMigrate("wrap_exception is not a literal True or False")
    if wrap is not None and _is_literal(wrap, "True"):
        if on_exception is not None:
            raise CannotMigrate("with wrap_exception=True retrying wraps an exception that "
                                "retry_on_exception declines in RetryError; tenacity raises it unwrapped")
    else:
        arguments.append("reraise=True")
    return arguments


def _isinstance_check(expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``X`` for ``lambda e: isinstance(e, X)``: the same test as tenacity's ``retry_if_exception_type(X)``."""
    if not isinstance(expr, cst.Lambda) or len(expr.params.params) != 1 or expr.params.star_arg \
            not in (cst.MaybeSentinel.DEFAULT, None) or expr.params.kwonly_params or expr.params.star_kwarg:
        return None
    body = expr.body
    if not (isinstance(body, cst.Call) and isinstance(body.func, cst.Name) and body.func.value == "isinstance"
            and len(body.args) == 2 and not any(a.star or a.keyword for a in body.args)):
        return None
    subject, types = body.args[0].value, body.args[1].value
    if isinstance(subject, cst.Name) and subject.value == expr.params.params[0].name.value:
        return types
    return None


def with_arguments(call: cst.Call, func: cst.BaseExpression, arguments: List[str]) -> cst.Call:
    """``call`` calling ``func`` with ``arguments`` instead, one per line if the original was so."""
    parsed = cst.parse_expression(f"f({', '.join(arguments)})")
    assert isinstance(parsed, cst.Call)
    args = list(parsed.args)
    before = call.whitespace_before_args
    if isinstance(before, cst.ParenthesizedWhitespace) and args:
        # one argument per line: the arguments are rewritten whole, their comments go above them
        comments = [cst.EmptyLine(indent=before.indent, whitespace=before.last_line, comment=c)
                    for c in _comments(call.args)]
        if comments:
            before = before.with_changes(empty_lines=[*before.empty_lines, *comments])
        line = before.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
        closing = call.args[-1].comma if call.args else cst.MaybeSentinel.DEFAULT
        args = [a.with_changes(comma=cst.Comma(whitespace_after=line)) for a in args]
        if isinstance(closing, cst.Comma):
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=closing.whitespace_after))
        else:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        if call.args:
            args[-1] = args[-1].with_changes(whitespace_after_arg=call.args[-1].whitespace_after_arg)
        return call.with_changes(func=func, args=args, whitespace_before_args=before)
    return call.with_changes(func=func, args=args, whitespace_before_args=cst.SimpleWhitespace(""))


class _CommentFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: List[cst.Comment] = []

    def visit_Comment(self, node: cst.Comment) -> None:
        self.found.append(node)


def _comments(args: Sequence[cst.Arg]) -> List[cst.Comment]:
    """Comments among ``args``, except those before ``)`` (the last argument's, which stay there)."""
    finder = _CommentFinder()
    for arg in args:
        arg.visit(finder)
    staying = _CommentFinder()
    if args:
        args[-1].whitespace_after_arg.visit(staying)
    return [c for c in finder.found if not any(c is s for s in staying.found)]


def bare_call(func: cst.BaseExpression, arguments: List[str]) -> cst.Call:
    """``func(arguments)`` for a bare ``@retry``."""
    return with_arguments(cst.Call(func=func), func, arguments)


def retarget_import_alias(alias: cst.ImportAlias) -> cst.ImportAlias:
    """``import retrying [as x]`` → ``import tenacity [as x]``."""
    return alias.with_changes(name=cst.Name(TENACITY))


def retarget_import_from(node: cst.ImportFrom, extra: Sequence[str] = ()) -> cst.ImportFrom:
    """``from retrying import retry, …`` → ``from tenacity import retry, …, *extra`` (twins share names)."""
    if not extra or isinstance(node.names, cst.ImportStar):
        return node.with_changes(module=cst.Name(TENACITY))
    names = list(node.names)
    last = names[-1]
    trailing = last.comma
    names[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    names += [cst.ImportAlias(name=cst.Name(n), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
              for n in extra]
    names[-1] = names[-1].with_changes(comma=trailing)
    return node.with_changes(module=cst.Name(TENACITY), names=names)


def existing_import_from(module: cst.Module, name: str) -> Optional[cst.ImportFrom]:
    """The file's ``from <name> import a, b`` among its first imports (before any other statement),
    which the names a fix needs from ``name`` join instead of a second import of the same module."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine) \
                or not all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
            if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 \
                    and isinstance(statement.body[0], cst.Expr) and statement is module.body[0]:
                continue  # the docstring
            return None
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None \
                    and not isinstance(small.names, cst.ImportStar) and source_of(small.module) == name \
                    and all(alias.asname is None for alias in small.names):
                return small  # an aliased import stays on a line of its own, as isort keeps it
    return None


def merged_import_from(first: cst.ImportFrom, second: cst.ImportFrom, extra: Sequence[str] = ()) -> cst.ImportFrom:
    """``from tenacity import …`` of ``first`` (retargeted from retrying if it was) with the
    names of ``second`` and ``extra`` it lacks: the file keeps one import of the module."""
    assert not isinstance(first.names, cst.ImportStar) and not isinstance(second.names, cst.ImportStar)
    names = dict.fromkeys([*(source_of(a.name) for a in first.names), *(source_of(a.name) for a in second.names),
                           *extra])
    # in isort's order (ruff's default): constants, then classes, then the rest
    ordered = sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[:1].isupper() else 2, n))
    aliases = [cst.ImportAlias(name=cst.Name(n), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
               for n in ordered]
    aliases[-1] = aliases[-1].with_changes(comma=first.names[-1].comma)
    return first.with_changes(module=cst.Name(TENACITY), names=aliases)


def imported_names(node: cst.ImportFrom) -> List[Tuple[str, str]]:
    """``(imported name, local name)`` of a from-import (empty for ``*``)."""
    if isinstance(node.names, cst.ImportStar):
        return []
    found = []
    for alias in node.names:
        name = source_of(alias.name)
        local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) \
            else name
        found.append((name, local))
    return found

"""SVC306: ``datetime.utcnow()`` / ``utcfromtimestamp()``, naive datetimes that mean UTC."""
from __future__ import annotations

from typing import Iterator, Optional, Set

import libcst as cst

from svcmod.rule import UNSAFE, FastPath, Fix, FollowUp, Invalid, Parts, Rule, Valid, positional_count

UTCNOW = frozenset({"datetime.datetime.utcnow"})
UTCFROMTIMESTAMP = frozenset({"datetime.datetime.utcfromtimestamp"})
#: Operators that raise (or, ``==``, quietly differ) between a naive and an aware datetime.
_MIXING = (cst.Add, cst.Subtract)
_NOT_MIXING = (cst.In, cst.NotIn, cst.Is, cst.IsNot)


class NaiveUtcDatetime(Rule):
    """Checks for `datetime.utcnow()` and `datetime.utcfromtimestamp()`.

    ## Why is this bad?
    Both return a *naive* datetime holding UTC wall-clock time: nothing in the value says it is
    UTC, so any code that treats naive datetimes as local time (`.timestamp()`, `.astimezone()`,
    many ORMs and serialisers) is off by the machine's UTC offset. Python 3.12 deprecated both for
    that reason. An aware datetime, `datetime.now(timezone.utc)`, carries its zone.

    `datetime.utcnow` handed over as a callable (`Column(DateTime, default=datetime.utcnow)`) is
    reported too, without a fix. `pandas.Timestamp.utcnow()`, `arrow.utcnow()` and the like are
    other APIs and not reported.

    ## Fix safety
    The fix writes `datetime.now(timezone.utc)` / `datetime.fromtimestamp(ts, tz=timezone.utc)`
    and imports `timezone` when needed. It is unsafe: the value becomes aware, so comparing or
    subtracting it with naive datetimes raises `TypeError`, `isoformat()` gains `+00:00`, and
    database columns without time zone may store or compare it differently. Review each site
    (the `v2` migration lists it as a manual follow-up).

    No fix is offered where, in the same function, the value would meet in arithmetic or a
    comparison a value not known to be aware: an attribute (`worker.last_heartbeat`), a call's
    result, a parameter. `datetime.now(timezone.utc) - worker.last_heartbeat` raises `TypeError`
    when a library hands back naive datetimes; the finding names the value. Values known to mix
    safely are timedeltas, numbers, other converted `utcnow()`/`utcfromtimestamp()` values and
    `now(tz)`/`fromtimestamp(ts, tz)`/`astimezone()` results.

    ## References
    - https://docs.python.org/3/library/datetime.html#datetime.datetime.utcnow
    - https://docs.python.org/3/whatsnew/3.12.html#deprecated
    """

    code = "SVC306"
    name = "naive-utc-datetime"
    message = "naive UTC datetime: use an aware `datetime.now(timezone.utc)`"
    fix_safety = UNSAFE
    fast_path = FastPath(
        imports=("datetime",),
        tokens=(b"utcnow", b"utcfromtimestamp"),
        parts=Parts(via_imports=True),
        sketch=True,
    )
    in_migrations = (FollowUp("v2"),)
    examples = (
        Invalid("from datetime import datetime\nstarted = datetime.utcnow()\n",
                fixed="from datetime import datetime, timezone\nstarted = datetime.now(timezone.utc)\n"),
        Invalid("import datetime\nstamp = datetime.datetime.utcfromtimestamp(ts)\n",
                fixed="import datetime\nstamp = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)\n"),
        Invalid("import datetime as dt\nfrom datetime import timezone as tz\nnow = dt.datetime.utcnow()\n",
                fixed="import datetime as dt\nfrom datetime import timezone as tz\nnow = dt.datetime.now(tz.utc)\n"),
        Invalid("from datetime import datetime as DateTime\n\ndef age(ts):\n"
                "    return DateTime.utcnow() - DateTime.utcfromtimestamp(ts)\n",
                fixed="from datetime import datetime as DateTime, timezone\n\ndef age(ts):\n"
                "    return DateTime.now(timezone.utc) - DateTime.fromtimestamp(ts, tz=timezone.utc)\n", count=2),
        # `timezone` means pytz's function here: reported, not rewritten
        Invalid("from datetime import datetime\nfrom pytz import timezone\nnow = datetime.utcnow()\n"),
        # a reference, not a call: reported, no mechanical fix (the column would turn aware)
        Invalid("from datetime import datetime\nimport sqlalchemy as sa\n"
                "created = sa.Column(sa.DateTime, default=datetime.utcnow)\n"),
        # the aware value would meet a naive one a library returns: reported, not rewritten
        Invalid("from datetime import datetime\n\ndef stale(worker):\n"
                "    return datetime.utcnow() - worker.last_heartbeat\n"),
        Invalid("from datetime import datetime, timedelta\n\ndef expired(token, ttl):\n"
                "    cutoff = datetime.utcnow() - timedelta(seconds=ttl)\n"
                "    return token.issued_at < cutoff\n"),
        Invalid("from datetime import datetime, timedelta\n\ndef deadline(seconds):\n"
                "    now = datetime.utcnow()\n    return now + timedelta(seconds=seconds)\n",
                fixed="from datetime import datetime, timedelta, timezone\n\ndef deadline(seconds):\n"
                "    now = datetime.now(timezone.utc)\n    return now + timedelta(seconds=seconds)\n"),
        Valid("from datetime import datetime, timezone\nnow = datetime.now(timezone.utc)\n"),
        Valid("import datetime\nimport pandas as pd\nnow = pd.Timestamp.utcnow()\n"),
        Valid("import datetime\nimport arrow\nnow = arrow.utcnow()\n"),
        Valid("import datetime\n\nclass Clock:\n    def utcnow(self):\n        return self.now\n\nClock().utcnow()\n"),
    )

    def reset(self) -> None:
        self.callees: set = set()  # ids of the `func` of calls seen, to tell calls from references

    def _meets_naive(self, call: cst.Call) -> Optional[str]:
        """The code of a value that the datetime ``call`` makes meets in arithmetic or a comparison,
        in the same function, when that value is not known to be aware (an attribute, a call's
        result, a parameter); None when it meets none."""
        scope: cst.CSTNode = self.enclosing_function or self.file.module
        carriers: Set[str] = set()
        safe_names: Set[str] = set()
        # arithmetic first: in ``utcnow() - x.seen > limit`` the value meets ``x.seen``
        nodes = sorted(_own_nodes(scope), key=lambda n: not isinstance(n, cst.BinaryOperation))

        def carries(expr: cst.BaseExpression) -> bool:
            """``expr`` is the converted value, or made from it (``now - timedelta(…)``)."""
            if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, _MIXING):
                return carries(expr.left) or carries(expr.right)
            return expr is call or isinstance(expr, cst.Name) and expr.value in carriers

        module_level = [small for line in self.file.module.body if isinstance(line, cst.SimpleStatementLine)
                        for small in line.body] if scope is not self.file.module else []
        assignments = [(n.targets[0].target.value, n.value) for n in [*module_level, *nodes] if isinstance(n, cst.Assign)
                       and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name)]
        for _ in range(3):  # names bound to the converted value or to values made from it
            carriers.update(target for target, value in assignments if carries(value))
        safe_names.update(target for target, value in assignments if self._safe(value, set()))
        safe_names -= carriers

        for node in nodes:
            pairs = []
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _MIXING):
                pairs.append((node.left, node.right))
            elif isinstance(node, cst.Comparison):
                left = node.left
                for target in node.comparisons:
                    if not isinstance(target.operator, _NOT_MIXING):
                        pairs.append((left, target.comparator))
                    left = target.comparator
            for a, b in pairs:
                for mine, other in ((a, b), (b, a)):
                    if carries(mine) and not carries(other) and not self._safe(other, safe_names):
                        return cst.Module([]).code_for_node(other)
        return None

    def _safe(self, expr: cst.BaseExpression, safe_names: Set[str]) -> bool:
        """Whether ``expr`` may meet an aware datetime: a timedelta, an aware or converted datetime,
        a number, or a name bound to one of them in the function."""
        if isinstance(expr, cst.Name):
            return expr.value in safe_names
        if isinstance(expr, (cst.Integer, cst.Float)):
            return True
        if isinstance(expr, cst.BinaryOperation):
            return self._safe(expr.left, safe_names) and self._safe(expr.right, safe_names)
        if isinstance(expr, cst.Call) and isinstance(expr.func, (cst.Name, cst.Attribute)):
            name = self.qualified_name(expr.func)
            if name in UTCNOW or name in UTCFROMTIMESTAMP or name == "datetime.timedelta":
                return True
            if name == "datetime.datetime.now":
                return bool(expr.args)  # now(tz): aware
            if name == "datetime.datetime.fromtimestamp":
                return len(expr.args) > 1
            method = expr.func.attr.value if isinstance(expr.func, cst.Attribute) else None
            if method == "astimezone" or method == "replace" \
                    and any(a.keyword is not None and a.keyword.value == "tzinfo" for a in expr.args):
                return True
        return False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        # `Column(DateTime, default=datetime.utcnow)`: the callable is handed over, not called here
        if id(node) in self.callees or node.attr.value not in ("utcnow", "utcfromtimestamp"):
            return
        name = self.qualified_name(node)
        if name in UTCNOW or name in UTCFROMTIMESTAMP:
            self.report(node, message=f"`{node.attr.value}` passed as a callable makes naive UTC datetimes: "
                        "pass e.g. `lambda: datetime.now(timezone.utc)` (review: values become aware)")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        self.callees.add(id(func))
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("utcnow", "utcfromtimestamp"):
            return
        name = self.qualified_name(func)
        if name in UTCNOW:
            if node.args:
                return
            new_name, args = "now", [cst.Arg(value=cst.Name("UTC"))]
        elif name in UTCFROMTIMESTAMP:
            if len(node.args) != 1 or positional_count(node) != 1:
                self.report(node)
                return
            new_name = "fromtimestamp"
            args = [node.args[0].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                    cst.Arg(keyword=cst.Name("tz"), value=cst.Name("UTC"),
                            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                  whitespace_after=cst.SimpleWhitespace("")))]
        else:
            return
        found = self.file.names.reference_here("datetime.timezone", self.file.scope_stack)
        if found is None:
            self.report(node)
            return
        naive = self._meets_naive(node)
        if naive is not None:
            self.report(node, message=f"naive UTC datetime, not rewritten: the aware value would meet `{naive}` "
                        "in this function, which is not known to be aware (mixing them raises TypeError); "
                        "make both aware together")
            return
        timezone, imports = found
        utc = cst.parse_expression(f"{timezone}.utc")
        args[-1] = args[-1].with_changes(value=utc)
        new = node.with_changes(func=func.with_changes(attr=cst.Name(new_name)), args=args)
        self.report(node, fix=Fix.replace(node, new, safety=UNSAFE, add_imports=imports,
                                          description=f"use `{new_name}(...)` with `{timezone}.utc`"))


def _own_nodes(scope: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes of a function (or module) outside the functions, lambdas and classes in it."""
    stack = list(scope.children)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            stack.extend(node.children)

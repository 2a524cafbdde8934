"""SVC306: ``datetime.utcnow()`` / ``utcfromtimestamp()``, naive datetimes that mean UTC."""
from __future__ import annotations

import libcst as cst

from svcmod.rule import UNSAFE, FastPath, Fix, FollowUp, Invalid, Parts, Rule, Valid, positional_count

UTCNOW = frozenset({"datetime.datetime.utcnow"})
UTCFROMTIMESTAMP = frozenset({"datetime.datetime.utcfromtimestamp"})


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
        Valid("from datetime import datetime, timezone\nnow = datetime.now(timezone.utc)\n"),
        Valid("import datetime\nimport pandas as pd\nnow = pd.Timestamp.utcnow()\n"),
        Valid("import datetime\nimport arrow\nnow = arrow.utcnow()\n"),
        Valid("import datetime\n\nclass Clock:\n    def utcnow(self):\n        return self.now\n\nClock().utcnow()\n"),
    )

    def reset(self) -> None:
        self.callees: set = set()  # ids of the `func` of calls seen, to tell calls from references

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
        timezone, imports = found
        utc = cst.parse_expression(f"{timezone}.utc")
        args[-1] = args[-1].with_changes(value=utc)
        new = node.with_changes(func=func.with_changes(attr=cst.Name(new_name)), args=args)
        self.report(node, fix=Fix.replace(node, new, safety=UNSAFE, add_imports=imports,
                                          description=f"use `{new_name}(...)` with `{timezone}.utc`"))

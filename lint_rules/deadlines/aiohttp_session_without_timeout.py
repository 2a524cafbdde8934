"""SVC104: aiohttp sessions left on the five-minute default and timeouts with no total bound."""
from __future__ import annotations

from typing import Dict, Optional

import libcst as cst

from svcmod.rule import (
    UNSAFE,
    FastPath,
    Fix,
    FixStep,
    Invalid,
    Parts,
    Rule,
    Setting,
    Valid,
    argument,
    descendants,
    dotted,
    has_star_kwargs,
    is_none,
    keyword,
    positional_count,
    with_argument,
    with_keyword,
    without_keyword,
)

#: Session methods that take a per-request ``timeout=`` overriding the session's.
REQUEST_METHODS = frozenset({"request", "get", "post", "put", "patch", "delete", "head", "options", "ws_connect"})
SESSIONS = frozenset({"aiohttp.ClientSession", "aiohttp.client.ClientSession"})
TIMEOUTS = frozenset({"aiohttp.ClientTimeout", "aiohttp.client.ClientTimeout"})


class AiohttpSessionWithoutTimeout(Rule):
    """Checks for `aiohttp.ClientSession()` without `timeout=` and `ClientTimeout` without a total.

    ## Why is this bad?
    An `aiohttp.ClientSession` made without `timeout=` uses aiohttp's default of a 5-minute total
    per request: a peer that stops answering holds the request, and whatever awaits it, for five
    minutes, far beyond any deadline a service call has. `aiohttp.ClientTimeout(total=None)` (or a
    `ClientTimeout` that sets neither `total` nor `sock_read`) removes the bound altogether and a
    request can wait forever.

    `ClientSession(timeout=None)` is the same 5-minute default. A session whose requests all pass
    their own `timeout=` (every `session.get(...)`, `self.session.request(...)`, … on the name or
    attribute it was assigned to, in the outermost function or class around it) is not reported.
    Sessions made with `**kwargs` are skipped (the timeout may be inside).

    A session made with aiohttp's legacy `read_timeout=` (the total, despite its name) or
    `conn_timeout=` (the connection) is reported too: they are deprecated, gone in aiohttp 4, and
    aiohttp raises `ValueError: read_timeout and timeout parameters conflict` if `timeout=` is
    added beside them.

    ## Fix safety
    The fix adds `timeout=aiohttp.ClientTimeout(total=<timeout>)` (default: the project's
    `default-timeout`, 10 s), importing `ClientTimeout` if needed, or sets `total=<timeout>` on
    the `ClientTimeout`. It is unsafe: a request that used to take longer now raises
    `asyncio.TimeoutError`.

    Legacy timeouts are moved into the one `ClientTimeout`: `read_timeout=r, conn_timeout=c`
    becomes `timeout=ClientTimeout(total=r, connect=c)` (the project's timeout as the total when
    `read_timeout` is missing or None), never a `timeout=` beside them. A session that passes both
    `timeout=` and a legacy timeout (it fails when made) is reported without a fix.

    ## References
    - https://docs.aiohttp.org/en/stable/client_quickstart.html#timeouts
    """

    code = "SVC104"
    name = "aiohttp-session-without-timeout"
    message = "aiohttp request timeout not bounded by a deadline"
    fix_safety = UNSAFE
    fast_path = FastPath(
        imports=("aiohttp",),
        tokens=(b"ClientSession", b"ClientTimeout"),
        parts=Parts(via_imports=True),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deadlines"),)
    options = {"timeout": Setting("default-timeout")}
    examples = (
        Invalid("import aiohttp\n\nasync def main():\n    async with aiohttp.ClientSession() as session:\n        pass\n",
                fixed="import aiohttp\n\nasync def main():\n"
                "    async with aiohttp.ClientSession(\n"
                "        timeout=aiohttp.ClientTimeout(total=10)\n"
                "    ) as session:\n"
                "        pass\n"),
        Invalid("from aiohttp import ClientSession\nsession = ClientSession(headers=headers)\n",
                fixed="from aiohttp import ClientSession, ClientTimeout\n"
                "session = ClientSession(headers=headers, timeout=ClientTimeout(total=10))\n"),
        Invalid("import aiohttp as ah\nsession = ah.ClientSession(base_url)\n",
                fixed="import aiohttp as ah\nsession = ah.ClientSession(base_url, timeout=ah.ClientTimeout(total=2))\n",
                options={"timeout": 2}),
        Invalid("import aiohttp\ntimeout = aiohttp.ClientTimeout(total=None)\n",
                fixed="import aiohttp\ntimeout = aiohttp.ClientTimeout(total=10)\n"),
        Invalid("from aiohttp import ClientTimeout\ntimeout = ClientTimeout(connect=5)\n",
                fixed="from aiohttp import ClientTimeout\ntimeout = ClientTimeout(connect=5, total=10)\n"),
        Invalid(
            "import aiohttp\n\n"
            "class Crawler:\n"
            "    async def start(self):\n"
            "        self.session = aiohttp.ClientSession(raise_for_status=True)\n",
            fixed="import aiohttp\n\n"
            "class Crawler:\n"
            "    async def start(self):\n"
            "        self.session = aiohttp.ClientSession(\n"
            "            raise_for_status=True, timeout=aiohttp.ClientTimeout(total=10)\n"
            "        )\n"),
        Invalid("from aiohttp import ClientSession\na = ClientSession()\nb = ClientSession()\n",
                fixed="from aiohttp import ClientSession, ClientTimeout\n"
                "a = ClientSession(timeout=ClientTimeout(total=10))\nb = ClientSession(timeout=ClientTimeout(total=10))\n",
                count=2),
        Valid("import aiohttp\nsession = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))\n"),
        Invalid("import aiohttp\nsession = aiohttp.ClientSession(read_timeout=5, conn_timeout=2)\n",
                fixed="import aiohttp\nsession = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5, connect=2))\n"),
        Invalid("from aiohttp import ClientSession\nsession = ClientSession(\n    conn_timeout=3,\n    headers=h,\n)\n",
                fixed="from aiohttp import ClientSession, ClientTimeout\nsession = ClientSession(\n    headers=h,\n"
                "    timeout=ClientTimeout(total=10, connect=3),\n)\n"),
        Invalid("import aiohttp\nsession = aiohttp.ClientSession(read_timeout=5, timeout=aiohttp.ClientTimeout(total=9))\n"),
        Invalid("import aiohttp\nsession = aiohttp.client.ClientSession(timeout=None)\n",
                fixed="import aiohttp\nsession = aiohttp.client.ClientSession(timeout=aiohttp.ClientTimeout(total=10))\n"),
        Valid("import aiohttp\nsession = aiohttp.ClientSession(timeout=TIMEOUT)\n"),
        Valid("import aiohttp\nsession = aiohttp.ClientSession(**options)\n"),
        Valid("import aiohttp\n\nclass Transport:\n    async def send(self, url, timeout):\n"
              "        if self._session is None:\n            self._session = aiohttp.ClientSession()\n"
              "        return await self._session.request('GET', url, timeout=aiohttp.ClientTimeout(total=timeout))\n"),
        Valid("import aiohttp\ntimeout = aiohttp.ClientTimeout(sock_connect=5, sock_read=30)\n"),
        Valid("import aiohttp\ntimeout = aiohttp.ClientTimeout(60)\n"),
        Valid("import aiohttp\nfrom requests import Session as ClientSession\nClientSession()\n"),
        Valid("import aiohttp\nfrom sqlalchemy.orm import sessionmaker\nsession = sessionmaker()()\n"),
    )

    def reset(self) -> None:
        #: id of a call → what its result was assigned to (``session``, ``self._session``)
        self.targets: Dict[int, cst.BaseExpression] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self.targets[id(node.value)] = node.targets[0].target

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.targets[id(node.value)] = node.target

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.targets[id(node.item)] = node.asname.name

    def visit_Call(self, node: cst.Call) -> None:
        name = self.callee(node)
        if name in SESSIONS:
            self._session(node)
        elif name in TIMEOUTS:
            self._client_timeout(node)

    def _session(self, node: cst.Call) -> None:
        given = keyword(node, "timeout")
        if has_star_kwargs(node):
            return
        legacy = [arg for arg in (keyword(node, "read_timeout"), keyword(node, "conn_timeout")) if arg is not None]
        if legacy:
            self._legacy(node, given)
            return
        if given is not None and not is_none(given.value):
            return
        if given is None and self._every_request_has_a_timeout(self.targets.get(id(node))):
            return
        total = self.config["timeout"]
        client_timeout, imports = self.reference("aiohttp.ClientTimeout")
        fixed = with_keyword(node, "timeout", f"{client_timeout}(total={total!r})")
        self.report(node, message="aiohttp.ClientSession() without timeout= waits up to 5 minutes per request",
                    fix=Fix.replace(node, fixed, safety=UNSAFE, description=f"add a {total!r} s total timeout",
                                    add_imports=imports))

    def _legacy(self, node: cst.Call, given: Optional[cst.Arg]) -> None:
        """``read_timeout=``/``conn_timeout=``: moved into one ``ClientTimeout``, never doubled."""
        if given is not None:
            self.report(node, message="aiohttp.ClientSession() given both timeout= and read_timeout=/conn_timeout= "
                        "raises ValueError: keep one ClientTimeout")
            return
        read, connect = keyword(node, "read_timeout"), keyword(node, "conn_timeout")
        total = code_of(read.value) if read is not None and not is_none(read.value) else repr(self.config["timeout"])
        parts = [f"total={total}"]
        if connect is not None and not is_none(connect.value):
            parts.append(f"connect={code_of(connect.value)}")
        client_timeout, imports = self.reference("aiohttp.ClientTimeout")
        fixed = node
        for name in ("read_timeout", "conn_timeout"):
            if keyword(fixed, name) is not None:
                fixed = without_keyword(fixed, name)
        fixed = with_keyword(fixed, "timeout", f"{client_timeout}({', '.join(parts)})")
        self.report(node, message="aiohttp's read_timeout=/conn_timeout= are deprecated (gone in aiohttp 4): "
                    "one timeout=ClientTimeout(...)",
                    fix=Fix.replace(node, fixed, safety=UNSAFE, description="legacy timeouts moved into one "
                                    f"ClientTimeout({', '.join(parts)})", add_imports=imports))

    def _every_request_has_a_timeout(self, session: Optional[cst.BaseExpression]) -> bool:
        if session is None:
            return False
        stack = self.file.scope_stack
        around = stack[0] if stack else self.file.module
        made = [call for call in descendants(around)
                if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and call.func.attr.value in REQUEST_METHODS and _same(call.func.value, session)]
        return bool(made) and all(
            (arg := keyword(call, "timeout")) is not None and not is_none(arg.value) for call in made
        )

    def _client_timeout(self, node: cst.Call) -> None:
        # ClientTimeout(total=None, connect=None, sock_read=None, sock_connect=None, ceil_threshold=5)
        if has_star_kwargs(node) or positional_count(node) is None:
            return
        if not _unset(argument(node, "total", 0)) or not _unset(argument(node, "sock_read", 2)):
            return
        total = self.config["timeout"]
        fixed = with_argument(node, "total", repr(total), 0)
        self.report(node, message="aiohttp.ClientTimeout without total or sock_read never times out a read",
                    fix=Fix.replace(node, fixed, safety=UNSAFE, description=f"total={total!r}"))


def _same(one: cst.BaseExpression, other: cst.BaseExpression) -> bool:
    """The same expression, however spaced (``self . session`` is ``self.session``)."""
    name = dotted(one)
    return name == dotted(other) if name is not None else one.deep_equals(other)


def code_of(expr: cst.BaseExpression) -> str:
    return cst.Module(body=()).code_for_node(expr)


def _unset(arg: Optional[cst.Arg]) -> bool:
    return arg is None or is_none(arg.value)

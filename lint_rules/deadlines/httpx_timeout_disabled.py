"""SVC103: httpx calls and clients whose timeout was switched off with ``None``."""
from __future__ import annotations

from typing import Optional

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
    is_none,
    keyword,
    with_argument,
)

VERBS = ("request", "stream", "get", "options", "head", "post", "put", "patch", "delete")
CLIENTS = ("httpx.Client", "httpx.AsyncClient", "httpx._client.Client", "httpx._client.AsyncClient")
#: Callables whose ``timeout=`` keyword None means "wait forever".
TIMEOUT_KEYWORD = frozenset(
    [f"httpx.{verb}" for verb in VERBS]
    + list(CLIENTS)
    + [f"{client}.{verb}" for client in CLIENTS for verb in VERBS + ("build_request",)]
)
#: ``httpx.Timeout(timeout, *, connect, read, write, pool)``: the first argument is the default of
#: the four phases; it does not matter when all four are given.
TIMEOUT_CLASSES = frozenset({"httpx.Timeout", "httpx._config.Timeout"})
PHASES = ("connect", "read", "write", "pool")


class HttpxTimeoutDisabled(Rule):
    """Checks for httpx calls, clients and `httpx.Timeout` objects with the timeout set to `None`.

    ## Why is this bad?
    httpx gives every request a 5-second timeout unless told otherwise, which is a good default;
    `timeout=None` turns it off, and the request can then wait forever on a peer that stopped
    answering. The same goes for `httpx.Timeout(None)`, which disables every phase it does not set.
    Leaving the timeout out is fine and not reported.

    Found on the module functions (`httpx.get`, `httpx.stream`, …), on `Client`/`AsyncClient`
    and on their methods when the client object is in view.

    ## Fix safety
    The fix replaces `None` with `<timeout>` (default: the project's `default-timeout`, 10 s). It is
    unsafe: a request that used to wait longer now raises `httpx.TimeoutException`.

    ## References
    - https://www.python-httpx.org/advanced/timeouts/
    """

    code = "SVC103"
    name = "httpx-timeout-disabled"
    message = "httpx timeout disabled with None: the request can wait forever"
    fix_safety = UNSAFE
    fast_path = FastPath(
        imports=("httpx",),
        tokens=(b"None",),
        parts=Parts(via_imports=True),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deadlines"),)
    options = {"timeout": Setting("default-timeout")}
    examples = (
        Invalid("import httpx\nhttpx.get(url, timeout=None)\n",
                fixed="import httpx\nhttpx.get(url, timeout=10)\n"),
        Invalid("import httpx as hx\nclient = hx.Client(base_url=base, timeout=None)\n",
                fixed="import httpx as hx\nclient = hx.Client(base_url=base, timeout=10)\n"),
        Invalid("from httpx import Timeout\nlimits = Timeout(None)\n",
                fixed="from httpx import Timeout\nlimits = Timeout(10)\n"),
        Invalid("import httpx\ntimeouts = httpx.Timeout(timeout=None, connect=2.0)\n",
                fixed="import httpx\ntimeouts = httpx.Timeout(timeout=4, connect=2.0)\n", options={"timeout": 4}),
        Invalid(
            "import httpx\n\n"
            "class Api:\n"
            "    def __init__(self):\n"
            "        self.client = httpx.AsyncClient()\n\n"
            "    async def download(self, url):\n"
            "        async with self.client.stream('GET', url, timeout=None) as response:\n"
            "            return await response.aread()\n",
            fixed="import httpx\n\n"
            "class Api:\n"
            "    def __init__(self):\n"
            "        self.client = httpx.AsyncClient()\n\n"
            "    async def download(self, url):\n"
            "        async with self.client.stream('GET', url, timeout=10) as response:\n"
            "            return await response.aread()\n"),
        Invalid("import httpx\nwith httpx.Client() as client:\n    client.post(url, json=body, timeout=None)\n",
                fixed="import httpx\nwith httpx.Client() as client:\n    client.post(url, json=body, timeout=10)\n"),
        Valid("import httpx\nhttpx.get(url)\n"),
        Valid("import httpx\nhttpx.get(url, timeout=30.0)\n"),
        Valid("import httpx\nhttpx.Timeout(None, connect=1, read=5, write=5, pool=1)\n"),
        Valid("import httpx\nhttpx.Limits(max_connections=None)\n"),
        Valid("import httpx\ncache = {}\ncache.get(key, None)\n"),
        Valid("import httpx\nimport requests\nrequests.get(url, timeout=None, verify=None)\n"),
        Valid("import httpx\nclient = httpx.Client()\nclient.get(url, follow_redirects=None)\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        name = self.callee(node)
        if name is None:
            return
        if name in TIMEOUT_KEYWORD:
            given = keyword(node, "timeout")
        elif name in TIMEOUT_CLASSES:
            if all(not _is_unset(keyword(node, phase)) for phase in PHASES):
                return
            given = argument(node, "timeout", 0)
        else:
            return
        if given is None or not is_none(given.value):
            return
        timeout = self.config["timeout"]
        fixed = with_argument(node, "timeout", repr(timeout), 0 if name in TIMEOUT_CLASSES else None)
        self.report(node, fix=Fix.replace(node, fixed, safety=UNSAFE, description=f"timeout={timeout!r} instead of None"))


def _is_unset(arg: Optional[cst.Arg]) -> bool:
    """A phase of ``httpx.Timeout`` left to the default (absent) or given as None."""
    return arg is None or is_none(arg.value)

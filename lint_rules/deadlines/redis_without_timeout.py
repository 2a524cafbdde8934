"""SVC107: redis-py clients and connection pools whose sockets have no timeout."""
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
    has_star_kwargs,
    is_none,
    keyword,
    positional_count,
    with_argument,
)

#: Sync clients take ``(host, port, db, password, socket_timeout, socket_connect_timeout, …)``.
SYNC_CLIENTS = frozenset({"redis.Redis", "redis.StrictRedis", "redis.client.Redis", "redis.client.StrictRedis"})
#: Everything else takes the timeouts as keywords only.
KEYWORD_ONLY = frozenset({
    "redis.asyncio.Redis", "redis.asyncio.StrictRedis", "redis.asyncio.client.Redis",
    "redis.asyncio.client.StrictRedis", "redis.RedisCluster", "redis.cluster.RedisCluster",
    "redis.asyncio.RedisCluster", "redis.asyncio.cluster.RedisCluster",
    "redis.ConnectionPool", "redis.BlockingConnectionPool", "redis.connection.ConnectionPool",
    "redis.connection.BlockingConnectionPool", "redis.asyncio.ConnectionPool",
    "redis.asyncio.BlockingConnectionPool", "redis.asyncio.connection.ConnectionPool",
    "redis.asyncio.connection.BlockingConnectionPool",
})
#: ``from_url(url, **kwargs)``: the URL's query string may carry the timeouts too.
FROM_URL = frozenset(
    {"redis.from_url", "redis.utils.from_url", "redis.asyncio.from_url", "redis.asyncio.utils.from_url"}
    | {f"{cls}.from_url" for cls in SYNC_CLIENTS | KEYWORD_ONLY}
)
SLOTS = {"socket_timeout": 4, "socket_connect_timeout": 5}


class RedisWithoutTimeout(Rule):
    """Checks for redis-py clients and connection pools made without `socket_timeout`.

    ## Why is this bad?
    redis-py's sockets have no timeout by default: when the server (or a proxy, or the network in
    between) stops answering, every command on that connection blocks forever, and so does the
    worker that sent it. `socket_timeout` bounds each read and write; `socket_connect_timeout`
    bounds connecting (it falls back to `socket_timeout` when not given).

    Found on `redis.Redis`/`StrictRedis`, `redis.asyncio.Redis`, `RedisCluster`,
    `(Blocking)ConnectionPool` and their `from_url` forms. A client built on
    `connection_pool=` takes its timeouts from the pool and is not reported; nor is a `from_url`
    whose literal URL sets `socket_timeout`, nor a call passing `**kwargs`.

    ## Fix safety
    The fix adds `socket_timeout=<timeout>` and `socket_connect_timeout=<timeout>` where missing
    (default: the project's `default-timeout`, 10 s). It is unsafe: a command that used to wait
    longer (a blocking `BLPOP`, a slow `KEYS`) now raises `redis.TimeoutError`; blocking commands
    need a timeout above their own.

    ## References
    - https://redis.readthedocs.io/en/stable/connections.html
    """

    code = "SVC107"
    name = "redis-without-timeout"
    message = "redis client without socket_timeout can block forever"
    fix_safety = UNSAFE
    fast_path = FastPath(
        imports=("redis",),
        tokens=(b"Redis", b"from_url", b"ConnectionPool"),
        parts=Parts(
            via_imports=True,
            calls=tuple(sorted({name.rsplit(".", 1)[1] for name in SYNC_CLIENTS | KEYWORD_ONLY | FROM_URL})),
        ),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deadlines"),)
    options = {"timeout": Setting("default-timeout")}
    examples = (
        Invalid("import redis\ncache = redis.Redis(host='cache', port=6379)\n",
                fixed="import redis\ncache = redis.Redis(host='cache', port=6379, socket_timeout=10, "
                "socket_connect_timeout=10)\n"),
        Invalid("from redis import StrictRedis as R\nr = R.from_url(url, socket_timeout=None)\n",
                fixed="from redis import StrictRedis as R\nr = R.from_url(url, socket_timeout=2, "
                "socket_connect_timeout=2)\n", options={"timeout": 2}),
        Invalid("import redis.asyncio as aioredis\nclient = aioredis.from_url('redis://cache', socket_connect_timeout=1)\n",
                fixed="import redis.asyncio as aioredis\nclient = aioredis.from_url('redis://cache', "
                "socket_connect_timeout=1, socket_timeout=10)\n"),
        Invalid("import redis\npool = redis.ConnectionPool(host=host, max_connections=20)\n",
                fixed="import redis\npool = redis.ConnectionPool(host=host, max_connections=20, socket_timeout=10, "
                "socket_connect_timeout=10)\n"),
        Invalid(
            "from redis import Redis\n\n"
            "class Store:\n"
            "    def __init__(self, host):\n"
            "        self.redis = Redis(host)\n",
            fixed="from redis import Redis\n\n"
            "class Store:\n"
            "    def __init__(self, host):\n"
            "        self.redis = Redis(host, socket_timeout=10, socket_connect_timeout=10)\n"),
        Valid("import redis\nredis.Redis(host, 6379, 0, None, 5)\n"),
        Valid("import redis\nredis.Redis(host='cache', socket_timeout=0.5)\n"),
        Valid("import redis\nredis.Redis(connection_pool=pool)\n"),
        Valid("import redis\nredis.from_url('redis://cache:6379/0?socket_timeout=5')\n"),
        Valid("import redis\nredis.Redis(**settings)\n"),
        Valid("import redis\nclient = redis.Redis(host, socket_timeout=5)\nclient.get('key')\n"),
        Valid("import redis\nimport fakeredis\nfakeredis.FakeRedis()\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        name = self.callee(node)
        if name in SYNC_CLIENTS:
            slots = SLOTS
        elif name in KEYWORD_ONLY or name in FROM_URL:
            slots = {}
        else:
            return
        if has_star_kwargs(node) or positional_count(node) is None or keyword(node, "connection_pool") is not None:
            return
        if name in FROM_URL and _url_sets_timeout(node):
            return
        read = argument(node, "socket_timeout", slots.get("socket_timeout"))
        if read is not None and not is_none(read.value):
            return
        timeout = repr(self.config["timeout"])
        fixed = with_argument(node, "socket_timeout", timeout, slots.get("socket_timeout"))
        connect = argument(node, "socket_connect_timeout", slots.get("socket_connect_timeout"))
        if connect is None or is_none(connect.value):
            fixed = with_argument(fixed, "socket_connect_timeout", timeout, slots.get("socket_connect_timeout"))
        self.report(node, fix=Fix.replace(node, fixed, safety=UNSAFE,
                                          description=f"add socket timeouts of {timeout} s"))


def _url_sets_timeout(call: cst.Call) -> bool:
    url: Optional[cst.Arg] = argument(call, "url", 0)
    return url is not None and isinstance(url.value, cst.SimpleString) and "socket_timeout" in url.value.value

"""SVC107: redis-py clients and connection pools whose sockets have no timeout."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import libcst as cst

from svcmod.rule import (
    UNSAFE,
    FastPath,
    Fix,
    FixStep,
    Invalid,
    Rule,
    Setting,
    Valid,
    argument,
    dotted,
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
#: Commands that wait on the server for as long as they are told (0: forever).
BLOCKING_COMMANDS = frozenset({"blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop"})
#: Stream reads that block when given ``block=``.
STREAM_READS = frozenset({"xread", "xreadgroup"})
#: Job queues and brokers that hold a connection in a blocking read between jobs.
QUEUE_LIBRARIES = ("rq", "celery", "kombu")


@dataclass
class _Client:
    """A client or pool made in this file, and the fix it would get."""

    call: cst.Call
    names: Tuple[str, ...]  # how the file refers to it: ``conn``, ``self.redis``, ``client()``
    pool: Optional[str]  # for a client built on ``connection_pool=``: how the pool is referred to
    reported: bool
    slots: Dict[str, int]
    top_level: bool = False  # made at module level (or returned by a module-level function)
    is_pool: bool = False  # a connection pool (its clients are built on it elsewhere)


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

    A client the same file uses for blocking reads (`blpop`, `brpop`, `brpoplpush`, `blmove`,
    `bzpopmin`, `bzpopmax`, `xread`/`xreadgroup` with `block=`, a pub/sub `listen()` or
    `get_message(timeout=None)`) or hands to a job queue (rq, celery, kombu: an rq worker waits in
    `BLPOP` between jobs) must not get a read timeout shorter than that wait: it would make the
    worker quit when idle. Such a client is reported only without `socket_connect_timeout`, and the
    finding says why `socket_timeout` was left out. A file with a blocking read whose client cannot
    be told (`get_client().blpop(...)` from another module) counts all its clients as blocking.
    A client made at module level (or returned by a module-level function) is judged by its uses
    in the project's other modules too (the project index): `from jobs.connections import conn`
    then `conn.blpop(...)`, or `Worker(connection=conn)`, in another module. So is a pool, by the
    uses of the clients built on it, here or in another module (`queue =
    redis.Redis(connection_pool=QUEUE_POOL)` then `queue.blpop(...)`): the pool's timeouts are
    theirs.

    ## Fix safety
    The fix adds `socket_timeout=<timeout>` and `socket_connect_timeout=<timeout>` where missing
    (default: the project's `default-timeout`, 10 s); for a client used for blocking reads, only
    `socket_connect_timeout` (`health_check_interval` is not added: on a pub/sub connection it
    needs the reader to call `get_message` more often than the interval). It is unsafe: a command
    that used to wait longer (a slow `KEYS`, a blocking read svcmod did not see) now raises
    `redis.TimeoutError`.

    ## References
    - https://redis.readthedocs.io/en/stable/connections.html
    """

    code = "SVC107"
    name = "redis-without-timeout"
    message = "redis client without socket_timeout can block forever"
    fix_safety = UNSAFE
    # whole files only (no parts): whether a client blocks is seen anywhere in the file
    fast_path = FastPath(
        imports=("redis",),
        tokens=(b"Redis", b"from_url", b"ConnectionPool"),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deadlines"),)
    options = {"timeout": Setting("default-timeout")}
    examples = (
        Invalid("import redis\ncache = redis.Redis(host='cache')\n",
                fixed="import redis\ncache = redis.Redis(host='cache', socket_timeout=10, socket_connect_timeout=10)\n"),
        Invalid("from redis import StrictRedis as R\nr = R.from_url(url, socket_timeout=None)\n",
                fixed="from redis import StrictRedis as R\nr = R.from_url(url, socket_timeout=2, "
                "socket_connect_timeout=2)\n", options={"timeout": 2}),
        Invalid("import redis.asyncio as aioredis\nclient = aioredis.from_url('redis://cache', socket_connect_timeout=1)\n",
                fixed="import redis.asyncio as aioredis\nclient = aioredis.from_url('redis://cache', "
                "socket_connect_timeout=1, socket_timeout=10)\n"),
        Invalid("import redis\npool = redis.ConnectionPool(max_connections=20)\n",
                fixed="import redis\npool = redis.ConnectionPool(\n"
                "    max_connections=20, socket_timeout=10, socket_connect_timeout=10\n)\n"),
        # an rq worker waits in BLPOP between jobs: a read timeout would make it quit when idle
        Invalid("import redis\nfrom rq import Worker\n\nconn = redis.from_url(url)\n"
                "Worker(['default'], connection=conn).work()\n",
                fixed="import redis\nfrom rq import Worker\n\nconn = redis.from_url(url, socket_connect_timeout=10)\n"
                "Worker(['default'], connection=conn).work()\n"),
        Invalid("import redis\n\nclass Jobs:\n    def __init__(self):\n        self.redis = redis.Redis()\n\n"
                "    def next(self):\n        return self.redis.blpop('jobs', timeout=0)\n",
                fixed="import redis\n\nclass Jobs:\n    def __init__(self):\n"
                "        self.redis = redis.Redis(socket_connect_timeout=10)\n\n"
                "    def next(self):\n        return self.redis.blpop('jobs', timeout=0)\n"),
        Invalid(
            "from redis import Redis\n\n"
            "class Store:\n"
            "    def __init__(self, host):\n"
            "        self.redis = Redis(host)\n",
            fixed="from redis import Redis\n\n"
            "class Store:\n"
            "    def __init__(self, host):\n"
            "        self.redis = Redis(host, socket_timeout=10, socket_connect_timeout=10)\n"),
        # a client built on a pool reads through the pool's connections: its blocking reads are the pool's
        Invalid("import redis\nPOOL = redis.ConnectionPool(host='queue')\nqueue = redis.Redis(connection_pool=POOL)\n"
                "queue.blpop('jobs', timeout=0)\n",
                fixed="import redis\nPOOL = redis.ConnectionPool(host='queue', socket_connect_timeout=10)\n"
                "queue = redis.Redis(connection_pool=POOL)\nqueue.blpop('jobs', timeout=0)\n"),
        Valid("import redis\nredis.Redis(host, 6379, 0, None, 5)\n"),
        # the client takes its timeouts from the pool
        Valid("import redis\nPOOL = redis.ConnectionPool(host='cache', socket_timeout=5)\n"
              "cache = redis.Redis(connection_pool=POOL)\ncache.get('key')\n"),
        Valid("import redis\nPOOL = redis.ConnectionPool(host='queue', socket_connect_timeout=5)\n"
              "queue = redis.Redis(connection_pool=POOL)\nqueue.blpop('jobs', timeout=0)\n"),
        Valid("import redis\nredis.Redis(host='cache', socket_timeout=0.5)\n"),
        Valid("import redis\nredis.Redis(connection_pool=pool)\n"),
        Valid("import redis\nredis.from_url('redis://cache:6379/0?socket_timeout=5')\n"),
        Valid("import redis\nredis.Redis(**settings)\n"),
        Valid("import redis\nclient = redis.Redis(host, socket_timeout=5)\nclient.get('key')\n"),
        Valid("import redis\nimport fakeredis\nfakeredis.FakeRedis()\n"),
        Valid("import redis\nbus = redis.Redis(socket_connect_timeout=5)\nfor message in bus.pubsub().listen():\n"
              "    pass\n"),
    )

    def reset(self) -> None:
        self.clients: List[_Client] = []
        #: how the file refers to clients it reads from with a blocking command, and the reason
        self.blocking: Dict[str, str] = {}
        #: reasons for blocking reads whose client is not a plain name (all clients then count)
        self.untraced: List[str] = []
        self.handed: set = set()  # ids of constructor calls handed straight to a job queue
        self.listens = False  # a pub/sub listen() or get_message(timeout=None) somewhere
        self.pubsub_of: List[str] = []  # clients whose .pubsub() is taken
        self.targets: Dict[int, Tuple[str, ...]] = {}  # id(value) -> what it is assigned to

    def visit_Assign(self, node: cst.Assign) -> None:
        names = tuple(n for n in (_reference(t.target) for t in node.targets) if n is not None)
        self.targets[id(node.value)] = names

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = _reference(node.target)
        if node.value is not None and name is not None:
            self.targets[id(node.value)] = (name,)

    def visit_Return(self, node: cst.Return) -> None:
        function = self.enclosing_function
        if node.value is not None and function is not None:
            self.targets[id(node.value)] = (f"{function.name.value}()",)

    def visit_Call(self, node: cst.Call) -> None:
        self._blocking_use(node)
        name = self.callee(node)
        if name in SYNC_CLIENTS:
            slots = SLOTS
        elif name in KEYWORD_ONLY or name in FROM_URL:
            slots = {}
        else:
            return
        pool = keyword(node, "connection_pool")
        names = self.targets.get(id(node), ())
        reported = not (has_star_kwargs(node) or positional_count(node) is None or pool is not None
                        or name in FROM_URL and _url_sets_timeout(node))
        stack = self.file.scope_stack
        top_level = not stack or len(stack) == 1 and isinstance(stack[0], cst.FunctionDef)
        self.clients.append(_Client(node, names, _reference(pool.value) if pool is not None else None,
                                    reported, slots, top_level, "ConnectionPool" in name))

    def _blocking_use(self, node: cst.Call) -> None:
        """Remembers a blocking read, or a hand-over to a job queue, and whose client it is."""
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            why = None
            if method in BLOCKING_COMMANDS:
                why = f"blocking reads (`{method}`)"
            elif method in STREAM_READS and keyword(node, "block") is not None:
                why = f"blocking reads (`{method}` with `block=`)"
            elif method == "listen" and not node.args:
                self.listens = True
            elif method == "get_message":
                wait = argument(node, "timeout", 1)
                if wait is not None and is_none(wait.value):
                    self.listens = True
            elif method == "pubsub":
                owner = _reference(func.value)
                self.pubsub_of.append(owner if owner is not None else "")
            if why is not None:
                owner = _reference(func.value)
                if owner is None:
                    self.untraced.append(f"the file makes {why} on a client svcmod cannot trace")
                else:
                    self.blocking.setdefault(owner, f"this client is used for {why}")
        queue = self.callee(node)
        if queue is None or queue.split(".", 1)[0] not in QUEUE_LIBRARIES:
            return
        why = f"this client is handed to `{queue}`, which waits on it in blocking reads"
        for arg in node.args:
            if isinstance(arg.value, cst.Call):
                self.handed.add(id(arg.value))
                self.blocking.setdefault(f"#{id(arg.value)}", why)
            owner = _reference(arg.value)
            if owner is not None:
                self.blocking.setdefault(owner, why)

    def end_file(self) -> None:
        if self.listens:
            for owner in self.pubsub_of:
                if owner:
                    self.blocking.setdefault(owner, "this client is used for pub/sub reads that wait for messages")
                else:
                    self.untraced.append("the file makes pub/sub reads that wait for messages on a client "
                                         "svcmod cannot trace")
        # a client built on a pool blocks through that pool
        for client in self.clients:
            why = self._why_blocking(client)
            if why is not None and client.pool is not None:
                self.blocking.setdefault(client.pool, why)
        for client in self.clients:
            if client.reported:
                self._report(client, self._why_blocking(client))

    def _why_blocking(self, client: _Client) -> Optional[str]:
        for name in client.names + (f"#{id(client.call)}",):
            if name in self.blocking:
                return self.blocking[name]
        if client.top_level:
            for name in client.names:
                for module, use in sorted(self.uses_elsewhere(name)):
                    why = _blocking_elsewhere(use)
                    if why is not None:
                        if client.is_pool:  # the use is of a client it builds on the pool
                            why = why.replace("this client", "a client built on this pool")
                        return f"module {module} of the project {why}"
        return self.untraced[0] if self.untraced else None

    def _report(self, client: _Client, blocking: Optional[str]) -> None:
        node, slots = client.call, client.slots
        read = argument(node, "socket_timeout", slots.get("socket_timeout"))
        if read is not None and not is_none(read.value):
            return
        timeout = repr(self.config["timeout"])
        connect = argument(node, "socket_connect_timeout", slots.get("socket_connect_timeout"))
        connect_missing = connect is None or is_none(connect.value)
        if blocking is not None:
            if not connect_missing:
                return
            fixed = with_argument(node, "socket_connect_timeout", timeout, slots.get("socket_connect_timeout"))
            self.report(node, message=f"redis client without socket_connect_timeout can hang connecting; "
                        f"socket_timeout left out because {blocking}: a read timeout shorter than that wait "
                        "would break it",
                        fix=Fix.replace(node, fixed, safety=UNSAFE,
                                        description=f"add socket_connect_timeout={timeout} (no read timeout: "
                                        "blocking reads)"))
            return
        fixed = with_argument(node, "socket_timeout", timeout, slots.get("socket_timeout"))
        if connect_missing:
            fixed = with_argument(fixed, "socket_connect_timeout", timeout, slots.get("socket_connect_timeout"))
        self.report(node, fix=Fix.replace(node, fixed, safety=UNSAFE,
                                          description=f"add socket timeouts of {timeout} s"))


def _reference(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    """How code refers to a client: ``conn``, ``self.redis``, or ``client()`` for what a function
    of the file returns; None for anything else."""
    if isinstance(expr, cst.Call) and not expr.args:
        name = dotted(expr.func)
        return f"{name}()" if name is not None else None
    return dotted(expr) if expr is not None else None


def _blocking_elsewhere(use: str) -> Optional[str]:
    """Why a use another module makes of a client (as the project index records it) waits in
    blocking reads: ``.blpop(timeout)``, ``.xread(block,count)``, ``arg:rq.Worker``, …; else None."""
    if use.startswith("arg:"):
        callee = use[4:]
        if callee.split(".", 1)[0] in QUEUE_LIBRARIES:
            return f"hands this client to `{callee}`, which waits on it in blocking reads"
        return None
    if use == ".pubsub().listen()":
        return "uses this client for pub/sub reads that wait for messages"
    method, _, given = use[1:].partition("(")
    if method in BLOCKING_COMMANDS:
        return f"uses this client for blocking reads (`{method}`)"
    if method in STREAM_READS and "block" in given.rstrip(")").split(","):
        return f"uses this client for blocking reads (`{method}` with `block=`)"
    return None


def _url_sets_timeout(call: cst.Call) -> bool:
    url: Optional[cst.Arg] = argument(call, "url", 0)
    return url is not None and isinstance(url.value, cst.SimpleString) and "socket_timeout" in url.value.value

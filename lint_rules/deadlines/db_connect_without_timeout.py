"""SVC108: database connections with no connect or socket timeout."""
from __future__ import annotations

import math
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
    has_star_kwargs,
    is_none,
    keyword,
    with_keyword,
)

#: libpq clients: ``connect_timeout`` in whole seconds, also accepted inside the DSN string.
POSTGRES = frozenset({
    "psycopg2.connect", "psycopg2.pool.SimpleConnectionPool", "psycopg2.pool.ThreadedConnectionPool",
    "psycopg.connect", "psycopg.Connection.connect", "psycopg.AsyncConnection.connect",
})
#: MongoDB clients: ``timeoutMS`` (pymongo ≥ 4.2) or ``socketTimeoutMS``, also accepted in the URI.
MONGO = frozenset({
    "pymongo.MongoClient", "pymongo.mongo_client.MongoClient", "pymongo.AsyncMongoClient",
    "motor.motor_asyncio.AsyncIOMotorClient", "motor.motor_tornado.MotorClient",
})
MONGO_TIMEOUTS = ("timeoutms", "sockettimeoutms")


class DbConnectWithoutTimeout(Rule):
    """Checks for `psycopg2.connect` without `connect_timeout` and `MongoClient` without a socket timeout.

    ## Why is this bad?
    libpq waits for a connection as long as the operating system lets it (minutes when packets
    are dropped) unless `connect_timeout` is set, so a service stuck on an unreachable database
    holds its workers instead of failing fast. pymongo's `socketTimeoutMS` defaults to no limit:
    an operation on a server that stopped answering blocks forever. `timeoutMS` (pymongo 4.2+)
    bounds the whole operation.

    Found on `psycopg2.connect`, psycopg2's connection pools, `psycopg.connect` (psycopg 3),
    `pymongo.MongoClient`/`AsyncMongoClient` and Motor's clients. A literal DSN or URI that sets
    the timeout counts (`"dbname=app connect_timeout=5"`, `"mongodb://db/?socketTimeoutMS=5000"`);
    calls passing `**kwargs` are skipped. An explicit `None` is reported.

    An asynchronous psycopg2 connection (`async_=True`) is reported without a fix: libpq ignores
    `connect_timeout` while a connection is polled, so adding it would change nothing. What works
    is a deadline in the poll loop (`select` with a timeout around `conn.poll()`, closing the
    connection when it passes), or psycopg 3's `AsyncConnection.connect(..., connect_timeout=…)`,
    which enforces it itself.

    ## Fix safety
    The fix adds `connect_timeout=<timeout>` (whole seconds, rounded up) or
    `socketTimeoutMS=<timeout × 1000>` (understood by every pymongo version), with `<timeout>`
    the project's `connect-timeout` (when unset: `default-timeout`, 10 s). It is unsafe: a
    connection or operation that used to take longer now fails.

    ## References
    - https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-CONNECT-TIMEOUT
    - https://pymongo.readthedocs.io/en/stable/api/pymongo/mongo_client.html
    """

    code = "SVC108"
    name = "db-connect-without-timeout"
    message = "database connection without a timeout can block forever"
    fix_safety = UNSAFE
    fast_path = FastPath(
        imports=("psycopg2", "psycopg", "pymongo", "motor"),
        tokens=(b"connect", b"ConnectionPool", b"MongoClient", b"MotorClient"),
        parts=Parts(
            via_imports=True,
            calls=tuple(sorted({name.rsplit(".", 1)[1] for name in POSTGRES | MONGO})),
        ),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deadlines"),)
    options = {"timeout": Setting("connect-timeout")}
    examples = (
        Invalid("import psycopg2\nconn = psycopg2.connect(dbname='app', host=host)\n",
                fixed="import psycopg2\nconn = psycopg2.connect(dbname='app', host=host, connect_timeout=10)\n"),
        Invalid("from psycopg2 import connect as pg_connect\nconn = pg_connect(dsn)\n",
                fixed="from psycopg2 import connect as pg_connect\nconn = pg_connect(dsn, connect_timeout=3)\n",
                options={"timeout": 2.5}),
        Invalid("import pymongo\nclient = pymongo.MongoClient('mongodb://db:27017/')\n",
                fixed="import pymongo\nclient = pymongo.MongoClient('mongodb://db:27017/', socketTimeoutMS=10000)\n"),
        Invalid("from pymongo import MongoClient as Mongo\nclient = Mongo(host, socketTimeoutMS=None)\n",
                fixed="from pymongo import MongoClient as Mongo\nclient = Mongo(host, socketTimeoutMS=10000)\n"),
        Invalid(
            "import psycopg2.pool\n\n"
            "class Db:\n"
            "    def __init__(self, dsn):\n"
            "        self.pool = psycopg2.pool.ThreadedConnectionPool(1, 10, dsn)\n",
            fixed="import psycopg2.pool\n\n"
            "class Db:\n"
            "    def __init__(self, dsn):\n"
            "        self.pool = psycopg2.pool.ThreadedConnectionPool(1, 10, dsn, connect_timeout=10)\n"),
        Invalid("from motor.motor_asyncio import AsyncIOMotorClient\nclient = AsyncIOMotorClient(uri)\n",
                fixed="from motor.motor_asyncio import AsyncIOMotorClient\n"
                "client = AsyncIOMotorClient(uri, socketTimeoutMS=10000)\n"),
        # libpq ignores connect_timeout on asynchronous connections: reported, and no fix that does nothing
        Invalid("import psycopg2\nconn = psycopg2.connect(dsn, async_=True)\n"),
        Valid("import psycopg2\npsycopg2.connect(dsn, connect_timeout=5)\n"),
        Valid("import psycopg2\npsycopg2.connect('dbname=app connect_timeout=5')\n"),
        Valid("import pymongo\npymongo.MongoClient(uri, timeoutMS=2000)\n"),
        Valid("import pymongo\npymongo.MongoClient('mongodb://db/?socketTimeoutMS=5000')\n"),
        Valid("import pymongo\npymongo.MongoClient(uri, sockettimeoutms=5000)\n"),
        Valid("import psycopg2\npsycopg2.connect(**settings)\n"),
        Valid("import sqlite3\nimport psycopg2\nsqlite3.connect('app.db')\n"),
        Valid("import pymongo\nclient = pymongo.MongoClient(uri, timeoutMS=2000)\nclient.admin.command('ping')\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        name = self.callee(node)
        if name in POSTGRES:
            self._postgres(node)
        elif name in MONGO:
            self._mongo(node)

    def _postgres(self, node: cst.Call) -> None:
        if has_star_kwargs(node) or _literal_mentions(node, "connect_timeout"):
            return
        given = keyword(node, "connect_timeout")
        if given is not None and not is_none(given.value):
            return
        if _asynchronous(node):
            self.report(node, message=ASYNC_ADVICE)
            return
        seconds = max(1, math.ceil(self.config["timeout"]))  # libpq reads a whole number; 0 means wait forever
        self.report(node, message="database connection without connect_timeout waits as long as the OS lets it",
                    fix=Fix.replace(node, with_keyword(node, "connect_timeout", str(seconds)), safety=UNSAFE,
                                    description=f"add connect_timeout={seconds}"))

    def _mongo(self, node: cst.Call) -> None:
        if has_star_kwargs(node) or any(_literal_mentions(node, option) for option in MONGO_TIMEOUTS):
            return
        given = [arg for arg in node.args if arg.keyword is not None and arg.keyword.value.lower() in MONGO_TIMEOUTS]
        if any(not is_none(arg.value) for arg in given):
            return
        millis = int(round(self.config["timeout"] * 1000))
        keyword_name = given[0].keyword.value if given else "socketTimeoutMS"
        self.report(node, message="MongoClient without timeoutMS or socketTimeoutMS can block forever",
                    fix=Fix.replace(node, with_keyword(node, keyword_name, str(millis)), safety=UNSAFE,
                                    description=f"add {keyword_name}={millis}"))


ASYNC_ADVICE = ("asynchronous psycopg2 connection without a deadline: libpq ignores connect_timeout while "
                "it is polled; bound the poll loop (select with a timeout around conn.poll()) or use psycopg 3's "
                "AsyncConnection.connect(..., connect_timeout=...)")


def _asynchronous(call: cst.Call) -> bool:
    """True for ``psycopg2.connect(..., async_=True)`` (``async=`` before Python 3.7)."""
    for name in ("async_", "async"):
        given = keyword(call, name)
        if given is not None and not (isinstance(given.value, cst.Name) and given.value.value in ("False", "None")) \
                and not (isinstance(given.value, cst.Integer) and given.value.value == "0"):
            return True
    return False


def _literal_mentions(call: cst.Call, option: str) -> bool:
    """True when a literal string argument (a DSN or URI) sets ``option``."""
    for arg in call.args:
        value: Optional[cst.BaseExpression] = arg.value
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            text = cst.Module([]).code_for_node(value).lower()
            if option.lower() in text:
                return True
    return False

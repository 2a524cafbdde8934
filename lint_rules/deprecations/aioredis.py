"""SVC310: the abandoned ``aioredis`` package, whose 2.x API lives on as ``redis.asyncio``."""
from __future__ import annotations

from typing import List, Set, Tuple, Union

import libcst as cst

from svcmod.rule import SAFE, AddImport, FastPath, Fix, FixStep, Invalid, Requires, Rule, Valid, dotted

#: The public names of aioredis 2.x, all exported by ``redis.asyncio`` with the same meaning.
TOP_NAMES = frozenset({
    "AuthenticationError", "AuthenticationWrongNumberOfArgsError", "BlockingConnectionPool",
    "BusyLoadingError", "ChildDeadlockedError", "Connection", "ConnectionError", "ConnectionPool",
    "DataError", "from_url", "InvalidResponse", "PubSubError", "ReadOnlyError", "Redis", "RedisError",
    "ResponseError", "SSLConnection", "StrictRedis", "TimeoutError", "UnixDomainSocketConnection",
    "WatchError",
})
#: aioredis submodule → its redis-py home and the names known to exist in both (None: all).
SUBMODULES = {
    "exceptions": ("redis.exceptions", None),
    "client": ("redis.asyncio.client", frozenset({"Redis", "StrictRedis", "PubSub", "Pipeline", "Monitor"})),
    "connection": ("redis.asyncio.connection", frozenset({
        "Connection", "ConnectionPool", "BlockingConnectionPool", "SSLConnection", "UnixDomainSocketConnection"})),
    "lock": ("redis.asyncio.lock", frozenset({"Lock"})),
    "sentinel": ("redis.asyncio.sentinel", frozenset({
        "Sentinel", "SentinelConnectionPool", "SentinelManagedConnection"})),
    "utils": ("redis.asyncio.utils", frozenset({"from_url"})),
}
#: aioredis 1.x entry points: a different API that redis.asyncio does not have.
V1_NAMES = frozenset({
    "create_redis", "create_redis_pool", "create_pool", "create_connection", "create_sentinel",
    "create_sentinel_pool", "RedisConnection", "ConnectionsPool", "Channel", "MultiExecError",
    "PipelineError", "ChannelClosedError", "ConnectionClosedError", "PoolClosedError", "ReplyError",
    "GeoPoint", "GeoMember",
})

ImportNode = Union[cst.Import, cst.ImportFrom]


class Aioredis(Rule):
    """Checks for imports of `aioredis`.

    ## Why is this bad?
    `aioredis` is no longer maintained: its 2.x API was merged into redis-py 4.2 as
    `redis.asyncio`, and aioredis itself breaks on Python 3.11 (`TimeoutError` is defined twice in
    its exceptions module). New fixes and Redis features only land in `redis.asyncio`.

    ## Fix safety
    `import aioredis` becomes `from redis import asyncio as aioredis`, `from aioredis import X`
    becomes `from redis.asyncio import X` (`aioredis.exceptions` → `redis.exceptions`,
    `aioredis.client`/`connection`/`lock`/`sentinel` → `redis.asyncio.…` for their main classes).
    It is safe for aioredis 2.x code: `redis.asyncio` is the same code moved, with the same names.
    The fix is offered only when every name the file uses from aioredis exists in redis-py;
    aioredis 1.x code (`create_redis_pool`, `create_connection`, `Channel`, …) is a different API
    and is only reported, and so is every aioredis import of a file that uses it (the names
    both have, such as `Redis`, are used the 1.x way there). A migration replaces `aioredis` with
    `redis>=4.2` in the project's dependency manifests.

    ## References
    - https://github.com/aio-libs-abandoned/aioredis-py#-aioredis-is-now-in-redis-py-420rc1-
    - https://redis-py.readthedocs.io/en/stable/examples/asyncio_examples.html
    """

    code = "SVC310"
    name = "aioredis"
    message = "aioredis was folded into redis-py: use `redis.asyncio`"
    fix_safety = SAFE
    fast_path = FastPath(
        imports=("aioredis",),
        sketch=True,
    )
    requires = (Requires("redis>=4.2", replaces="aioredis"),)
    in_migrations = (FixStep("v2", "deprecations"),)
    examples = (
        Invalid("import aioredis\n\nredis = aioredis.from_url('redis://localhost')\n",
                fixed="from redis import asyncio as aioredis\n\nredis = aioredis.from_url('redis://localhost')\n"),
        Invalid("import aioredis as ar\nclient = ar.Redis(host='cache')\n",
                fixed="from redis import asyncio as ar\nclient = ar.Redis(host='cache')\n"),
        Invalid("from aioredis import Redis, from_url as connect\nfrom aioredis.exceptions import ConnectionError\n",
                fixed="from redis.asyncio import Redis, from_url as connect\nfrom redis.exceptions import ConnectionError\n",
                count=2),
        Invalid("from aioredis.client import Pipeline\n", fixed="from redis.asyncio.client import Pipeline\n"),
        Invalid("import json, aioredis\nclient = aioredis.from_url(url)\n",
                fixed="import json\nfrom redis import asyncio as aioredis\n\nclient = aioredis.from_url(url)\n"),
        # aioredis 1.x: a different API, reported only
        Invalid("import aioredis\n\nasync def main():\n    pool = await aioredis.create_redis_pool('redis://localhost')\n"),
        Invalid("from aioredis import create_redis\n"),
        Invalid("from aioredis import Redis\nfrom aioredis import create_redis_pool\n\n"
                "async def connect():\n    return Redis(await create_redis_pool('redis://cache'))\n", count=2),
        Invalid("import aioredis\nfrom aioredis import Redis\n\n"
                "async def connect():\n    return Redis(await aioredis.create_pool('redis://cache'))\n", count=2),
        Valid("from redis import asyncio as aioredis\nclient = aioredis.from_url(url)\n"),
        Valid("try:\n    from redis import asyncio as aioredis\nexcept ImportError:\n    import aioredis\n"),
        Valid("import redis.asyncio\nclient = redis.asyncio.Redis()\n"),
        Valid("import aioredis_cluster\nimport aiohttp\n"),
        Valid("import redis\n# import aioredis\nclient = redis.Redis()\n"),
    )

    def reset(self) -> None:
        self.imported: List[Tuple[ImportNode, cst.CSTNode]] = []  # (statement, alias or statement)
        self.used: Set[str] = set()  # qualified names used through `import aioredis`

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted(alias.name)
            if name == "aioredis" or (name or "").startswith("aioredis."):
                self.imported.append((node, alias))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) if node.module is not None and not node.relative else None
        if module == "aioredis" or (module or "").startswith("aioredis."):
            self.imported.append((node, node))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = self.qualified_name(node)
        if name is not None and name.startswith("aioredis."):
            self.used.add(name)

    def end_file(self) -> None:
        v1 = self._v1_names()
        for statement, where in self.imported:
            if any(name.startswith("redis.") for name in self.file.names.other_branch_imports(statement)):
                continue  # the fallback of a guarded import whose other branch is redis.asyncio already
            if v1:
                # a file written against aioredis 1.x: none of its imports is moved, not even the
                # names redis.asyncio also has, as the code around them speaks the 1.x API
                self.report(where, message=f"{self.message} (aioredis 1.x code, port it by hand: "
                            f"{', '.join(f'`{n}`' for n in v1)})")
                continue
            problem, new, imports = self._rewrite(statement, where)
            if new is None:
                self.report(where, message=f"{self.message} ({problem})" if problem else None)
            else:
                self.report(where, fix=Fix.replace(statement, new, safety=SAFE, add_imports=imports,
                                                   description="import from `redis.asyncio`"))

    def _v1_names(self) -> List[str]:
        """The aioredis 1.x names this file uses (``create_redis_pool``, ``aioredis.Channel``, …)."""
        found = [n for n in self.used if n.split(".")[1] in V1_NAMES]
        for statement, _ in self.imported:
            if isinstance(statement, cst.ImportFrom) and not isinstance(statement.names, cst.ImportStar):
                found += [f"aioredis.{name}" for alias in statement.names
                          if (name := dotted(alias.name) or "") in V1_NAMES]
        return sorted(set(found))

    def _rewrite(self, statement: ImportNode, where: cst.CSTNode):
        """(why it cannot be rewritten, or None; the rewritten statement, or None; imports to add)."""
        if isinstance(statement, cst.Import):
            alias = where
            assert isinstance(alias, cst.ImportAlias)
            if dotted(alias.name) != "aioredis":
                return "rewrite this import by hand", None, ()
            unknown = sorted(n for n in self.used if not _exists(n))
            if unknown:
                v1 = [n for n in unknown if n.split(".")[1] in V1_NAMES]
                kind = "aioredis 1.x API, port it by hand" if v1 else "not in redis.asyncio"
                return f"{kind}: {', '.join(f'`{n}`' for n in unknown)}", None, ()
            local = alias.asname.name.value if alias.asname is not None else "aioredis"
            if len(statement.names) > 1:  # `import json, aioredis`: the others stay
                others = [a for a in statement.names if a is not alias]
                others[-1] = others[-1].with_changes(comma=statement.names[-1].comma)
                return None, statement.with_changes(names=others), (AddImport("redis", "asyncio", local),)
            return None, cst.ImportFrom(
                module=cst.Name("redis"),
                names=[cst.ImportAlias(name=cst.Name("asyncio"), asname=cst.AsName(name=cst.Name(local)))],
                semicolon=statement.semicolon,
            ), ()
        module = dotted(statement.module) or ""
        if isinstance(statement.names, cst.ImportStar):
            return "star import", None, ()
        names = [dotted(a.name) or "" for a in statement.names]
        if module == "aioredis":
            target, known = "redis.asyncio", TOP_NAMES
        else:
            target, known = SUBMODULES.get(module[len("aioredis."):], (None, frozenset()))
            if target is None:
                return f"`{module}` has no redis-py counterpart", None, ()
        unknown = [n for n in names if known is not None and n not in known]
        if unknown:
            kind = "aioredis 1.x API, port it by hand" if set(unknown) & V1_NAMES else "not in redis.asyncio"
            return f"{kind}: {', '.join(f'`{n}`' for n in unknown)}", None, ()
        return None, statement.with_changes(module=cst.parse_expression(target)), ()


def _exists(qualified: str) -> bool:
    """Whether ``aioredis.<...>`` used as an attribute exists on ``redis.asyncio``."""
    parts = qualified.split(".")
    if parts[1] in TOP_NAMES:
        return True
    home = SUBMODULES.get(parts[1])
    if home is None or parts[1] == "exceptions":  # redis.asyncio has no `exceptions` attribute
        return False
    return len(parts) == 2 or parts[2] in home[1]

"""SVC105: gRPC calls made without a deadline."""
from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from svcmod.rule import UNSAFE, FastPath, FixStep, Invalid, Parts, Rule, Setting, Valid

#: What calling a stub method offers besides a plain call; all take ``timeout`` at slot 1.
CALL_STYLES = frozenset({"future", "with_call"})
CHANNELS = frozenset({
    "grpc.insecure_channel", "grpc.secure_channel", "grpc.intercept_channel", "grpc.Channel",
    "grpc.aio.insecure_channel", "grpc.aio.secure_channel", "grpc.aio.Channel",
})
MULTI_CALLABLES = frozenset({"unary_unary", "unary_stream", "stream_unary", "stream_stream"})
#: ``MultiCallable.__call__(request, timeout=None, metadata=None, …)``, also ``.future`` / ``.with_call``.
TIMEOUT_SLOT = 1


def stub_call(qualified: str) -> Optional[str]:
    """``FooStub.Bar`` for a call of ``<pkg>.foo_pb2_grpc.FooStub.Bar[.future|.with_call]``, else None.

    Generated stubs are often re-exported by a package of the client library (``etcd3.etcdrpc``,
    ``qdrant_client.grpc``), so any module path naming ``pb2``, ``grpc`` or ``rpc`` counts.
    """
    parts = qualified.split(".")
    for index in range(1, len(parts) - 1):
        name = parts[index]
        if name.endswith("Stub") and name[:1].isupper() and _generated_module(parts[:index]):
            rest = parts[index + 1:]
            if len(rest) == 1 or (len(rest) == 2 and rest[1] in CALL_STYLES):
                return ".".join(parts[index:])
            return None
    return None


def _generated_module(parts: Sequence[str]) -> bool:
    return any(marker in part.lower() for part in parts for marker in ("pb2", "grpc", "rpc"))


def channel_call(qualified: str) -> Optional[str]:
    """The method kind for a call of a multi-callable made by ``channel.unary_unary(...)`` etc."""
    channel, _, kind = qualified.rpartition(".")
    if kind in CALL_STYLES:
        channel, _, kind = channel.rpartition(".")
    if kind in MULTI_CALLABLES and channel in CHANNELS:
        return kind
    return None


class GrpcCallWithoutDeadline(Rule):
    """Checks for calls on gRPC stubs and channel multi-callables made without `timeout=`.

    ## Why is this bad?
    gRPC calls have no deadline unless the caller sets one: a server that never answers keeps the
    call, its thread or task, and the HTTP/2 stream open forever, and the client cannot tell slow
    from dead. gRPC's own guidance is to always set a deadline.

    Found on stub objects made from a generated `*_pb2_grpc` module, or from a package that
    re-exports one (a module path naming `pb2`, `grpc` or `rpc`: `etcd3.etcdrpc.KVStub`), kept as
    a local (`stub = FooStub(channel)`), as `self.stub` set in any method, or as an annotated
    parameter; with their `.future` and `.with_call` forms; and on multi-callables made by
    `channel.unary_unary(...)` and friends of `grpc` and `grpc.aio` channels. A timeout given positionally (`stub.Get(request, 5)`) counts;
    `timeout=None` is reported. Calls passing `**kwargs` are skipped.

    ## Options
    `timeout` sets the deadline the fix writes for this rule only, e.g.
    `[tool.svcmod.rules.SVC105] timeout = 2`.

    ## Fix safety
    The fix adds `timeout=<timeout>` (default: the project's `default-timeout`, 10 s). It is
    unsafe: a call that used to take longer now fails with `DEADLINE_EXCEEDED`.

    ## References
    - https://grpc.io/docs/guides/deadlines/
    """

    code = "SVC105"
    name = "grpc-call-without-deadline"
    message = "gRPC call without a deadline can wait forever"
    fix_safety = UNSAFE
    fast_path = FastPath(
        tokens=(b"grpc",),
        parts=Parts(),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deadlines"),)
    options = {"timeout": Setting("default-timeout")}
    examples = (
        Invalid("import grpc\nfrom users import users_pb2_grpc\n"
                "channel = grpc.insecure_channel(target)\n"
                "stub = users_pb2_grpc.UsersStub(channel)\n"
                "reply = stub.GetUser(request)\n",
                fixed="import grpc\nfrom users import users_pb2_grpc\n"
                "channel = grpc.insecure_channel(target)\n"
                "stub = users_pb2_grpc.UsersStub(channel)\n"
                "reply = stub.GetUser(request, timeout=10)\n"),
        Invalid("from users.users_pb2_grpc import UsersStub as Users\n"
                "stub = Users(channel)\nfuture = stub.GetUser.future(request, None)\n",
                fixed="from users.users_pb2_grpc import UsersStub as Users\n"
                "stub = Users(channel)\nfuture = stub.GetUser.future(request, 2)\n",
                options={"timeout": 2}),
        Invalid(
            "import grpc\nimport orders_pb2_grpc\n\n"
            "class OrdersClient:\n"
            "    def __init__(self, target):\n"
            "        self.stub = orders_pb2_grpc.OrdersStub(grpc.aio.insecure_channel(target))\n\n"
            "    async def place(self, order):\n"
            "        return await self.stub.Place(order, metadata=self.metadata)\n",
            fixed="import grpc\nimport orders_pb2_grpc\n\n"
            "class OrdersClient:\n"
            "    def __init__(self, target):\n"
            "        self.stub = orders_pb2_grpc.OrdersStub(grpc.aio.insecure_channel(target))\n\n"
            "    async def place(self, order):\n"
            "        return await self.stub.Place(order, metadata=self.metadata, timeout=10)\n"),
        Invalid("from . import orders_pb2_grpc\n\n"
                "def place(stub: orders_pb2_grpc.OrdersStub, order):\n"
                "    response, call = stub.Place.with_call(order, timeout=None)\n",
                fixed="from . import orders_pb2_grpc\n\n"
                "def place(stub: orders_pb2_grpc.OrdersStub, order):\n"
                "    response, call = stub.Place.with_call(order, timeout=10)\n"),
        Invalid("import grpc\nchannel = grpc.secure_channel(target, credentials)\n"
                "get_user = channel.unary_unary('/users.Users/GetUser')\nget_user(request)\n",
                fixed="import grpc\nchannel = grpc.secure_channel(target, credentials)\n"
                "get_user = channel.unary_unary('/users.Users/GetUser')\nget_user(request, timeout=10)\n"),
        Valid("import users_pb2_grpc\nstub = users_pb2_grpc.UsersStub(channel)\nstub.GetUser(request, timeout=5)\n"),
        Valid("import users_pb2_grpc\nstub = users_pb2_grpc.UsersStub(channel)\nstub.GetUser(request, 5)\n"),
        Valid("import users_pb2_grpc\nstub = users_pb2_grpc.UsersStub(channel)\nstub.GetUser(request, **options)\n"),
        Valid("import users_pb2\nrequest = users_pb2.GetUserRequest(id=1)\nrequest.SerializeToString()\n"),
        Valid("import grpc\nfrom unittest.mock import MagicStub\nstub = MagicStub()\nstub.GetUser(request)\n"),
        Invalid("import grpc\nfrom etcd3 import etcdrpc\nkv = etcdrpc.KVStub(grpc.insecure_channel(target))\nkv.Range(request)\n",
                fixed="import grpc\nfrom etcd3 import etcdrpc\nkv = etcdrpc.KVStub(grpc.insecure_channel(target))\n"
                "kv.Range(request, timeout=10)\n"),
        Valid("import users_pb2_grpc\nstub = users_pb2_grpc.UsersStub(channel)\n"
              "stub.GetUser.future(request, timeout=5).result()\n"),
        Valid("import grpc\nchannel = grpc.insecure_channel(target)\nchannel.close()\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, (cst.Attribute, cst.Name)):
            name = self.qualified_name(func)
            if name is None and isinstance(func, cst.Name):
                name = self.created_by(func)
        elif isinstance(func, cst.Call):
            name = self.created_by(func)
        else:
            return
        if name is None:
            return
        what = stub_call(name)
        if what is None:
            kind = channel_call(name)
            if kind is None:
                return
            if isinstance(func, cst.Attribute) and name.rpartition(".")[2] in MULTI_CALLABLES:
                return  # `channel.unary_unary(path)` makes the multi-callable; calling that is the RPC
            what = f"channel.{kind}"
        self.report_missing_timeout(node, TIMEOUT_SLOT, f"gRPC call {what}() without a deadline can wait forever")

"""SVC312: ``ssl.wrap_socket()``, removed in Python 3.12."""
from __future__ import annotations

import libcst as cst

from svcmod.rule import FastPath, FollowUp, Invalid, Parts, Rule, Valid, dotted

WRAP_SOCKET = "ssl.wrap_socket"


class SslWrapSocket(Rule):
    """Checks for `ssl.wrap_socket()`.

    ## Why is this bad?
    `ssl.wrap_socket()` was deprecated in Python 3.7 and removed in 3.12 (`AttributeError`). It
    also never verified certificates or host names unless told to: the replacement,
    `ssl.create_default_context().wrap_socket(sock, server_hostname=host)`, does both by default.
    `SSLContext.wrap_socket` (a method of a context object) is the supported API and is not
    reported.

    ## Fix safety
    No fix: the replacement verifies certificates where the old call did not, and mapping
    `keyfile`/`certfile`/`ca_certs`/`cert_reqs`/`ssl_version` onto a context needs a person to
    decide what the connection should trust.

    ## References
    - https://docs.python.org/3/whatsnew/3.12.html#ssl
    - https://docs.python.org/3/library/ssl.html#ssl.SSLContext.wrap_socket
    """

    code = "SVC312"
    name = "ssl-wrap-socket"
    message = ("`ssl.wrap_socket()` was removed in Python 3.12: use "
               "`ssl.create_default_context().wrap_socket(sock, server_hostname=...)`")
    fast_path = FastPath(
        imports=("ssl",),
        tokens=(b"wrap_socket",),
        parts=Parts(via_imports=True),
        sketch=True,
    )
    in_migrations = (FollowUp("v2"),)
    examples = (
        Invalid("import ssl\nsecure = ssl.wrap_socket(sock, ca_certs='ca.pem', cert_reqs=ssl.CERT_REQUIRED)\n"),
        Invalid("import ssl as _ssl\nconn = _ssl.wrap_socket(raw)\n"),
        Invalid("from ssl import wrap_socket\nconn = wrap_socket(raw, keyfile=key, certfile=cert)\n", count=2),
        Invalid("import ssl\n\nclass Conn:\n    wrap = staticmethod(ssl.wrap_socket)\n"),
        Valid("import ssl\ncontext = ssl.create_default_context()\nconn = context.wrap_socket(raw, server_hostname=host)\n"),
        Valid("import ssl\n\ndef connect(context: ssl.SSLContext):\n    return context.wrap_socket(raw)\n"),
        Valid("import ssl\nfrom gevent import ssl as gssl\ngssl.SSLContext().wrap_socket(raw)\n"),
        Valid("import ssl\nimport eventlet.green.ssl as essl\nconn = self.ctx.wrap_socket(raw)\n"),
    )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "wrap_socket" and self.qualified_name(node) == WRAP_SOCKET:
            self.report(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or dotted(node.module) != "ssl":
            return
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if dotted(alias.name) == "wrap_socket":
                self.report(alias)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and self.qualified_name(node.func) == WRAP_SOCKET:
            self.report(node)

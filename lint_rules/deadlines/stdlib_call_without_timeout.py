"""SVC102: standard-library network calls and clients that can wait forever."""
from __future__ import annotations

import libcst as cst

from svcmod.lint_rules.deadlines.caller_chose_no_timeout import CallerChoseNoTimeout
from svcmod.rule import UNSAFE, FastPath, FixStep, Invalid, Parts, Rule, Setting, Valid

#: Callable → index of its ``timeout`` parameter, read with ``inspect.signature`` on Python 3.9–3.11.
#: Python 3.12 removed the ``keyfile``/``certfile`` parameters of the TLS variants and made their
#: later parameters keyword-only, so a timeout given at these slots is always the 3.9–3.11 one.
TIMEOUT_SLOTS = {
    "urllib.request.urlopen": 2,  # urlopen(url, data=None, timeout=...)
    "urllib.request.build_opener.open": 2,  # OpenerDirector.open(fullurl, data=None, timeout=...)
    "urllib.request.OpenerDirector.open": 2,
    "http.client.HTTPConnection": 2,  # (host, port=None, timeout=...)
    "http.client.HTTPSConnection": 4,  # (host, port=None, key_file=None, cert_file=None, timeout=...)
    "socket.create_connection": 1,  # (address, timeout=...)
    "smtplib.SMTP": 3,  # (host='', port=0, local_hostname=None, timeout=...)
    "smtplib.SMTP_SSL": 5,  # (host, port, local_hostname, keyfile, certfile, timeout=...)
    "smtplib.LMTP": 4,  # (host='', port=2003, local_hostname=None, source_address=None, timeout=...)
    "ftplib.FTP": 4,  # (host='', user='', passwd='', acct='', timeout=...)
    "ftplib.FTP_TLS": 7,  # (host, user, passwd, acct, keyfile, certfile, context, timeout=...)
    "imaplib.IMAP4": 2,  # (host='', port=143, timeout=None)
    "imaplib.IMAP4_SSL": 5,  # (host, port, keyfile, certfile, ssl_context, timeout=None)
    "poplib.POP3": 2,  # (host, port=110, timeout=...)
    "poplib.POP3_SSL": 4,  # (host, port, keyfile, certfile, timeout=...)
}

#: Made without a host, these do not connect: ``connect(host, port, timeout)`` does, later.
HOSTLESS_OK = frozenset({"ftplib.FTP", "ftplib.FTP_TLS"})


class StdlibCallWithoutTimeout(CallerChoseNoTimeout, Rule):
    """Checks for standard-library network calls and clients made without a timeout.

    ## Why is this bad?
    `urllib.request.urlopen`, `http.client`, `socket.create_connection`, `smtplib`, `ftplib`,
    `imaplib` and `poplib` use the process-wide socket default when no timeout is given, and that
    default is "block forever" unless something called `socket.setdefaulttimeout`. A peer that
    accepts the connection and then stops answering holds the calling thread for good.

    A timeout given positionally counts (`urlopen(url, data, 5)`, `HTTPConnection(host, port, 5)`,
    `create_connection(address, 5)`); the slots are those of Python 3.9–3.11, where the TLS
    variants still take `keyfile`/`certfile` positionally. `timeout=None` is reported: it disables
    the timeout explicitly. Calls passing `*args` or `**kwargs` are skipped, and so are calls in
    the branch where the caller's own timeout is None (`if timeout is None: ...`): that code waits
    forever because it was asked to. An `ftplib.FTP()` made without a host does not connect; its
    `connect(host, port, timeout)` does, so it is not reported.

    ## Fix safety
    The fix adds `timeout=<timeout>` (default: the project's `default-timeout`, 10 s), or replaces
    the `None`. It is unsafe: an operation that used to wait longer now raises `TimeoutError`
    (`socket.timeout`).

    ## References
    - https://docs.python.org/3/library/urllib.request.html#urllib.request.urlopen
    - https://docs.python.org/3/library/socket.html#socket.setdefaulttimeout
    """

    code = "SVC102"
    name = "stdlib-call-without-timeout"
    message = "network call without a timeout can block forever"
    fix_safety = UNSAFE
    fast_path = FastPath(
        imports=("urllib", "http", "socket", "smtplib", "ftplib", "imaplib", "poplib"),
        tokens=(b"urlopen", b"build_opener", b"OpenerDirector", b"HTTPConnection", b"HTTPSConnection",
                b"create_connection", b"SMTP", b"LMTP", b"FTP", b"IMAP4", b"POP3"),
        parts=Parts(
            via_imports=True,
            calls=tuple(sorted({name.rsplit(".", 1)[1] for name in TIMEOUT_SLOTS})),
        ),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deadlines"),)
    options = {"timeout": Setting("default-timeout")}
    examples = (
        Invalid("import urllib.request\nurllib.request.urlopen('https://example.com')\n",
                fixed="import urllib.request\nurllib.request.urlopen('https://example.com', timeout=10)\n"),
        Invalid("from urllib.request import urlopen as fetch\nfetch(url, body)\n",
                fixed="from urllib.request import urlopen as fetch\nfetch(url, body, timeout=10)\n"),
        Invalid("import http.client as hc\nconn = hc.HTTPSConnection(host, 443)\n",
                fixed="import http.client as hc\nconn = hc.HTTPSConnection(host, 443, timeout=10)\n"),
        Invalid("import socket\nsock = socket.create_connection((host, port), None)\n",
                fixed="import socket\nsock = socket.create_connection((host, port), 3)\n", options={"timeout": 3}),
        Invalid("from smtplib import SMTP\nwith SMTP('mail.example.com', timeout=None) as smtp:\n    pass\n",
                fixed="from smtplib import SMTP\nwith SMTP('mail.example.com', timeout=10) as smtp:\n    pass\n"),
        Invalid(
            "import ftplib\n\n"
            "class Mirror:\n"
            "    def __init__(self, host):\n"
            "        self.ftp = ftplib.FTP(host)\n",
            fixed="import ftplib\n\n"
            "class Mirror:\n"
            "    def __init__(self, host):\n"
            "        self.ftp = ftplib.FTP(host, timeout=10)\n"),
        Invalid("import urllib.request\nopener = urllib.request.build_opener(handler)\nopener.open(url)\n",
                fixed="import urllib.request\nopener = urllib.request.build_opener(handler)\n"
                "opener.open(url, timeout=10)\n"),
        Invalid("import imaplib, poplib\nimaplib.IMAP4_SSL(host)\npoplib.POP3(host, 110)\n",
                fixed="import imaplib, poplib\nimaplib.IMAP4_SSL(host, timeout=10)\npoplib.POP3(host, 110, timeout=10)\n",
                count=2),
        Valid("import urllib.request\nurllib.request.urlopen(url, None, 5)\n"),
        Valid("import http.client\nhttp.client.HTTPConnection('example.com', 80, 5)\n"),
        Valid("import socket\nsocket.create_connection(address, timeout)\n"),
        Valid("import smtplib\nsmtplib.SMTP(host, **options)\n"),
        Valid("import urllib.parse\nfrom vendor.http import urlopen\nurlopen(url)\n"),
        Valid("import socket\nsock = socket.socket()\nsock.connect(address)\n"),
        Valid("import urllib.parse\nurllib.parse.urlparse(url)\n"),
        Valid("import webbrowser\nwebbrowser.open(url)\n"),
        Valid("import ftplib\nftp = ftplib.FTP()\nftp.connect(host, port, timeout)\n"),
        Valid("import socket\n\ndef connect(address, timeout=None):\n    if timeout is not None:\n"
              "        return socket.create_connection(address, timeout)\n    return socket.create_connection(address)\n"),
    )

    def reset(self) -> None:
        self.reset_caller_choice()

    def visit_Call(self, node: cst.Call) -> None:
        name = self.callee(node)
        slot = TIMEOUT_SLOTS.get(name) if name is not None else None
        if slot is None:
            return
        if self.caller_chose_no_timeout or (name in HOSTLESS_OK and not node.args):
            return
        self.report_missing_timeout(node, slot, f"{name.rsplit('.', 1)[-1]}() without a timeout can block forever")

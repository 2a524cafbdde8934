"""SVC101: requests calls that can wait forever."""
from __future__ import annotations

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
    descendants,
    has_star_kwargs,
    is_none,
    keyword,
    positional_count,
    with_keyword,
)

METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
SESSIONS = ("requests.Session", "requests.session", "requests.sessions.Session", "requests.sessions.session")
FUNCTIONS = frozenset(f"requests.{m}" for m in METHODS) | frozenset(f"requests.api.{m}" for m in METHODS)
#: ``Session.send(prepared, **kwargs)`` sends a prepared request: it takes ``timeout=`` too
SESSION_METHODS = frozenset(f"{s}.{m}" for s in SESSIONS for m in (*METHODS, "send"))
#: ``Session.request(method, url, params, data, headers, cookies, files, auth, timeout, …)``
SESSION_REQUEST_TIMEOUT_SLOT = 9


class RequestsWithoutTimeout(Rule):
    """Checks for `requests` calls made without a timeout.

    ## Why is this bad?
    `requests` has no default timeout: a call to a peer that accepts the connection but never
    answers blocks the calling thread forever. In a service, one slow dependency then holds every
    worker thread and the outage spreads upstream. `timeout=None` says the same thing explicitly.

    Calls on `requests.Session` objects are found too (`send` included), whether the session is a
    local variable, a `with requests.Session() as s` target, an annotated parameter, `self.session`
    set in any method, the default of `session or requests.Session()`, an instance of a subclass that
    defines no method of its own besides special ones like `__init__`, or, through the project index,
    a session, subclass or function returning a session of another module of the project. A call that passes `**kwargs` is reported without a fix (the timeout may be inside,
    and adding one could pass it twice) unless the code around it visibly puts a `"timeout"` key
    in a dict (`kwargs.setdefault("timeout", 5)`, `{"timeout": 5}`, `dict(timeout=5)`): the
    outermost function or class holding the call is searched, or the module at module level.
    Set the option `star-kwargs = "skip"` to leave every `**kwargs` call alone.

    ## Fix safety
    The fix adds `timeout=<timeout>` (default: the project's `default-timeout`, 10 s). It is
    unsafe: a request that used to wait longer than that now raises `requests.Timeout`.

    ## References
    - https://requests.readthedocs.io/en/latest/user/advanced/#timeouts
    """

    code = "SVC101"
    name = "requests-without-timeout"
    message = "requests call without a timeout can hang forever"
    fix_safety = UNSAFE
    fast_path = FastPath(
        imports=("requests",),
        parts=Parts(
            calls=(*METHODS, "send"),
            context=(b"timeout",),  # a timeout key set elsewhere in the class or module
        ),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deadlines"),)
    options = {"timeout": Setting("default-timeout"), "star-kwargs": "report"}
    choices = {"star-kwargs": ("report", "skip")}
    examples = (
        Invalid("import requests\nrequests.get('https://api.example.com/users')\n",
                fixed="import requests\nrequests.get('https://api.example.com/users', timeout=10)\n"),
        Invalid("import requests as rq\nrq.post(url, json=body, timeout=None)\n",
                fixed="import requests as rq\nrq.post(url, json=body, timeout=10)\n"),
        Invalid("from requests import get as fetch\nfetch(url)\n",
                fixed="from requests import get as fetch\nfetch(url, timeout=10)\n"),
        Invalid("import requests\ns = requests.Session()\ns.put(url, data=payload)\n",
                fixed="import requests\ns = requests.Session()\ns.put(url, data=payload, timeout=10)\n"),
        Invalid("import requests\nwith requests.Session() as session:\n    session.request('GET', url)\n",
                fixed="import requests\nwith requests.Session() as session:\n    session.request('GET', url, timeout=10)\n"),
        Invalid(
            "import requests\n\n"
            "class Client:\n"
            "    def fetch(self, path):\n"
            "        return self.http.get(self.base + path)\n\n"
            "    def __init__(self, base):\n"
            "        self.base = base\n"
            "        self.http = requests.Session()\n",
            fixed="import requests\n\n"
            "class Client:\n"
            "    def fetch(self, path):\n"
            "        return self.http.get(self.base + path, timeout=10)\n\n"
            "    def __init__(self, base):\n"
            "        self.base = base\n"
            "        self.http = requests.Session()\n"),
        Invalid("import requests\n\ndef fetch(s: requests.Session):\n    return s.head(url)\n",
                fixed="import requests\n\ndef fetch(s: requests.Session):\n    return s.head(url, timeout=3)\n",
                options={"timeout": 3}),
        Invalid("import requests\nrequests.get(\n    url,\n    headers=headers,\n)\n",
                fixed="import requests\nrequests.get(\n    url,\n    headers=headers,\n    timeout=10,\n)\n"),
        Invalid("import requests\n\ndef send(prepared, proxies):\n    with requests.Session() as session:\n"
                "        return session.send(prepared, proxies=proxies)\n",
                fixed="import requests\n\ndef send(prepared, proxies):\n    with requests.Session() as session:\n"
                      "        return session.send(prepared, proxies=proxies, timeout=10)\n"),
        Invalid("import requests\n\nclass ApiSession(requests.Session):\n    def __init__(self, base):\n"
                "        super().__init__()\n        self.base = base\n\n"
                "def call(method, url):\n    return ApiSession('https://api').request(method, url)\n",
                fixed="import requests\n\nclass ApiSession(requests.Session):\n    def __init__(self, base):\n"
                      "        super().__init__()\n        self.base = base\n\n"
                      "def call(method, url):\n    return ApiSession('https://api').request(method, url, timeout=10)\n"),
        Invalid("import requests\n\nclass Client:\n    def __init__(self, session=None):\n"
                "        self.http = session if session is not None else requests.session()\n\n"
                "    def fetch(self, url):\n        return self.http.get(url)\n",
                fixed="import requests\n\nclass Client:\n    def __init__(self, session=None):\n"
                      "        self.http = session if session is not None else requests.session()\n\n"
                      "    def fetch(self, url):\n        return self.http.get(url, timeout=10)\n"),
        Invalid("import requests\n\ndef fetch(url, session=None):\n    http = session or requests.Session()\n"
                "    return http.get(url)\n",
                fixed="import requests\n\ndef fetch(url, session=None):\n    http = session or requests.Session()\n"
                      "    return http.get(url, timeout=10)\n"),
        # a subclass with methods of its own may set the timeout in them (``request`` setting a default)
        Valid("import requests\n\nclass TimeoutSession(requests.Session):\n    def request(self, *args, **kwargs):\n"
              "        kwargs.setdefault('timeout', 5)\n        return super().request(*args, **kwargs)\n\n"
              "TimeoutSession().get(url)\n"),
        Valid("import requests\nimport httpx\n\ndef fetch(url, client=None):\n"
              "    http = client if client is not None else httpx.Client()\n    return http.get(url)\n"),
        Valid("import requests\nrequests.get(url, timeout=5)\n"),
        Invalid("import requests\n\ndef fetch(url, **kwargs):\n    return requests.get(url, **kwargs)\n"),
        Valid("import requests\n\ndef fetch(url, **kwargs):\n    return requests.get(url, **kwargs)\n",
              options={"star-kwargs": "skip"}),
        Valid("import requests\n\ndef fetch(url, **kwargs):\n    kwargs.setdefault('timeout', 5)\n"
              "    return requests.get(url, **kwargs)\n"),
        Valid("import requests\nDEFAULTS = {'timeout': 5}\nrequests.get(url, **DEFAULTS)\n"),
        Invalid("import requests\nrequests.get(url, timeout=None, **kwargs)\n",
                fixed="import requests\nrequests.get(url, timeout=10, **kwargs)\n"),
        Valid("import requests\n\ndef fetch(url, timeout, **kwargs):\n    return requests.get(url, timeout=timeout, **kwargs)\n"),
        Valid("import requests\nparams = {}\nparams.get('page')\n"),
        Valid("import requests\nconfig = load()\nconfig.get('url')\n"),
        Valid("import requests\n\ndef handler(requests):\n    return requests.get('k')\n"),
        Valid("import requests\ns = requests.Session()\ns.mount('https://', adapter)\n"),
        Valid("import httpx\nhttpx.get(url)\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        name = self.callee(node)
        if name is None:
            return
        if name in FUNCTIONS:
            pass
        elif name in SESSION_METHODS:
            if name.endswith(".request") and (positional_count(node) or 0) >= SESSION_REQUEST_TIMEOUT_SLOT:
                return
        else:
            return
        given = keyword(node, "timeout")
        if given is not None and not is_none(given.value):
            return
        if has_star_kwargs(node) and given is None:
            if self.config["star-kwargs"] == "report" and not self._timeout_set_nearby():
                self.report(node, message="requests call passing **kwargs may have no timeout")
            return
        timeout = self.config["timeout"]
        self.report(node, fix=Fix.replace(node, with_keyword(node, "timeout", repr(timeout)), safety=UNSAFE,
                                          description=f"add timeout={timeout!r}"))

    def _timeout_set_nearby(self) -> bool:
        stack = self.file.scope_stack
        around = stack[0] if stack else self.file.module
        known = self._searched.get(id(around))
        if known is None:
            known = self._searched[id(around)] = any(map(sets_timeout_key, descendants(around)))
        return known

    def reset(self) -> None:
        #: per outermost function/class: whether it sets a timeout key somewhere
        self._searched: dict = {}


def sets_timeout_key(node: cst.CSTNode) -> bool:
    """``{"timeout": 5}``, ``kwargs["timeout"] = 5``, ``kwargs.setdefault("timeout", 5)`` (the
    string), ``dict(timeout=5)``, ``kwargs.update(timeout=5)``."""
    if isinstance(node, cst.SimpleString):
        return node.value.strip("\"'").lower() == "timeout"
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    if not ((isinstance(func, cst.Name) and func.value == "dict")
            or (isinstance(func, cst.Attribute) and func.attr.value == "update")):
        return False
    return any(arg.keyword is not None and arg.keyword.value == "timeout" for arg in node.args)

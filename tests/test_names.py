"""The cheap resolver: what a callee refers to, through imports, aliases, sessions and scopes."""
from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from svcmod.check.names import Names, imported_modules


def resolve(source: str, marker: str = "target"):
    """Qualified name and creator of the expression ``marker(...)`` is called on, in its scope."""
    module = cst.parse_module(textwrap.dedent(source))
    names = Names(module)
    found = {}

    class Find(cst.CSTVisitor):
        def __init__(self):
            self.stack = []

        def visit_FunctionDef(self, node):
            self.stack.append(node)

        def leave_FunctionDef(self, node):
            self.stack.pop()

        def visit_ClassDef(self, node):
            self.stack.append(node)

        def leave_ClassDef(self, node):
            self.stack.pop()

        def visit_Call(self, node):
            if isinstance(node.func, cst.Name) and node.func.value == marker:
                expr = node.args[0].value
                found["qualified"] = names.qualified_name(expr, list(self.stack))
                found["created_by"] = names.created_by(expr, list(self.stack))

    module.visit(Find())
    return found["qualified"], found["created_by"]


@pytest.mark.parametrize("source,qualified", [
    ("import requests\ntarget(requests.get)", "requests.get"),
    ("import requests as rq\ntarget(rq.get)", "requests.get"),
    ("from requests import get as fetch\ntarget(fetch)", "requests.get"),
    ("import urllib.request\ntarget(urllib.request.urlopen)", "urllib.request.urlopen"),
    ("import urllib.request as ur\ntarget(ur.urlopen)", "urllib.request.urlopen"),
    ("from . import client\ntarget(client.get)", ".client.get"),
    ("import requests\ns = requests.Session()\ntarget(s.get)", "requests.Session.get"),
    ("import requests\nwith requests.Session() as s:\n    target(s.get)", "requests.Session.get"),
    ("import requests\ntarget(requests.Session().get)", "requests.Session.get"),
    ("import requests\ndef f(s: requests.Session):\n    target(s.get)", "requests.Session.get"),
    ("from requests import Session\nclass C:\n    def a(self):\n        target(self.s.get)\n"
     "    def __init__(self):\n        self.s = Session()", "requests.Session.get"),
    ("import requests\ndef f():\n    import httpx as requests\n    target(requests.get)", "httpx.get"),
])
def test_resolves(source, qualified):
    assert resolve(source)[0] == qualified


@pytest.mark.parametrize("source", [
    "target(requests.get)",  # never imported
    "import requests\ndef f(requests):\n    target(requests.get)",  # a parameter shadows the module
    "import requests\nfor requests in items:\n    target(requests.get)",  # a loop variable shadows it
    "import requests\ns = requests.Session()\ns = {}\ntarget(s.get)",  # two meanings: unknown
    "import requests\nparams = {}\ntarget(params.get)",
    "import requests\nclass C:\n    s = requests.Session()\n    def f(self):\n        target(s.get)",  # class scope invisible
    "import requests\ndef f():\n    s = requests.Session()\ndef g(s):\n    target(s.get)",  # other function
    "import requests\nclass C:\n    def f(self):\n        target(self.s.get)\n    def g(self):\n"
    "        self.s = requests.Session()\n    def h(self):\n        self.s = {}",
])
def test_does_not_guess(source):
    assert resolve(source)[0] is None


def test_created_by_for_pool_futures():
    source = """
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor() as pool:
        future = pool.submit(work)
        target(future)
    """
    assert resolve(source)[1] == "concurrent.futures.ThreadPoolExecutor.submit"


def test_reference_reuses_existing_imports():
    module = cst.parse_module("import tenacity\nfrom asyncio import sleep\nimport urllib3.util as u\n")
    names = Names(module)
    assert names.reference("tenacity.stop_after_attempt") == ("tenacity.stop_after_attempt", ())
    assert names.reference("asyncio.sleep") == ("sleep", ())
    assert names.reference("urllib3.util.Retry") == ("u.Retry", ())
    text, imports = names.reference("aiohttp.ClientTimeout")
    assert text == "ClientTimeout" and imports[0].module == "aiohttp" and imports[0].name == "ClientTimeout"


@pytest.mark.parametrize("source,expected", [
    (b"import requests\n", {"requests"}),
    (b"import os, urllib.request as ur\n", {"os", "urllib", "urllib.request"}),
    (b"from tenacity import (\n    retry,\n)\n", {"tenacity"}),
    (b"    from redis.asyncio import Redis  # indented\n", {"redis", "redis.asyncio"}),
    (b"from . import sibling\nfrom .pkg import x\n", set()),
    (b"x = 1; import json\n", {"json"}),
    (b"# an important note\n", set()),
])
def test_imported_modules(source, expected):
    assert imported_modules(source) == expected


def test_decorators_resolve_in_the_enclosing_scope():
    """A parameter named like an import does not hide the import from the function's decorator."""
    from svcmod.check.checker import Checker
    from svcmod.project.config import Config
    source = (b"import tenacity\n\n"
              b"@tenacity.retry\n"
              b"def fetch(tenacity):\n"
              b"    return tenacity\n")
    found = Checker(Config(select=("SVC201",))).check("app.py", source)
    assert [f.code for f in found.findings] == ["SVC201"]


@pytest.mark.parametrize("source, expected", [
    ("try:\n    from requests.packages.urllib3.util.retry import Retry\nexcept ImportError:\n"
     "    from urllib3.util.retry import Retry\n", ("requests.packages.urllib3.util.retry.Retry",
                                                   ("urllib3.util.retry.Retry",))),
    ("try:\n    import simplejson as json\nexcept (ImportError, AttributeError):\n    import json\n",
     ("simplejson", ("json",))),
    ("import sys\nif sys.version_info >= (3, 8):\n    from importlib import metadata\nelse:\n"
     "    import importlib_metadata as metadata\n", ("importlib.metadata", ("importlib_metadata",))),
    ("try:\n    from urllib3 import Retry\nexcept ImportError:\n    Retry = None\n", ("urllib3.Retry", ())),
])
def test_guarded_imports_bind_the_first_branch_with_the_fallback_as_alternative(source, expected):
    names = Names(cst.parse_module(source))
    local = {"Retry", "json", "metadata"} & set(names.module_scope.bindings)
    [binding] = [names.module_scope.bindings[name] for name in local]
    assert (binding.qualified, binding.alternatives) == expected


def test_an_unguarded_double_import_is_still_unknown():
    names = Names(cst.parse_module("if fast:\n    import ujson as json\nelse:\n    import json\n"))
    assert names.qualified_name(cst.Name("json")) is None


def test_each_branch_of_a_guarded_import_knows_what_the_other_imports():
    module = cst.parse_module("try:\n    from sqlalchemy.orm import declarative_base\nexcept ImportError:\n"
                              "    from sqlalchemy.ext.declarative import declarative_base\n")
    names = Names(module)
    first = module.body[0].body.body[0].body[0]
    fallback = module.body[0].handlers[0].body.body[0].body[0]
    assert names.other_branch_imports(fallback) == {"sqlalchemy.orm.declarative_base"}
    assert names.other_branch_imports(first) == {"sqlalchemy.ext.declarative.declarative_base"}

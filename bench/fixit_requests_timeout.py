"""A Fixit 2 rule equivalent to svcmod's SVC101, for the benchmark's per-line comparison with Fixit.

Written the way Fixit rules are (LintRule + QualifiedNameProvider), so the timing shows what the
same check costs on Fixit's engine. It covers the module functions (``requests.get(...)``,
``from requests import post``), not calls on Session objects, which Fixit's name provider cannot
follow; so it does a little less work than SVC101. Loaded by bench/run.py only, never by svcmod.
"""
import libcst as cst
from fixit import Invalid, LintRule, Valid
from libcst.metadata import QualifiedNameProvider

METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
FUNCTIONS = frozenset(f"requests.{m}" for m in METHODS) | frozenset(f"requests.api.{m}" for m in METHODS)


class RequestsWithoutTimeout(LintRule):
    """requests calls without a timeout can hang forever."""

    METADATA_DEPENDENCIES = (QualifiedNameProvider,)
    VALID = [Valid("import requests\nrequests.get(url, timeout=5)\n")]
    INVALID = [Invalid("import requests\nrequests.get(url)\n")]

    def visit_Call(self, node: cst.Call) -> None:
        names = self.get_metadata(QualifiedNameProvider, node.func, set())
        if not any(name.name in FUNCTIONS for name in names):
            return
        if any(arg.star == "**" for arg in node.args):
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "timeout":
                if not (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
                    return
        self.report(node, "requests call without a timeout can hang forever")

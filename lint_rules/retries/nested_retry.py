"""SVC208: a retry around something that already retries, so that attempts multiply."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

import libcst as cst

from svcmod.lint_rules.retries.patterns import (
    HTTP_ADAPTERS,
    RetryContext,
    RetryContextTracker,
    adapter_attempts,
    describe_attempts,
    function_key,
    may_hold_retry_loop,
)
from svcmod.rule import Callees, FastPath, FollowUp, Invalid, Rule, Valid, keyword

Attempts = Union[int, float, None]
FunctionKey = Tuple[Optional[str], str]
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "send"})
#: ``HTTPAdapter(pool_connections, pool_maxsize, max_retries, pool_block)``
ADAPTER_MAX_RETRIES_SLOT = 2


class NestedRetry(RetryContextTracker, Rule):
    """Checks for retries nested in retries: the attempts multiply.

    ## Why is this bad?
    Three retries around a call that itself retries three times is nine attempts; five layers of
    three is 243 (AWS Builders' Library). During an outage each layer multiplies the load on the
    failing dependency and the time before the caller learns of the failure. Retry at one layer
    only, usually the one nearest the caller that can decide.

    Found: code under a retry (a tenacity/backoff decorated function, a hand-written retry loop,
    a `for attempt in Retrying(...)` loop) that calls a function of the same module which retries
    itself (decorated, or holding a retry loop), or that calls a `requests` session on which an
    `HTTPAdapter(max_retries=...)` that retries is mounted. The message gives the multiplied
    number of attempts when both counts can be read.

    ## Fix safety
    Report only: which layer keeps its retries is a design decision.

    ## References
    - https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
    """

    code = "SVC208"
    name = "nested-retry"
    message = "retry around a call that already retries: attempts multiply"
    fast_path = FastPath(
        imports=("tenacity", "backoff", "requests", "urllib3"),
        # nothing is nested without an outer retry: a tenacity/backoff one or a hand-written loop
        test=lambda source, imported: "tenacity" in imported or "backoff" in imported or may_hold_retry_loop(source),
        sketch=True,
        # a call under a retry reads whether the function it calls retries; an adapter assigned in
        # one function may be mounted in the next, which reads it as the walk left it
        callees=Callees(across=(b"mount",)),
    )
    in_migrations = (FollowUp("v2"),)
    examples = (
        Invalid("from tenacity import retry, stop_after_attempt\n\n"
                "@retry(stop=stop_after_attempt(5))\ndef fetch():\n    return call()\n\n"
                "@retry(stop=stop_after_attempt(3))\ndef sync():\n    return fetch()\n"),
        Invalid("import requests, time\nfrom requests.adapters import HTTPAdapter\nfrom urllib3 import Retry\n\n"
                "class Client:\n    def __init__(self):\n        self.http = requests.Session()\n"
                "        self.http.mount('https://', HTTPAdapter(max_retries=Retry(total=3)))\n\n"
                "    def get(self, url):\n        for _ in range(4):\n            try:\n"
                "                return self.http.get(url, timeout=5)\n            except requests.ConnectionError:\n"
                "                time.sleep(1)\n"),
        Invalid("import backoff\n\nclass Repo:\n    @backoff.on_exception(backoff.expo, OSError, max_tries=4)\n"
                "    def load(self):\n        return self.query()\n\n"
                "    @backoff.on_exception(backoff.expo, OSError, max_tries=2)\n    def query(self):\n        return db()\n"),
        Invalid("import time\nfrom tenacity import retry, stop_after_attempt\n\n"
                "@retry(stop=stop_after_attempt(5))\ndef fetch():\n    return call()\n\n"
                "def sync():\n    for _ in range(3):\n        try:\n            return fetch()\n"
                "        except ConnectionError:\n            time.sleep(1)\n"),
        Valid("from tenacity import retry, stop_after_attempt\n\n"
              "@retry(stop=stop_after_attempt(5))\ndef fetch():\n    return call()\n\n"
              "def sync():\n    return fetch()\n"),
        Valid("from tenacity import retry, stop_after_attempt\n\n"
              "def fetch():\n    return call()\n\n"
              "@retry(stop=stop_after_attempt(3))\ndef sync():\n    return fetch()\n"),
        Valid("import requests, time\nfrom requests.adapters import HTTPAdapter\n\n"
              "session = requests.Session()\nsession.mount('https://', HTTPAdapter(max_retries=0))\n\n"
              "def get(url):\n    for _ in range(3):\n        try:\n            return session.get(url, timeout=5)\n"
              "        except requests.ConnectionError:\n            time.sleep(1)\n"),
    )

    def reset(self) -> None:
        super().reset()
        self.retrying: Dict[FunctionKey, Attempts] = {}
        self.adapters: Dict[str, Attempts] = {}  # adapter variable name -> attempts
        self.mounted: Dict[Tuple, Attempts] = {}  # receiver key -> attempts
        self.calls: List[Tuple[cst.Call, RetryContext, str, object]] = []

    # -- collecting --------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        context = self.retry_context
        if context is not None and context.node is node:
            self.retrying[function_key(self.file.scope_stack, node)] = context.attempts

    def _enter_loop(self, node: Union[cst.While, cst.For]) -> None:
        super()._enter_loop(node)
        context = self.retry_context
        function = self.enclosing_function
        if context is None or context.node is not node or function is None:
            return
        key = self._key_of(function)
        if key is not None and key not in self.retrying:
            self.retrying[key] = context.attempts

    def visit_Assign(self, node: cst.Assign) -> None:
        attempts = self._adapter(node.value)
        if attempts is not None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.adapters[target.target.value] = attempts

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "mount" and len(node.args) >= 2:
            adapter = node.args[1].value
            attempts = self._adapter(adapter)
            if attempts is None and isinstance(adapter, cst.Name):
                attempts = self.adapters.get(adapter.value)
            receiver = self._receiver(func.value)
            if attempts is not None and attempts != 1 and receiver is not None:
                self.mounted[receiver] = attempts
            return
        context = self.retry_context
        if context is None:
            return
        if isinstance(func, cst.Name) and self.qualified_name(func) is None:
            self.calls.append((node, context, f"{func.value}()", (None, func.value)))
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.value.value in ("self", "cls"):
            owner = self._class_name()
            if owner is not None:
                self.calls.append((node, context, f"{func.value.value}.{func.attr.value}()", (owner, func.attr.value)))
        if isinstance(func, cst.Attribute) and func.attr.value in HTTP_METHODS:
            receiver = self._receiver(func.value)
            if receiver is not None:
                text = cst.Module(body=()).code_for_node(func)
                self.calls.append((node, context, f"{text}()", receiver))

    def _adapter(self, value: cst.BaseExpression) -> Attempts:
        """Attempts of an ``HTTPAdapter(max_retries=...)`` call; None if it is not one or says nothing."""
        if not isinstance(value, cst.Call) or not isinstance(value.func, (cst.Name, cst.Attribute)):
            return None
        if self.qualified_name(value.func) not in HTTP_ADAPTERS:
            return None
        given = keyword(value, "max_retries")
        if given is None:
            positional = [a for a in value.args if a.keyword is None and not a.star]
            given = positional[ADAPTER_MAX_RETRIES_SLOT] if len(positional) > ADAPTER_MAX_RETRIES_SLOT else None
        if given is None:
            return 1  # requests' default: no retries
        return adapter_attempts(self, given.value)

    def _receiver(self, expr: cst.BaseExpression) -> Optional[Tuple]:
        """A key naming the session object ``expr`` refers to: ``self.x`` per class, names per function."""
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            owner = self._class_name()
            return ("attribute", owner, expr.attr.value) if owner is not None else None
        if isinstance(expr, cst.Name):
            function = self.enclosing_function
            return ("name", id(function) if function is not None else None, expr.value)
        return None

    def _class_name(self) -> Optional[str]:
        stack = self.file.scope_stack
        for index in range(len(stack) - 1, -1, -1):
            if isinstance(stack[index], cst.FunctionDef):
                owner = stack[index - 1] if index > 0 else None
                return owner.name.value if isinstance(owner, cst.ClassDef) else None
        return None

    def _key_of(self, function: cst.FunctionDef) -> Optional[FunctionKey]:
        stack = self.file.scope_stack
        if function not in stack:
            return None
        return function_key(stack[:stack.index(function)], function)

    # -- reporting ---------------------------------------------------------------------------
    def end_file(self) -> None:
        for call, context, shown, target in self.calls:
            if isinstance(target, tuple) and target and target[0] in ("attribute", "name"):
                inner = self.mounted.get(target)
                if inner is None and target[0] == "name":
                    inner = self.mounted.get(("name", None, target[2]))
                if inner is None:
                    continue
                what = f"{shown} goes through an HTTPAdapter that retries ({describe_attempts(inner)} attempts)"
            else:
                if target not in self.retrying or target == context.function_key:
                    continue
                inner = self.retrying[target]
                what = f"{shown} retries itself ({describe_attempts(inner)} attempts)"
            total = _multiply(context.attempts, inner)
            self.report(call, message=f"nested retry: {what} inside a retry of {describe_attempts(context.attempts)} "
                                      f"attempts: up to {describe_attempts(total)} attempts per call")


def _multiply(outer: Attempts, inner: Attempts) -> Attempts:
    if outer is None or inner is None:
        return float("inf") if float("inf") in (outer, inner) else None
    return outer * inner

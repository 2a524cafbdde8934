"""SVC205: retried requests that are not safe to send twice (POST, PATCH)."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from svcmod.lint_rules.retries.patterns import (
    RetryContextTracker,
    is_urllib3_retry,
    source_of,
    walk_local,
)
from svcmod.rule import FastPath, FollowUp, Invalid, Parts, Rule, Valid, has_star_kwargs, is_none, keyword

NON_IDEMPOTENT = ("POST", "PATCH")
_CLIENTS = ("requests", "requests.api", "requests.Session", "requests.session", "requests.sessions.Session",
            "httpx", "httpx.Client", "httpx.AsyncClient")
SENDERS = frozenset(f"{c}.{m}" for c in _CLIENTS for m in ("post", "patch"))
REQUESTERS = frozenset(f"{c}.request" for c in _CLIENTS)
IDEMPOTENCY_HEADERS = ("idempotency-key", "x-idempotency-key", "x-request-id", "idempotency_key")


class RetryNonIdempotent(RetryContextTracker, Rule):
    """Checks for retries of requests that may apply twice: POST and PATCH without an idempotency key.

    ## Why is this bad?
    A POST that timed out may well have succeeded: the server charged the card, sent the mail,
    created the order, and only the answer was lost. Retrying it does it again. Retry only
    idempotent requests, or send an `Idempotency-Key` header the server deduplicates on.

    Found: urllib3 `Retry(allowed_methods=None)` / `False` (retry every method) or an
    `allowed_methods` / `method_whitelist` naming `"POST"` or `"PATCH"`; in a retried function
    (tenacity/backoff decorated, also by a retry decorator object such as `retry_policy =
    tenacity.retry(...)` or `@retryer.wraps`, made in this module or another of the project) or a
    hand-written retry loop or a `for attempt in Retrying(...)` loop (or over a `Retrying` object), a `requests`/`httpx` (module or client object) `.post`/`.patch`/`.request("POST", …)`
    whose `headers=` is missing or a dict literal without an `Idempotency-Key`. Headers passed as
    a variable, or `**kwargs`, are not judged.

    ## Fix safety
    Report only: whether the server accepts an idempotency key is for the author to know.

    ## References
    - https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/
    """

    code = "SVC205"
    name = "retry-non-idempotent"
    message = "retried POST/PATCH may apply twice: send an Idempotency-Key or do not retry it"
    fast_path = FastPath(
        imports=("requests", "httpx", "urllib3"),
        parts=Parts(),
        sketch=True,
    )
    in_migrations = (FollowUp("v2"),)
    examples = (
        Invalid("from urllib3.util.retry import Retry\nr = Retry(total=3, allowed_methods=None)\n"),
        Invalid("from urllib3 import Retry\nr = Retry(total=3, allowed_methods=frozenset(['GET', 'POST']))\n"),
        Invalid("import requests\nfrom tenacity import retry, stop_after_attempt\n\n@retry(stop=stop_after_attempt(3))\n"
                "def create(order):\n    return requests.post(URL, json=order, timeout=5)\n"),
        Invalid("import httpx, time\n\ndef create(client: httpx.Client, order):\n    for _ in range(3):\n        try:\n"
                "            return client.post('/orders', json=order, headers={'Accept': 'json'})\n"
                "        except httpx.TransportError:\n            time.sleep(1)\n"),
        Invalid("import requests\nfrom tenacity import Retrying, stop_after_attempt\n\ndef create(order):\n"
                "    for attempt in Retrying(stop=stop_after_attempt(3)):\n        with attempt:\n"
                "            return requests.request('POST', URL, json=order, timeout=5)\n"),
        Invalid("import requests, tenacity\n\nretry_policy = tenacity.retry(stop=tenacity.stop_after_attempt(3))\n\n"
                "@retry_policy\ndef create(order):\n    return requests.post(URL, json=order, timeout=5)\n"),
        Valid("import requests\nfrom tenacity import retry\n\n@retry\ndef create(order, key):\n"
              "    return requests.post(URL, json=order, headers={'Idempotency-Key': key})\n"),
        Valid("import requests\nfrom tenacity import retry\n\n@retry\ndef fetch():\n    return requests.get(URL)\n"),
        Valid("import requests\n\ndef create(order):\n    return requests.post(URL, json=order)\n"),
        Valid("import requests\nfrom tenacity import retry\n\n@retry\ndef create(order):\n"
              "    return requests.post(URL, json=order, headers=HEADERS)\n"),
        Valid("from urllib3 import Retry\nr = Retry(total=3, allowed_methods=['GET', 'PUT'])\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if is_urllib3_retry(self, node):
            self._urllib3(node)
        elif self.retry_context is not None:
            method = self._sends(node)
            if method is not None and not has_star_kwargs(node) and not self._keyed(node):
                self.report(node, message=f"retried {method} may apply twice: send an Idempotency-Key "
                                          f"header or do not retry it")

    def _urllib3(self, node: cst.Call) -> None:
        for name in ("allowed_methods", "method_whitelist"):
            given = keyword(node, name)
            if given is None:
                continue
            value = given.value
            if is_none(value) or (isinstance(value, cst.Name) and value.value == "False"):
                self.report(node, message=f"urllib3 Retry({name}={source_of(value)}) retries every method, "
                                          f"POST and PATCH included")
                return
            for part in [value, *walk_local(value)]:
                if isinstance(part, cst.SimpleString) and part.evaluated_value.upper() in NON_IDEMPOTENT:
                    self.report(node, message=f"urllib3 Retry retries {part.evaluated_value.upper()}, "
                                              f"which may apply twice")
                    return

    def _sends(self, node: cst.Call) -> Optional[str]:
        """``POST``/``PATCH`` when ``node`` sends one with requests or httpx, else None."""
        name = self.callee(node)
        if name in SENDERS:
            return name.rsplit(".", 1)[1].upper()
        if name in REQUESTERS:
            method = keyword(node, "method")
            value = method.value if method is not None else (node.args[0].value if node.args and
                                                             node.args[0].keyword is None else None)
            if isinstance(value, cst.SimpleString) and value.evaluated_value.upper() in NON_IDEMPOTENT:
                return value.evaluated_value.upper()
        return None

    @staticmethod
    def _keyed(node: cst.Call) -> bool:
        """The request names an idempotency key, or its headers cannot be read here."""
        headers = keyword(node, "headers")
        if headers is None:
            return False
        if not isinstance(headers.value, cst.Dict):
            return True
        for element in headers.value.elements:
            if not isinstance(element, cst.DictElement):
                return True  # **other: may hold the key
            key = element.key
            if not isinstance(key, cst.SimpleString):
                return True
            if key.evaluated_value.lower() in IDEMPOTENCY_HEADERS:
                return True
        return False

"""SVC302: names of urllib3's ``Retry`` that urllib3 2.0 removed, renamed to their 1.26+ spelling."""
from __future__ import annotations

from typing import List, Optional

import libcst as cst

from svcmod.rule import SAFE, FastPath, Fix, FixStep, Invalid, Parts, Requires, Rule, Valid, keyword

#: Where code gets ``Retry`` from: urllib3 itself, requests' vendored copy, requests.adapters.
RETRY_CLASSES = frozenset({
    "urllib3.Retry", "urllib3.util.Retry", "urllib3.util.retry.Retry",
    "requests.packages.urllib3.Retry", "requests.packages.urllib3.util.Retry",
    "requests.packages.urllib3.util.retry.Retry", "requests.adapters.Retry",
})
#: Class attributes removed in 2.0 and their names since 1.26.
CLASS_ATTRIBUTES = {
    "DEFAULT_METHOD_WHITELIST": "DEFAULT_ALLOWED_METHODS",
    "BACKOFF_MAX": "DEFAULT_BACKOFF_MAX",
    "BACK0FF_MAX": "DEFAULT_BACKOFF_MAX",
    "DEFAULT_REDIRECT_HEADERS_BLACKLIST": "DEFAULT_REMOVE_HEADERS_ON_REDIRECT",
}
#: The keyword of ``Retry(...)`` / ``retry.new(...)``, also an attribute of ``Retry`` objects.
KEYWORDS = {"method_whitelist": "allowed_methods"}
#: A `try` catching one of these around an old name is a fallback for old urllib3 versions.
_COMPAT_ERRORS = frozenset({"TypeError", "AttributeError"})
#: Words in an `if` test that mean the branches choose between urllib3 versions.
_VERSION_TESTS = ("allowed_methods", "ALLOWED_METHODS", "__version__", "version_info")


class Urllib3V2Renames(Rule):
    """Checks for urllib3 `Retry` names that urllib3 2.0 removed.

    ## Why is this bad?
    urllib3 1.26 renamed `Retry(method_whitelist=...)` to `allowed_methods=`,
    `Retry.DEFAULT_METHOD_WHITELIST` to `DEFAULT_ALLOWED_METHODS`, `Retry.BACKOFF_MAX` to
    `DEFAULT_BACKOFF_MAX` and `Retry.DEFAULT_REDIRECT_HEADERS_BLACKLIST` to
    `DEFAULT_REMOVE_HEADERS_ON_REDIRECT`, and urllib3 2.0 removed the old names: the old spelling
    raises `TypeError` / `AttributeError` as soon as urllib3 2 is installed (which `requests`
    allows), typically at import time of the module that builds the HTTP adapter.

    `Retry` is recognised however it is imported: `urllib3`, `urllib3.util`, `urllib3.util.retry`,
    `requests.packages.urllib3…` and `requests.adapters`, aliases included, and `.new(...)` /
    attribute reads on objects made by `Retry(...)`. Code that already copes with both versions is
    left alone: an old name inside `try: … except TypeError/AttributeError:` (either branch), or
    under an `if`/conditional expression that tests `allowed_methods`, `DEFAULT_ALLOWED_METHODS`
    or a `__version__`.

    ## Fix safety
    The fix renames the keyword or attribute. It is safe: the new names exist since urllib3 1.26
    (released 2020) with the same meaning and values, and the old ones do not exist in 2.x. Code
    still pinned below urllib3 1.26 must raise its pin first.

    ## References
    - https://urllib3.readthedocs.io/en/stable/v2-migration-guide.html
    - https://urllib3.readthedocs.io/en/1.26.x/reference/urllib3.util.html#urllib3.util.Retry
    """

    code = "SVC302"
    name = "urllib3-v2-renames"
    message = "urllib3 2.0 removed this Retry name"
    fix_safety = SAFE
    fast_path = FastPath(
        imports=("urllib3", "requests"),
        tokens=(b"method_whitelist", b"METHOD_WHITELIST", b"BACKOFF_MAX", b"BACK0FF_MAX", b"HEADERS_BLACKLIST"),
        parts=Parts(),
        sketch=True,
    )
    requires = (Requires("urllib3>=1.26"),)
    in_migrations = (FixStep("v2", "deprecations"),)
    examples = (
        Invalid("from urllib3.util.retry import Retry\nretry = Retry(total=3, method_whitelist=['GET'])\n",
                fixed="from urllib3.util.retry import Retry\nretry = Retry(total=3, allowed_methods=['GET'])\n"),
        Invalid("import urllib3\nmethods = urllib3.Retry.DEFAULT_METHOD_WHITELIST | {'POST'}\n",
                fixed="import urllib3\nmethods = urllib3.Retry.DEFAULT_ALLOWED_METHODS | {'POST'}\n"),
        Invalid("from requests.packages.urllib3.util.retry import Retry as R\n"
                "R.BACKOFF_MAX = 60\nr = R(method_whitelist=False)\n",
                fixed="from requests.packages.urllib3.util.retry import Retry as R\n"
                "R.DEFAULT_BACKOFF_MAX = 60\nr = R(allowed_methods=False)\n", count=2),
        Invalid("from requests.adapters import HTTPAdapter, Retry\n"
                "drop = Retry.DEFAULT_REDIRECT_HEADERS_BLACKLIST\n",
                fixed="from requests.adapters import HTTPAdapter, Retry\n"
                "drop = Retry.DEFAULT_REMOVE_HEADERS_ON_REDIRECT\n"),
        Invalid("from urllib3.util import Retry\nbase = Retry(3)\nsafe = base.new(method_whitelist=None)\n"
                "print(base.method_whitelist)\n",
                fixed="from urllib3.util import Retry\nbase = Retry(3)\nsafe = base.new(allowed_methods=None)\n"
                "print(base.allowed_methods)\n", count=2),
        Invalid("try:\n    from requests.packages.urllib3.util.retry import Retry\nexcept ImportError:\n"
                "    from urllib3.util.retry import Retry\n\nretries = Retry(total=3, method_whitelist=['GET'])\n"
                "methods = Retry.DEFAULT_METHOD_WHITELIST\n",
                fixed="try:\n    from requests.packages.urllib3.util.retry import Retry\nexcept ImportError:\n"
                "    from urllib3.util.retry import Retry\n\nretries = Retry(total=3, allowed_methods=['GET'])\n"
                "methods = Retry.DEFAULT_ALLOWED_METHODS\n", count=2),
        # both spellings given: a TypeError either way, nothing mechanical to do
        Invalid("from urllib3 import Retry\nRetry(method_whitelist=['GET'], allowed_methods=['GET'])\n"),
        # a broad `except Exception` is not version handling: urllib3 2 would fail into it silently
        Invalid("from urllib3.util.retry import Retry\ntry:\n    r = Retry(3, method_whitelist=['GET'])\n"
                "except Exception:\n    r = None\n",
                fixed="from urllib3.util.retry import Retry\ntry:\n    r = Retry(3, allowed_methods=['GET'])\n"
                "except Exception:\n    r = None\n"),
        Valid("from urllib3.util.retry import Retry\nRetry(total=3, allowed_methods=['GET'])\n"),
        Valid("import urllib3\nprint(urllib3.Retry.DEFAULT_BACKOFF_MAX)\n"),
        Valid("import requests\nclass Policy:\n    DEFAULT_METHOD_WHITELIST = {'GET'}\n"
              "print(Policy.DEFAULT_METHOD_WHITELIST)\n"),
        Valid("import urllib3\nfrom mylib import Retry\nRetry(method_whitelist=['GET'])\n"),
        Valid("import requests\nconfig = load()\nconfig.method_whitelist\n"),
        Valid("from urllib3.util.retry import Retry\ntry:\n    r = Retry(3, allowed_methods=['GET'])\n"
              "except TypeError:  # urllib3 < 1.26\n    r = Retry(3, method_whitelist=['GET'])\n"),
        Valid("from urllib3 import Retry\nm = Retry.DEFAULT_ALLOWED_METHODS if hasattr(Retry, 'DEFAULT_ALLOWED_METHODS') "
              "else Retry.DEFAULT_METHOD_WHITELIST\n"),
    )

    def reset(self) -> None:
        self.compat: List[cst.CSTNode] = []  # try/if statements that choose between versions

    def visit_Try(self, node: cst.Try) -> None:
        for handler in node.handlers:
            caught = handler.type
            names = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
            if caught is not None and any(isinstance(n, cst.Name) and n.value in _COMPAT_ERRORS for n in names):
                self.compat.append(node)
                return

    def leave_Try(self, node: cst.Try) -> None:
        if self.compat and self.compat[-1] is node:
            self.compat.pop()

    def _tests_version(self, node: cst.CSTNode, test: cst.BaseExpression) -> None:
        text = cst.Module([]).code_for_node(test)
        if any(word in text for word in _VERSION_TESTS):
            self.compat.append(node)

    def visit_If(self, node: cst.If) -> None:
        self._tests_version(node, node.test)

    def leave_If(self, node: cst.If) -> None:
        if self.compat and self.compat[-1] is node:
            self.compat.pop()

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._tests_version(node, node.test)

    def leave_IfExp(self, node: cst.IfExp) -> None:
        if self.compat and self.compat[-1] is node:
            self.compat.pop()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = self.qualified_name(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if name is None or self.compat:
            return
        if name not in RETRY_CLASSES and not (name.endswith(".new") and name[:-4] in RETRY_CLASSES):
            return
        for old, new in KEYWORDS.items():
            given = keyword(node, old)
            if given is None:
                continue
            if keyword(node, new) is not None:
                self.report(given, message=f"`{old}=` was removed in urllib3 2.0 (`{new}=` is also given)")
                continue
            self.report(given, message=f"`{old}=` was removed in urllib3 2.0; use `{new}=`",
                        fix=Fix.replace(given.keyword, cst.Name(new), safety=SAFE,
                                        description=f"rename `{old}=` to `{new}=`"))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        if self.compat:
            return
        new: Optional[str] = CLASS_ATTRIBUTES.get(attr)
        if new is not None:
            owner = self.qualified_name(node.value)
            if owner not in RETRY_CLASSES and self.created_by(node.value) not in RETRY_CLASSES:
                return
        else:
            new = KEYWORDS.get(attr)
            if new is None or self.created_by(node.value) not in RETRY_CLASSES:
                return
        self.report(node, message=f"`Retry.{attr}` was removed in urllib3 2.0; use `{new}`",
                    fix=Fix.replace(node.attr, cst.Name(new), safety=SAFE,
                                    description=f"rename `{attr}` to `{new}`"))

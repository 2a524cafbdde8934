"""SVC309: imports of standard-library modules that Python 3.12 removed, and ``pkg_resources``."""
from __future__ import annotations

from pathlib import PurePath
from typing import FrozenSet, List, Optional

import libcst as cst

from svcmod.rule import SAFE, FastPath, Fix, FixStep, Invalid, Parts, RemoveImport, Rule, Valid, dotted

#: Removed module → what to use instead (shown in the message).
REPLACEMENTS = {
    "imp": "importlib (`importlib.reload`, `importlib.util.spec_from_file_location`, …)",
    "distutils": "setuptools, packaging.version, shutil.which/copytree, sysconfig",
    "asynchat": "asyncio streams",
    "asyncore": "asyncio",
    "smtpd": "aiosmtpd",
    "pkg_resources": "importlib.metadata / importlib.resources / packaging",
}
#: Exceptions whose handler makes an import an optional fallback.
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


class RemovedStdlibModule(Rule):
    """Checks for imports of `imp`, `distutils`, `asynchat`, `asyncore`, `smtpd` and `pkg_resources`.

    ## Why is this bad?
    `imp`, `distutils`, `asynchat`, `asyncore` and `smtpd` were removed from the standard library
    in Python 3.12: the import fails with `ModuleNotFoundError` (`distutils` only works while a
    setuptools shim happens to be installed). `pkg_resources` is deprecated by setuptools, slow to
    import (it scans every installed distribution) and warns on import.

    Imports guarded by `try: … except ImportError:` (either side) are fallbacks the code already
    copes without, and are not reported; neither are imports under an `if` on
    `sys.version_info`/`PY2`, nor the removed modules' own files (the old standard library's
    `distutils/`, `asynchat.py`, …, a compat module named `_distutils.py`, and setuptools, which
    provides `distutils` on 3.12), nor `distutils` in `setup.py`, which runs under setuptools.

    ## Fix safety
    `imp.reload(m)` becomes `importlib.reload(m)` (and `from imp import reload` imports it from
    `importlib`): safe, `imp.reload` was that function. The `import imp` that this leaves unused
    is removed. Every other use is only reported: the replacements differ per call.

    ## References
    - https://docs.python.org/3/whatsnew/3.12.html#removed
    - https://peps.python.org/pep-0594/
    - https://peps.python.org/pep-0632/
    - https://setuptools.pypa.io/en/latest/pkg_resources.html
    """

    code = "SVC309"
    name = "removed-stdlib-module"
    message = "this module was removed from the standard library"
    fix_safety = SAFE
    fast_path = FastPath(
        imports=tuple(REPLACEMENTS),
        parts=Parts(
            tokens=(b"import",),  # findings are import statements
            via_imports=True,
        ),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deprecations"),)
    examples = (
        Invalid("import imp\nimp.reload(settings)\n", fixed="import importlib\n\nimportlib.reload(settings)\n",
                count=2),
        Invalid("import imp as _imp\nimport importlib\n_imp.reload(module)\n",
                fixed="import importlib\nimportlib.reload(module)\n", count=2),
        Invalid("from imp import reload\nreload(config)\n", fixed="from importlib import reload\nreload(config)\n"),
        Invalid("from distutils.version import LooseVersion\nok = LooseVersion(v) >= LooseVersion('2.0')\n"),
        Invalid("import asyncore, smtpd\n", count=2),
        Invalid("import pkg_resources\nversion = pkg_resources.get_distribution('svc').version\n"),
        Invalid("import imp\nimp.reload(m)\nspec = imp.find_module('x')\n",
                fixed="import imp\nimport importlib\n\nimportlib.reload(m)\nspec = imp.find_module('x')\n", count=2),
        Valid("import importlib\nimportlib.reload(settings)\n"),
        Valid("try:\n    from importlib import reload\nexcept ImportError:\n    from imp import reload\n"),
        Valid("try:\n    import pkg_resources\nexcept ImportError:\n    pkg_resources = None\n"),
        Valid("import sys\nif sys.version_info < (3, 4):\n    import imp\n"),
        Valid("import setuptools\nfrom setuptools import setup\nimport importlib.metadata\n"),
        Valid("import imports\nimport impala\nimport distutils_extra_helpers\n"),
    )

    def reset(self) -> None:
        self.guards: List[cst.CSTNode] = []  # try statements and version ifs around the node
        self.exempt = _provided_here(self.file.path)

    def visit_Try(self, node: cst.Try) -> None:
        if any(self._catches_import_error(h) for h in node.handlers):
            self.guards.append(node)

    def leave_Try(self, node: cst.Try) -> None:
        if self.guards and self.guards[-1] is node:
            self.guards.pop()

    def visit_If(self, node: cst.If) -> None:
        test = cst.Module([]).code_for_node(node.test)
        if "version_info" in test or "PY2" in test or "PY3" in test:
            self.guards.append(node)

    def leave_If(self, node: cst.If) -> None:
        if self.guards and self.guards[-1] is node:
            self.guards.pop()

    @staticmethod
    def _catches_import_error(handler: cst.ExceptHandler) -> bool:
        if handler.type is None:
            return True
        types = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
        for item in types:
            expr = item.value if isinstance(item, cst.Element) else item
            if isinstance(expr, cst.Name) and expr.value in _IMPORT_ERRORS:
                return True
        return False

    def visit_Import(self, node: cst.Import) -> None:
        if self.guards:
            return
        for alias in node.names:
            removed = _removed(dotted(alias.name))
            if removed is not None and removed not in self.exempt:
                self.report(alias, message=_message(removed))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if self.guards or node.relative or node.module is None:
            return
        removed = _removed(dotted(node.module))
        if removed is None or removed in self.exempt:
            return
        if removed == "imp" and not isinstance(node.names, cst.ImportStar) and \
                [dotted(a.name) for a in node.names] == ["reload"]:
            self.report(node, message="`imp` was removed in Python 3.12; `reload` is in `importlib`",
                        fix=Fix.replace(node.module, cst.Name("importlib"), safety=SAFE,
                                        description="import `reload` from `importlib`"))
            return
        self.report(node, message=_message(removed))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "reload":
            return
        if self.qualified_name(func) != "imp.reload":
            return
        found = self.file.names.reference_here("importlib", self.file.scope_stack)
        if found is None:
            self.report(node, message="`imp.reload` is `importlib.reload`")
            return
        text, imports = found[0] + ".reload", found[1]
        local = func.value.value if isinstance(func.value, cst.Name) else None
        self.report(node, message="`imp.reload` is `importlib.reload`",
                    fix=Fix.replace(func, cst.parse_expression(text), safety=SAFE,
                                    description="use `importlib.reload`", add_imports=imports,
                                    remove_imports=[RemoveImport("imp", None, None if local == "imp" else local)]))


def _provided_here(path: str) -> FrozenSet[str]:
    """Removed modules that the file at ``path`` is part of or ships: the old stdlib's own
    ``asynchat.py``/``distutils/``, setuptools (which provides ``distutils`` on 3.12+), a vendored
    ``_distutils``. Their imports of those modules are how the module is provided, not uses of it."""
    where = PurePath(path)
    if where.stem in REPLACEMENTS:
        return frozenset(REPLACEMENTS)
    folders = set(where.parts[:-1])
    exempt = {m for m in REPLACEMENTS if m in folders or f"_{m}" in folders or where.stem == f"_{m}"}
    # setup.py runs under setuptools (build isolation installs it), whose shim provides distutils
    if "setuptools" in folders or where.name == "setup.py":
        exempt.add("distutils")
    return frozenset(exempt)


def _removed(module: Optional[str]) -> Optional[str]:
    if module is None:
        return None
    top = module.split(".")[0]
    return top if top in REPLACEMENTS else None


def _message(module: str) -> str:
    if module == "pkg_resources":
        return f"`pkg_resources` is deprecated; use {REPLACEMENTS[module]}"
    return f"`{module}` was removed in Python 3.12; use {REPLACEMENTS[module]}"

"""SVC307: the deprecated ``warn`` alias of ``logging.warning`` and ``Logger.warning``."""
from __future__ import annotations

import libcst as cst

from svcmod.rule import SAFE, FastPath, Fix, FixStep, Invalid, Parts, RemoveImport, Rule, Valid

#: Calls whose result is a stdlib logger (or adapter): ``.warn`` on what they made is renamed.
LOGGER_MAKERS = frozenset({
    "logging.getLogger", "logging.Logger", "logging.LoggerAdapter", "logging.RootLogger",
    "logging.Logger.getChild", "logging.getLogger.getChild", "logging.root.getChild",
    "logging.Logger.manager.getLogger",
})
#: Objects that are loggers themselves.
LOGGERS = frozenset({"logging", "logging.root"})
#: What services call a logger when the resolver cannot tell where it came from.
CONVENTIONAL_NAMES = frozenset({"logger", "log", "LOG", "LOGGER", "_logger", "_log", "_LOG", "_LOGGER",
                                "logging_", "root_logger"})

#: Libraries with a logger-like object whose `warn` is not the stdlib alias.
OWN_WARN = frozenset({"distutils", "setuptools", "numpy", "twisted", "structlog", "loguru", "pip"})


class LoggingWarn(Rule):
    """Checks for `logging.warn()` and `logger.warn()`.

    ## Why is this bad?
    `warn` is an undocumented alias of `warning`, deprecated since Python 3.3: each call emits a
    `DeprecationWarning`, and CPython has moved to remove it (gh-105376). `warning` does the same
    thing.

    A call is reported when its receiver is known to be a stdlib logger: the `logging` module,
    `logging.root`, or a value made by `logging.getLogger(...)`, `Logger(...)`,
    `LoggerAdapter(...)` or `.getChild(...)`, including `self.log = logging.getLogger()` set in any
    method and parameters annotated `logging.Logger`. When the resolver cannot tell what the
    receiver is, the call is still reported if the receiver is named like a logger (`logger`,
    `log`, `LOG`, `LOGGER`, `_logger`, … or `self.logger`, `cls.log`, …, or such a name imported
    from the project, `from app.log import logger`) *and* `logging` is imported there (by the
    module, or in the function around the call). A receiver
    made by any other call (`structlog.get_logger()`, `Reporter()`) is left alone, and so are
    logger-named objects of libraries whose `warn` is their own API: `distutils.log` (which has
    no `warning`), setuptools, numpy, twisted, structlog, loguru; and `warnings.warn`.

    ## Fix safety
    The fix renames the call to `warning`. It is safe for stdlib loggers, where `warn` only adds the
    deprecation warning before calling `warning`. For logger-named receivers of unknown origin it
    relies on the name: the logging libraries that have a `warn` alias at all (structlog) make it
    the same as `warning`, and those whose `warn` differs are excluded by name above.

    ## References
    - https://docs.python.org/3/library/logging.html#logging.Logger.warning
    - https://github.com/python/cpython/issues/105376
    """

    code = "SVC307"
    name = "logging-warn"
    message = "`warn` is a deprecated alias: use `warning`"
    fix_safety = SAFE
    fast_path = FastPath(
        imports=("logging",),
        tokens=(b".warn(", b"import warn"),
        parts=Parts(),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deprecations"),)
    examples = (
        Invalid("import logging\nlogging.warn('disk almost full')\n",
                fixed="import logging\nlogging.warning('disk almost full')\n"),
        Invalid("import logging\nlogger = logging.getLogger(__name__)\nlogger.warn('retrying %s', url)\n",
                fixed="import logging\nlogger = logging.getLogger(__name__)\nlogger.warning('retrying %s', url)\n"),
        Invalid("import logging as lg\n\nclass Worker:\n    def __init__(self):\n        self.log = lg.getLogger()\n\n"
                "    def run(self):\n        self.log.warn('slow')\n",
                fixed="import logging as lg\n\nclass Worker:\n    def __init__(self):\n        self.log = lg.getLogger()\n\n"
                "    def run(self):\n        self.log.warning('slow')\n"),
        Invalid("from logging import getLogger\ngetLogger('app').warn('x')\n",
                fixed="from logging import getLogger\ngetLogger('app').warning('x')\n"),
        Invalid("import logging\n\nclass Job:\n    def run(self, log):\n        log.warn('x')\n        self.logger.warn('y')\n",
                fixed="import logging\n\nclass Job:\n    def run(self, log):\n        log.warning('x')\n        self.logger.warning('y')\n",
                count=2),
        Invalid("import logging\nfrom sanic.log import logger\nlogger.warn('x')\n",
                fixed="import logging\nfrom sanic.log import logger\nlogger.warning('x')\n"),
        Invalid("from logging import warn\nwarn('old')\n",
                fixed="from logging import warning\n\nwarning('old')\n"),
        Invalid("import logging\n\ndef check(logger: logging.Logger):\n    logger.warn('x')\n",
                fixed="import logging\n\ndef check(logger: logging.Logger):\n    logger.warning('x')\n"),
        Valid("import logging\nimport warnings\nwarnings.warn('deprecated', DeprecationWarning)\n"),
        Valid("import logging\nimport structlog\nlogger = structlog.get_logger()\nlogger.warn('x')\n"),
        Valid("import logging\nreporter = Reporter()\nreporter.warn('x')\n"),
        Valid("import logging\nfrom distutils import log\nlog.warn('distutils.log has no warning()')\n"),
        Valid("import logging\nfrom app.log import setup\nLOG = setup()\nLOG.warn('made by something that is not logging')\n"),
        Valid("from mylib import get_logger\nlogger = get_logger()\nlogger.warn('no logging import here')\n"),
        Valid("import logging\nlogger = logging.getLogger()\nlogger.warning('x')\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name):
            self._imported_warn(node, func)
            return
        if not isinstance(func, cst.Attribute) or func.attr.value != "warn":
            return
        if not self._is_logger(func.value):
            return
        self.report(node, fix=Fix.replace(func.attr, cst.Name("warning"), safety=SAFE,
                                          description="rename `warn` to `warning`"))

    def _is_logger(self, receiver: cst.BaseExpression) -> bool:
        if self.qualified_name(receiver) in LOGGERS:
            return True
        creator = self.created_by(receiver)
        if creator is not None:
            return creator in LOGGER_MAKERS
        if not self.file.names.imports("logging", self.file.scope_stack):
            # a logger-like name of unknown origin is taken for a stdlib logger only where logging
            # is imported (not left to the fast path's import scan, which --no-fast-path skips)
            return False
        imported = self.qualified_name(receiver)
        if imported is not None:
            # `from sanic.log import logger`: a project's logger object, unless it comes from a
            # library whose `warn` is its own (distutils.log has no `warning` at all)
            module, _, last = imported.rpartition(".")
            return last in CONVENTIONAL_NAMES and module.split(".")[0] not in OWN_WARN
        if isinstance(receiver, cst.Name):
            return receiver.value in CONVENTIONAL_NAMES
        if isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name):
            return receiver.value.value in ("self", "cls") and receiver.attr.value in CONVENTIONAL_NAMES
        return False

    def _imported_warn(self, node: cst.Call, func: cst.Name) -> None:
        if self.qualified_name(func) != "logging.warn":
            return
        found = self.file.names.reference_here("logging.warning", self.file.scope_stack)
        if found is None:
            self.report(node)
            return
        text, imports = found
        alias = None if func.value == "warn" else func.value
        self.report(node, fix=Fix.replace(func, cst.parse_expression(text), safety=SAFE,
                                          description="use `warning`", add_imports=imports,
                                          remove_imports=[RemoveImport("logging", "warn", alias)]))

"""SVC301: the unmaintained ``retrying`` library, migrated to tenacity with its behaviour kept."""
from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import (
    GlobalScope,
    QualifiedNameSource,
    MetadataWrapper,
    ParentNodeProvider,
    ScopeProvider,
)
from libcst.metadata.scope_provider import Assignment, BuiltinAssignment, ImportAssignment

from svcmod.codemods.retrying_to_tenacity import (
    RETRYING,
    TENACITY,
    TWINS,
    CannotMigrate,
    bare_call,
    existing_import_from,
    imported_names,
    merged_import_from,
    retarget_import_alias,
    retarget_import_from,
    translate,
    with_arguments,
)
from svcmod.rule import UNSAFE, AddImport, FastPath, Fix, FixStep, Invalid, Requires, Rule, Valid, dotted

RETRYING_CLASS = "retrying.Retrying"


@dataclass
class _Site:
    """One use of retrying the fix rewrites, or the reason it cannot."""

    kind: str  # "retry", "Retrying", "RetryError", "other"
    expr: cst.BaseExpression  # the reference to the retrying name
    module_style: bool  # referred to as ``<module alias>.<name>``
    call: Optional[cst.Call] = None  # retry(...) / Retrying(...) when called
    outer: Optional[cst.Call] = None  # ``Retrying(...).call(fn)`` around the construction
    reason: Optional[str] = None  # why it cannot be migrated

    @property
    def report_node(self) -> cst.CSTNode:
        return self.call if self.call is not None else self.expr


@dataclass
class _Imports:
    """The file's imports of retrying."""

    module_aliases: Dict[cst.ImportAlias, Optional[str]] = field(default_factory=dict)  # alias → as-name
    from_imports: List[cst.ImportFrom] = field(default_factory=list)
    statements: List[cst.CSTNode] = field(default_factory=list)
    foreign_names: Set[str] = field(default_factory=set)  # from-imported names with no tenacity twin


class RetryingLibrary(Rule):
    """Checks for uses of the unmaintained `retrying` library and migrates them to tenacity.

    ## Why is this bad?
    `retrying` has been unmaintained for years; tenacity is its maintained fork with the same ideas
    (stop, wait and retry strategies) and async support. Services that keep `retrying` cannot get
    fixes, and their retry policies cannot be checked by the SVC2xx rules.

    The fix rewrites `@retry(...)`, `retry(...)`, `Retrying(...)` objects and their `.call(fn, ...)`
    (tenacity: `Retrying(...)(fn, ...)`), `RetryError` and the imports (aliases kept). Milliseconds
    become seconds; `wait_exponential_multiplier=m` becomes `wait_exponential(multiplier=2*m/1000)`
    (retrying waits m·2ⁿ ms after attempt n, tenacity multiplier·2ⁿ⁻¹ s); `retry_on_exception` →
    `retry_if_exception_type() & retry_if_exception(...)` (retrying 1.4's predicate never sees a
    `KeyboardInterrupt`), `retry_on_result` → `retry_if_exception_type() | retry_if_result(...)`
    (retrying still retries exceptions then); `reraise=True` unless `wrap_exception=True`.

    Left for a person, reported without a fix, the message saying why: `stop_func`, `wait_func`,
    `stop=`/`wait=` strategy names, `before_attempts`/`after_attempts`, `logger`, `**kwargs`,
    positional arguments, several wait kinds at once (retrying sleeps the longest, tenacity adds them),
    `wrap_exception=True` with `retry_on_exception`, `retry_on_exception=IOError` or any other
    exception class (a built-in one, the file's own, a library's such as
    `requests.exceptions.ConnectionError`, or a name spelled as one: `TransientError`), not a tuple:
    retrying calls it as a predicate and fails with TypeError at the first error, and tenacity would
    retry every exception (write `retry_on_exception=(X,)` or a predicate; a lowercase name is taken
    for a predicate), `retry` on an `async def` (retrying never retried
    coroutines), a `Retrying` object used other than through `.call(...)`, and other names of the
    module. A file where `RetryError` is caught is migrated whole or not at all.

    ## Fix safety
    Unsafe. Against retrying 1.4 (and later) the behaviour is kept: attempts, sleeps, the error
    raised and the value returned are the same (random waits stay within the same bounds; retrying
    draws whole milliseconds). Against retrying 1.3.x it is not: 1.3 caught every exception with a
    bare `except:`, so it also retried `KeyboardInterrupt`, `SystemExit` and `GeneratorExit` (and its
    `retry_on_exception` predicate saw them), while tenacity, like retrying 1.4, retries only
    `Exception` subclasses: a Ctrl-C or `sys.exit()` inside the retried function now stops at once
    instead of being retried, which is almost always what was meant. What a file cannot see stays a risk:
    another module calling `.call(...)` on a `Retrying` object this file exports, or catching
    `retrying.RetryError` from a function migrated here, must be migrated with it.

    ## References
    - https://tenacity.readthedocs.io/
    - https://github.com/rholder/retrying
    """

    code = "SVC301"
    name = "retrying-library"
    message = "`retrying` is unmaintained: migrate to tenacity"
    fix_safety = UNSAFE  # retrying before 1.4 also retried KeyboardInterrupt and SystemExit
    fast_path = FastPath(
        imports=(RETRYING,),
        sketch=True,
    )
    requires = (Requires("tenacity>=8", replaces="retrying"),)
    in_migrations = (FixStep("v2", "deprecations"),)
    examples = (
        Invalid("from retrying import retry\n\n@retry(stop_max_attempt_number=3, wait_fixed=2000)\n"
                "def fetch():\n    pass\n",
                fixed="from tenacity import retry, stop_after_attempt, wait_fixed\n\n"
                "@retry(stop=stop_after_attempt(3), wait=wait_fixed(2), reraise=True)\n"
                "def fetch():\n    pass\n"),
        Invalid("import retrying\n\n@retrying.retry(wait_exponential_multiplier=1000, wait_exponential_max=10000,"
                " stop_max_delay=30000)\ndef fetch():\n    pass\n",
                fixed="import tenacity\n\n@tenacity.retry(\n    stop=tenacity.stop_after_delay(30),\n"
                "    wait=tenacity.wait_exponential(multiplier=2, max=10),\n    reraise=True,\n)\n"
                "def fetch():\n    pass\n"),
        Invalid("import retrying as rt\n\n@rt.retry\ndef poll():\n    pass\n",
                fixed="import tenacity as rt\n\n@rt.retry(reraise=True)\ndef poll():\n    pass\n"),
        Invalid("from retrying import Retrying, RetryError\n\nretryer = Retrying(stop_max_attempt_number=4,"
                " retry_on_result=lambda r: r is None)\n\ndef load(key):\n    try:\n"
                "        return retryer.call(read, key)\n    except RetryError:\n        return None\n",
                fixed="from tenacity import (\n    Retrying,\n    RetryError,\n    retry_if_exception_type,\n"
                "    retry_if_result,\n    stop_after_attempt,\n)\n\nretryer = Retrying(\n"
                "    stop=stop_after_attempt(4),\n"
                "    retry=retry_if_exception_type() | retry_if_result(lambda r: r is None),\n    reraise=True,\n)\n\n"
                "def load(key):\n    try:\n        return retryer(read, key)\n    except RetryError:\n"
                "        return None\n"),
        Invalid("from retrying import retry\n\n@retry(\n    stop_max_attempt_number=5,\n"
                "    wait_random_min=100,\n    wait_random_max=1500,\n)\ndef send():\n    pass\n",
                fixed="from tenacity import retry, stop_after_attempt, wait_random\n\n@retry(\n"
                "    stop=stop_after_attempt(5),\n    wait=wait_random(0.1, 1.5),\n    reraise=True,\n)\n"
                "def send():\n    pass\n"),
        Invalid("from retrying import retry\n\n@retry(stop_func=give_up)\ndef send():\n    pass\n"),
        Invalid("from retrying import retry\n\n@retry(stop_max_attempt_number=3)\ndef a():\n    pass\n\n"
                "@retry(wait_func=backoff)\ndef b():\n    pass\n",
                fixed="from retrying import retry\nimport tenacity\n\n"
                "@tenacity.retry(stop=tenacity.stop_after_attempt(3), reraise=True)\ndef a():\n    pass\n\n"
                "@retry(wait_func=backoff)\ndef b():\n    pass\n", count=2),
        Invalid("from retrying import retry\n\n@retry(stop_max_attempt_number=3)\nasync def fetch():\n    pass\n"),
        Valid("from tenacity import retry, stop_after_attempt\n\n@retry(stop=stop_after_attempt(3))\n"
              "def fetch():\n    pass\n"),
        Valid("import tenacity\nimport retrying_helpers\n\n@retrying_helpers.retry(times=3)\ndef fetch():\n    pass\n"),
    )

    def reset(self) -> None:
        # .call(...) on Retrying objects, self.<attr> references to them, and how constructions are bound
        self.object_calls: Dict[int, cst.Call] = {}
        self.self_references: List[cst.Attribute] = []
        self.bound_to: Dict[int, Optional[cst.BaseExpression]] = {}  # id(construction) → target or None
        self.star_imports: List[cst.ImportFrom] = []
        # whether the file imports retrying at all: scopes (costly) are resolved only then
        self.imports_retrying = False

    def visit_Import(self, node: cst.Import) -> None:
        if any(dotted(alias.name) == RETRYING for alias in node.names):
            self.imports_retrying = True

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not node.relative and node.module is not None and dotted(node.module) == RETRYING:
            self.imports_retrying = True
        if isinstance(node.names, cst.ImportStar) and not node.relative and node.module is not None \
                and dotted(node.module) == RETRYING:
            self.star_imports.append(node)

    # -- collected during the walk (the svcmod resolver knows what objects were made by) ----------
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "call" \
                and self.created_by(func.value) == RETRYING_CLASS:
            self.object_calls[id(func.value)] = node

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name) and self.created_by(node) == RETRYING_CLASS:
            self.self_references.append(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._bound(node.value, [t.target for t in node.targets])

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bound(node.value, [node.target])

    def _bound(self, value: cst.BaseExpression, targets: List[cst.BaseExpression]) -> None:
        if not isinstance(value, cst.Call) or self.qualified_name(value.func) != RETRYING_CLASS:
            return
        target: Optional[cst.BaseExpression] = targets[0] if len(targets) == 1 else None
        # the target must keep referring to this object everywhere the resolver looks it up
        if target is not None and not (isinstance(target, (cst.Name, cst.Attribute))
                                       and self.created_by(target) == RETRYING_CLASS):
            target = None
        self.bound_to[id(value)] = target

    # -- the whole file at once -----------------------------------------------------------------
    def end_file(self) -> None:
        if self.star_imports:
            # the names it brings in cannot be followed: the whole file is left to a person
            for statement in self.star_imports:
                self.report(statement, message="`retrying` cannot be migrated to tenacity automatically here: "
                                               "`from retrying import *` hides which names are used")
            return
        if not self.imports_retrying:
            return  # every site below comes from an import of retrying
        module = self.file.module
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        scopes = wrapper.resolve(ScopeProvider)
        parents = wrapper.resolve(ParentNodeProvider)
        imports, references = self._retrying_imports(scopes)
        if not imports.statements:
            return
        # scopes hold sets: put everything back in source order (ParentNodeProvider walked it so)
        order = {id(node): index for index, node in enumerate(parents)}
        references.sort(key=lambda reference: order.get(id(reference[0]), 0))
        imports.from_imports.sort(key=lambda node: order.get(id(node), 0))
        sites = [self._classify(name, member, module_style, parents) for name, member, module_style in references]
        objects_reason = self._objects_reason(sites, scopes, parents)
        uses_last_attempt = "last_attempt" in module.code
        for site in sites:
            if site.reason is not None:
                continue
            if site.kind == "Retrying" and objects_reason:
                site.reason = objects_reason
            elif site.kind == "RetryError" and uses_last_attempt:
                site.reason = "tenacity's RetryError.last_attempt is a Future, not retrying's Attempt"
            elif site.kind in ("retry", "Retrying"):
                try:
                    translate(site.call, lambda name: name, lambda expr: _exception_kind(expr, scopes, parents))
                except CannotMigrate as error:
                    site.reason = str(error)
        objects = [s for s in sites if s.kind == "Retrying"]
        if any(s.reason is not None for s in objects):
            # .call(...) sites are not told apart by object: all Retrying objects move, or none
            for site in objects:
                if site.reason is None:
                    site.reason = "another Retrying object in this file cannot be migrated"
        blocked = [s for s in sites if s.reason is not None]
        whole = not blocked and not imports.foreign_names
        if blocked and any(s.kind == "RetryError" for s in sites):
            # converting some sites would raise tenacity's RetryError where retrying's is caught
            for site in sites:
                if site.reason is None:
                    site.reason = "RetryError is caught here and other uses of retrying cannot be migrated"
        fix = self._fix(module, imports, sites, whole, scopes, parents)
        visible = [s for s in sites if s.kind != "RetryError" or s.reason is not None]
        if not visible and fix is not None:
            for statement in imports.statements:
                self.report(statement, fix=fix)
            return
        for site in visible:
            if site.reason is not None:
                self.report(site.report_node, message=f"`retrying` cannot be migrated to tenacity "
                                                      f"automatically here: {site.reason}")
            else:
                self.report(site.report_node, fix=fix)

    def _retrying_imports(self, scopes) -> Tuple[_Imports, List[Tuple[cst.Name, str, bool]]]:
        """The imports of retrying, and every reference to what they bind: (name, member, module style)."""
        imports = _Imports()
        references: List[Tuple[cst.Name, str, bool]] = []
        seen: Set[int] = set()
        for scope in {s for s in scopes.values() if s is not None}:
            for assignment in scope.assignments:
                if not isinstance(assignment, ImportAssignment):
                    continue
                node = assignment.node
                member: Optional[str] = None
                module_style = False
                if isinstance(node, cst.Import):
                    for alias in node.names:
                        if dotted(alias.name) != RETRYING:
                            continue
                        local = alias.asname.name.value if alias.asname is not None else RETRYING
                        if local == assignment.name:
                            imports.module_aliases[alias] = alias.asname.name.value if alias.asname else None
                            module_style = True
                            member = ""
                elif isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None \
                        and dotted(node.module) == RETRYING:
                    for name, local in imported_names(node):
                        if local == assignment.name:
                            member = name
                            if node not in imports.from_imports:
                                imports.from_imports.append(node)
                            if name not in TWINS:
                                imports.foreign_names.add(name)
                if member is None:
                    continue
                if id(node) not in seen:
                    seen.add(id(node))
                    imports.statements.append(node)
                for access in assignment.references:
                    if isinstance(access.node, cst.Name):
                        references.append((access.node, member, module_style))
        return imports, references

    def _classify(self, name: cst.Name, member: str, module_style: bool, parents) -> _Site:
        expr: cst.BaseExpression = name
        if module_style:
            parent = parents.get(name)
            if not (isinstance(parent, cst.Attribute) and parent.value is name):
                return _Site("other", name, True, reason="the retrying module itself is used as a value")
            expr, member = parent, parent.attr.value
        parent = parents.get(expr)
        if member == "retry":
            if isinstance(parent, cst.Decorator):
                function = parents.get(parent)
                return _Site("retry", expr, module_style, reason=_async_reason(function))
            if isinstance(parent, cst.Call) and parent.func is expr:
                holder = parents.get(parent)
                function = parents.get(holder) if isinstance(holder, cst.Decorator) else None
                return _Site("retry", expr, module_style, call=parent, reason=_async_reason(function))
            return _Site("other", expr, module_style, reason="retry is used other than as a decorator")
        if member == "Retrying":
            if isinstance(parent, cst.Call) and parent.func is expr:
                site = _Site("Retrying", expr, module_style, call=parent)
                holder = parents.get(parent)
                if isinstance(holder, cst.Attribute) and holder.attr.value == "call" \
                        and self.object_calls.get(id(parent)) is parents.get(holder):
                    site.outer = self.object_calls[id(parent)]
                return site
            return _Site("Retrying", expr, module_style, reason="Retrying is used other than by calling it")
        if member == "RetryError":
            return _Site("RetryError", expr, module_style)
        return _Site("other", expr, module_style, reason=f"retrying.{member} has no tenacity twin")

    def _objects_reason(self, sites: List[_Site], scopes, parents) -> Optional[str]:
        """Why the file's Retrying objects cannot be migrated: every use must be a visible ``.call``."""
        escaped = "a Retrying object is used other than through .call(...)"
        receivers = set(self.object_calls)
        targets: Set[int] = set()
        self_targets: Set[str] = set()
        for site in sites:
            if site.kind != "Retrying" or site.outer is not None:
                continue
            if site.call is None:
                return escaped
            target = self.bound_to.get(id(site.call))
            if target is None:
                return escaped
            targets.add(id(target))
            if isinstance(target, cst.Attribute):
                self_targets.add(target.attr.value)
                continue
            assert isinstance(target, cst.Name)
            scope = scopes.get(target)
            if scope is None:
                return escaped
            for assignment in scope.assignments[target.value]:
                if not isinstance(assignment, Assignment) or assignment.node is not target:
                    continue
                for access in assignment.references:
                    if id(access.node) not in receivers:
                        return escaped
        for reference in self.self_references:
            if id(reference) not in receivers and id(reference) not in targets:
                return escaped
        return None

    def _fix(self, module: cst.Module, imports: _Imports, sites: List[_Site], whole: bool,
             scopes, parents) -> Optional[Fix]:
        replacements: Dict[cst.CSTNode, cst.CSTNode] = {}
        additions: List[AddImport] = []

        # in a whole migration, helpers join the rewritten ``from retrying import …`` at module level
        host = next((s for s in imports.from_imports if isinstance(scopes.get(s), GlobalScope)), None) \
            if whole else None
        joined: List[str] = []

        def referenced(name: str) -> str:
            text, needed = self.reference(f"{TENACITY}.{name}")
            if host is not None and needed == (AddImport(TENACITY, name),):
                if name not in joined:
                    joined.append(name)
                return text
            additions.extend(needed)
            return text

        def spelling(site: _Site) -> Tuple[cst.BaseExpression, Callable[[str], str]]:
            """The callee for ``site`` and how its tenacity helpers are spelled."""
            if whole and not site.module_style:
                return site.expr, referenced  # the name now comes from tenacity's import
            if whole:
                prefix = _module_prefix(site.expr)
            else:
                text = referenced(site.kind)
                if "." not in text:
                    return cst.parse_expression(text), referenced
                prefix = text.rsplit(".", 1)[0]
            return cst.parse_expression(f"{prefix}.{site.kind}"), lambda name: f"{prefix}.{name}"

        def exception_kind(expr: cst.BaseExpression) -> Optional[str]:
            return _exception_kind(expr, scopes, parents)

        convertible = [s for s in sites if s.reason is None]
        if not convertible and not (whole and imports.statements):
            return None
        for site in convertible:
            if site.kind == "RetryError":
                if whole and site.module_style and _module_prefix(site.expr) == TENACITY:
                    replacements[site.expr] = cst.parse_expression(f"{TENACITY}.RetryError")
                continue
            func, spell = spelling(site)
            arguments = translate(site.call, spell, exception_kind)
            if site.call is None:
                replacements[site.expr] = bare_call(func, arguments)
                continue
            new_call = with_arguments(site.call, func, arguments)
            if site.outer is not None:
                replacements[site.outer] = site.outer.with_changes(func=new_call)
            else:
                replacements[site.call] = new_call
        if any(s.kind == "Retrying" for s in convertible):
            for receiver, call in self.object_calls.items():
                if call not in replacements:
                    assert isinstance(call.func, cst.Attribute)
                    replacements[call] = call.with_changes(func=call.func.value)
        if whole:
            for alias in imports.module_aliases:
                replacements[alias] = retarget_import_alias(alias)
            # a file that already imports from tenacity keeps one such import: the later of the two
            # joins the earlier (its blank lines and comments above stay with the earlier one)
            existing = existing_import_from(module, TENACITY) \
                if host is not None and all(local == name for name, local in imported_names(host)) else None
            for statement in imports.from_imports:
                if statement is host and existing is not None:
                    if _position(module, host) < _position(module, existing):
                        replacements[host] = merged_import_from(host, existing, joined)
                        replacements[existing] = cst.RemoveFromParent()
                    else:
                        replacements[host] = cst.RemoveFromParent()
                        additions.extend(AddImport(TENACITY, name) for name, _ in imported_names(host))
                        additions.extend(AddImport(TENACITY, name) for name in joined)
                else:
                    replacements[statement] = retarget_import_from(statement, sorted(joined) if statement is host else ())
        if not replacements:
            return None
        return Fix(replacements, UNSAFE, "migrate retrying to tenacity (behaviour of retrying 1.4 kept)",
                   tuple(dict.fromkeys(additions)))


def _position(module: cst.Module, node: cst.CSTNode) -> int:
    """The index of the module-level statement holding ``node``."""
    for index, statement in enumerate(module.body):
        if isinstance(statement, cst.SimpleStatementLine) and any(small is node for small in statement.body):
            return index
    return len(module.body)


def _module_prefix(expr: cst.BaseExpression) -> str:
    """How the migrated file names tenacity where ``expr`` named retrying: an alias stays."""
    assert isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
    local = expr.value.value
    return TENACITY if local == RETRYING else local


def _is_async(function: Optional[cst.CSTNode]) -> bool:
    return isinstance(function, cst.FunctionDef) and function.asynchronous is not None


def _async_reason(function: Optional[cst.CSTNode]) -> Optional[str]:
    if _is_async(function):
        return ("retrying never retried a coroutine (the call returns before it runs); "
                "tenacity would retry it")
    return None


def _is_builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, BaseException)


def _has_star_import(parents) -> bool:
    """Whether the file has a ``from … import *`` (which may bind any name, a builtin's too)."""
    return any(isinstance(node, cst.ImportStar) for node in parents)


#: Modules whose public names are all exception classes (``requests.exceptions.ConnectionError``).
EXCEPTION_MODULES = (
    "requests.exceptions", "urllib3.exceptions", "redis.exceptions", "botocore.exceptions",
    "boto3.exceptions", "kombu.exceptions", "celery.exceptions", "pymongo.errors", "psycopg2.errors",
    "sqlalchemy.exc", "aiohttp.client_exceptions", "httpx._exceptions", "grpc.aio._call",
)
#: Exception classes of libraries spelled where no name says so (re-exports, lowercase stdlib classes).
EXCEPTION_CLASSES = frozenset({
    "requests.RequestException", "requests.Timeout", "requests.ConnectTimeout", "requests.ReadTimeout",
    "requests.ConnectionError", "requests.HTTPError", "requests.TooManyRedirects", "requests.URLRequired",
    "requests.JSONDecodeError", "socket.timeout", "socket.error", "socket.gaierror", "socket.herror",
    "select.error", "os.error",
})
#: What exception classes are called: ``TransientError``, ``ReadTimeout``, ``ConnectFailure``.
EXCEPTION_CLASS_NAME = re.compile(r"_?(?:[A-Z][A-Za-z0-9]*)?(?:Error|Exception|Timeout|Failure)")


def _library_exception_class(qualified: str) -> bool:
    module, _, name = qualified.rpartition(".")
    return qualified in EXCEPTION_CLASSES or (module in EXCEPTION_MODULES and not name.startswith("_"))


def _qualified_names(expr: cst.BaseExpression, scope) -> Set[str]:
    """What an imported ``expr`` names (``requests.exceptions.ConnectionError`` for ``ConnectionError``
    after ``from requests.exceptions import ConnectionError``); empty when it is not imported."""
    return {q.name for q in scope.get_qualified_names_for(expr) if q.source is QualifiedNameSource.IMPORT}


def _class_kind(expr: cst.BaseExpression, scope) -> Optional[str]:
    """"exception class" for a library exception class ``expr`` names through the file's imports,
    "exception class by name" for one called as exception classes are; None otherwise."""
    if scope is not None and any(_library_exception_class(q) for q in _qualified_names(expr, scope)):
        return "exception class"
    last = expr.attr.value if isinstance(expr, cst.Attribute) else expr.value if isinstance(expr, cst.Name) else ""
    return "exception class by name" if EXCEPTION_CLASS_NAME.fullmatch(last) else None


def _exception_kind(expr: cst.BaseExpression, scopes, parents) -> Optional[str]:
    """"types" for a tuple of exception classes (retrying checks isinstance against it), "predicate"
    for a function, "exception class" for a built-in one (``IOError``) no name of the file hides, a
    class of the file or a library's exception class it imports (``requests.exceptions.Timeout``),
    "exception class by name" for a name that is not known but is spelled as exception classes are
    (``TransientError``), None when the file does not say (an imported ``is_transient``, say)."""
    if isinstance(expr, cst.Tuple):
        return "types"
    if isinstance(expr, cst.Lambda):
        return "predicate"
    if isinstance(expr, cst.Attribute):
        return _class_kind(expr, scopes.get(expr))
    if not isinstance(expr, cst.Name):
        return None
    scope = scopes.get(expr)
    if scope is None:
        return _class_kind(expr, None)
    assignments = scope[expr.value]
    if assignments and all(isinstance(a, BuiltinAssignment) for a in assignments) \
            and _is_builtin_exception(expr.value) and not _has_star_import(parents):
        return "exception class"
    if assignments and all(isinstance(a, ImportAssignment) for a in assignments):
        return _class_kind(expr, scope)
    kinds = set()
    for assignment in assignments:
        if not isinstance(assignment, Assignment) or isinstance(assignment, ImportAssignment):
            return _class_kind(expr, scope)
        node = assignment.node
        if isinstance(node, cst.FunctionDef):
            kinds.add("predicate")
            continue
        if isinstance(node, cst.ClassDef):
            kinds.add("exception class")
            continue
        target_parent = parents.get(node)
        statement = parents.get(target_parent) if isinstance(target_parent, cst.AssignTarget) else None
        if isinstance(statement, cst.Assign) and isinstance(statement.value, cst.Tuple):
            kinds.add("types")
        elif isinstance(statement, cst.Assign) and isinstance(statement.value, cst.Lambda):
            kinds.add("predicate")
        else:
            return _class_kind(expr, scope)
    if not kinds:
        return _class_kind(expr, scope)  # not bound anywhere the file shows: a star import, say
    return kinds.pop() if len(kinds) == 1 else None

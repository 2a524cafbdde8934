"""A cheap name resolver: what imported name or object a callee refers to, without ScopeProvider.

One pass over the statements of a module (never over expressions) records, per scope, what each
name is bound to: an imported module or attribute (``import requests as rq``), or a value created by
a call (``s = requests.Session()``, ``with Session() as s``, ``self.s = Session()`` in any method,
``def f(s: requests.Session)``). Any other binding of a name in a scope shadows outer ones, and a
name bound to two different things in one scope is unknown: precision over recall.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from svcmod.fastpath.prefilter import answered_per_text
from svcmod.rule import AddImport, descendants, dotted

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.check.project_index import View

UNKNOWN = object()
#: ``x = None``: a placeholder (``self.proc = None`` in ``__init__``, the real value set later). It
#: does not make a name unknown, since calling a method on None fails anyway.
PLACEHOLDER = object()


class Alias:
    """The name refers to an imported module, class or function; ``alternatives`` are what a guarded
    import binds it to instead (``except ImportError:`` or the ``else`` of a version test)."""

    __slots__ = ("qualified", "alternatives")

    def __init__(self, qualified: str, alternatives: Tuple[str, ...] = ()) -> None:
        self.qualified = qualified
        self.alternatives = alternatives

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Alias) and other.qualified == self.qualified


class Value:
    """The name refers to the result of calling ``creator`` (a qualified name). ``overrides``: the
    methods a subclass of ``creator`` defines itself (``s.request`` is then not ``creator``'s)."""

    __slots__ = ("creator", "overrides")

    def __init__(self, creator: str, overrides: FrozenSet[str] = frozenset()) -> None:
        self.creator = creator
        self.overrides = overrides

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and other.creator == self.creator and other.overrides == self.overrides


class Factory:
    """The name refers to a callable whose call makes a value as calling ``creator`` does: a class
    of the module that subclasses an imported one (``class Api(requests.Session)``), or, through the
    project index, a function of another module that returns such a value."""

    __slots__ = ("creator", "overrides")

    def __init__(self, creator: str, overrides: FrozenSet[str] = frozenset()) -> None:
        self.creator = creator
        self.overrides = overrides

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Factory) and other.creator == self.creator and other.overrides == self.overrides


Binding = Union[Alias, Value, Factory, object]


class Scope:
    __slots__ = ("bindings", "parent", "self_name", "klass", "modules")

    def __init__(self, parent: Optional["Scope"]) -> None:
        self.bindings: Dict[str, Binding] = {}
        self.parent = parent
        self.self_name: Optional[str] = None  # first parameter of a method
        self.klass: Optional["ClassScope"] = None  # class of a method
        #: modules the scope's own import statements import, with their dotted prefixes (None: none)
        self.modules: Optional[Set[str]] = None

    def imported(self, module: Optional[str]) -> None:
        if module is None or module.startswith("."):
            return
        if self.modules is None:
            self.modules = set()
        parts = module.split(".")
        self.modules.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))

    def bind(self, name: str, binding: Binding) -> None:
        old = self.bindings.get(name)
        if old is None or old is PLACEHOLDER:
            self.bindings[name] = binding
        elif binding is PLACEHOLDER:
            return
        elif old is not UNKNOWN and old != binding:
            self.bindings[name] = UNKNOWN

    def bind_fallback(self, name: str, binding: Binding) -> None:
        """Bind ``name`` as the fallback branch of a guarded import does: an import of the same
        name under another path is an alternative, not a conflict that makes the name unknown."""
        old = self.bindings.get(name)
        if isinstance(old, Alias) and isinstance(binding, Alias):
            if binding.qualified != old.qualified and binding.qualified not in old.alternatives:
                self.bindings[name] = Alias(old.qualified, old.alternatives + (binding.qualified,))
            return
        self.bind(name, binding)


class ClassScope(Scope):
    __slots__ = ("attributes",)

    def __init__(self, parent: Optional[Scope]) -> None:
        super().__init__(parent)
        self.attributes = Scope(None)  # self.<name> bindings from every method


class Names:
    """Bindings of one module, and resolution of expressions against them."""

    def __init__(self, module: cst.Module, project: Optional["View"] = None) -> None:
        self.module_scope = Scope(None)
        self.scopes: Dict[cst.CSTNode, Scope] = {}
        #: what the project index and declared clients say a qualified name is (None: nothing)
        self._project = project
        #: an import statement in one branch of a guarded import -> what the other branches import
        self.guarded: Dict[cst.CSTNode, FrozenSet[str]] = {}
        self._fallback = 0  # inside the fallback branch of a guarded import
        self._collect(module.body, self.module_scope, None)

    def uses_elsewhere(self, local: str) -> FrozenSet[Tuple[str, str]]:
        """How other modules of the project use this module's top-level ``local`` (``conn``, or
        ``get_client()`` for what that function returns): (module, use) pairs from the project
        index (``svcmod.check.project_index.module_names``); empty without a project."""
        return self._project.uses_of(local) if self._project is not None else frozenset()

    def other_branch_imports(self, statement: cst.CSTNode) -> FrozenSet[str]:
        """For an ``Import``/``ImportFrom`` in a branch of ``try: … except ImportError: …`` (or of an
        ``if`` on a version), the qualified names the other branches import; empty elsewhere."""
        return self.guarded.get(statement, frozenset())

    # -- collection ------------------------------------------------------------------------
    def _collect(self, body: Sequence[cst.CSTNode], scope: Scope, klass: Optional[ClassScope]) -> None:
        for stmt in body:
            if type(stmt) is cst.SimpleStatementLine:
                for small in stmt.body:
                    self._small(small, scope, klass)
            elif isinstance(stmt, cst.FunctionDef):
                self._function(stmt, scope, klass)
            elif isinstance(stmt, cst.ClassDef):
                scope.bind(stmt.name.value, self._class_binding(stmt, scope))
                class_scope = ClassScope(scope)
                self.scopes[stmt] = class_scope
                self._collect(_body(stmt.body), class_scope, class_scope)
            else:
                self._compound(stmt, scope, klass)

    def _compound(self, stmt: cst.CSTNode, scope: Scope, klass: Optional[ClassScope]) -> None:
        if isinstance(stmt, (cst.With,)):
            for item in stmt.items:
                if item.asname is not None:
                    self._assign(item.asname.name, item.item, scope, klass)
        elif isinstance(stmt, (cst.For,)):
            self._assign(stmt.target, None, scope, klass)
        if isinstance(stmt, cst.Try) and _catches_import_error(stmt):
            self._guarded_try(stmt, scope, klass)
            return
        if isinstance(stmt, cst.If) and isinstance(stmt.orelse, cst.Else) and _tests_version(stmt.test):
            self._mark_branches([_body(stmt.body), _body(stmt.orelse.body)])
            self._collect(_body(stmt.body), scope, klass)
            self._fallback += 1
            try:
                self._collect(_body(stmt.orelse.body), scope, klass)
            finally:
                self._fallback -= 1
            return
        if isinstance(stmt, cst.Try) or isinstance(stmt, getattr(cst, "TryStar", cst.Try)):
            for handler in stmt.handlers:
                if handler.name is not None:
                    self._assign(handler.name.name, None, scope, klass)
                self._collect(_body(handler.body), scope, klass)
        for attr in ("body", "orelse", "finalbody"):
            part = getattr(stmt, attr, None)
            if part is None:
                continue
            if isinstance(part, (cst.Else, cst.Finally)):
                part = part.body
            if isinstance(part, cst.If):  # elif chain
                self._compound(part, scope, klass)
            else:
                self._collect(_body(part), scope, klass)
        if isinstance(stmt, cst.Match) if hasattr(cst, "Match") else False:
            for case in stmt.cases:
                self._collect(_body(case.body), scope, klass)

    def _guarded_try(self, stmt: cst.Try, scope: Scope, klass: Optional[ClassScope]) -> None:
        """``try: import a / except ImportError: import b``: the body's names first, the handlers'
        as alternatives of them."""
        self._mark_branches([_body(stmt.body)] + [_body(h.body) for h in stmt.handlers])
        self._collect(_body(stmt.body), scope, klass)
        self._fallback += 1
        try:
            for handler in stmt.handlers:
                if handler.name is not None:
                    self._assign(handler.name.name, None, scope, klass)
                self._collect(_body(handler.body), scope, klass)
        finally:
            self._fallback -= 1
        for part in (stmt.orelse, stmt.finalbody):
            if part is not None:
                self._collect(_body(part.body), scope, klass)

    def _mark_branches(self, branches: Sequence[Sequence[cst.CSTNode]]) -> None:
        imported = [_imports_of(branch) for branch in branches]
        for index, branch in enumerate(imported):
            others = frozenset(name for other, names in enumerate(imported) if other != index
                               for _, qualified in names for name in qualified)
            for statement, _ in branch:
                self.guarded[statement] = others

    def _function(self, fn: cst.FunctionDef, scope: Scope, klass: Optional[ClassScope]) -> None:
        scope.bind(fn.name.value, UNKNOWN)
        # functions do not see class scopes
        outer = scope
        while isinstance(outer, ClassScope):
            outer = outer.parent
        inner = Scope(outer)
        self.scopes[fn] = inner
        params = fn.params
        all_params = [*params.posonly_params, *params.params, *params.kwonly_params]
        for extra in (params.star_arg, params.star_kwarg):
            if isinstance(extra, cst.Param):
                all_params.append(extra)
        for param in all_params:
            binding: Binding = UNKNOWN
            if param.annotation is not None:
                annotated = self._annotated(param.annotation.annotation, outer)
                if annotated is not None:
                    binding = Value(annotated)
            inner.bindings[param.name.value] = binding
        if klass is not None and all_params and not _is_static(fn):
            inner.self_name = all_params[0].name.value
            inner.klass = klass
        self._collect(_body(fn.body), inner, None)
        # methods' self.x assignments were gathered into the class while walking the body

    def _small(self, small: cst.BaseSmallStatement, scope: Scope, klass: Optional[ClassScope]) -> None:
        if type(small) not in _BINDING_STATEMENTS:
            return  # most are calls and returns: not checked against each kind below (ABC isinstance is slow)
        if isinstance(small, cst.Import):
            for alias in small.names:
                name = dotted(alias.name)
                if name is None:
                    continue
                scope.imported(name)
                bind = scope.bind_fallback if self._fallback else scope.bind
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    bind(alias.asname.name.value, Alias(name))
                else:
                    top = name.split(".")[0]
                    bind(top, Alias(top))
        elif isinstance(small, cst.ImportFrom):
            if small.module is None or small.relative:
                base = "." * len(small.relative) + (dotted(small.module) or "" if small.module else "")
            else:
                base = dotted(small.module) or ""
                scope.imported(base)
            if isinstance(small.names, cst.ImportStar):
                return
            for alias in small.names:
                name = dotted(alias.name)
                if name is None:
                    continue
                local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
                qualified = f"{base}.{name}" if not base.endswith(".") else f"{base}{name}"
                known = self._project.binding(qualified) if self._project is not None else None
                bind = scope.bind_fallback if self._fallback else scope.bind
                bind(local, known if known is not None else Alias(qualified))
        elif isinstance(small, cst.Assign):
            for target in small.targets:
                self._assign(target.target, small.value, scope, klass)
        elif isinstance(small, cst.AnnAssign):
            value: Optional[cst.BaseExpression] = small.value
            annotated = self._annotated(small.annotation.annotation, scope)
            if annotated is not None:
                self._bind_target(small.target, Value(annotated), scope)
            else:
                self._assign(small.target, value, scope, klass)
        elif isinstance(small, cst.AugAssign):
            self._assign(small.target, None, scope, klass)
        elif isinstance(small, (cst.Global, cst.Nonlocal)):
            for item in small.names:
                scope.bindings[item.name.value] = UNKNOWN

    def _assign(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression],
                scope: Scope, klass: Optional[ClassScope]) -> None:
        binding: Binding = UNKNOWN
        if value is not None:
            binding = self._binding_of(value, scope)
        self._bind_target(target, binding, scope)

    def _bind_target(self, target: cst.BaseExpression, binding: Binding, scope: Scope) -> None:
        if isinstance(target, cst.Name):
            scope.bind(target.value, binding)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, UNKNOWN, scope)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, UNKNOWN, scope)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            method = scope
            if method.self_name is not None and target.value.value == method.self_name and method.klass:
                method.klass.attributes.bind(target.attr.value, binding)

    def _binding_of(self, value: cst.BaseExpression, scope: Scope) -> Binding:
        if isinstance(value, cst.Name) and value.value == "None":
            return PLACEHOLDER
        if isinstance(value, cst.Await):
            value = value.expression
        if isinstance(value, (cst.Name, cst.Attribute)):
            alias = self.qualified_name_in(value, scope)
            if alias is not None:
                return Alias(alias)
            if isinstance(value, cst.Name):
                found = self._find(value.value, scope)
                if isinstance(found, Factory):
                    return found
        made = self._value_of(value, scope)
        return made if made is not None else UNKNOWN

    def _class_binding(self, klass: cst.ClassDef, scope: Scope) -> Binding:
        """A class with one base that is an imported class (or such a subclass) and that defines
        only special methods (``__init__``): calling it makes a value as calling the base does. One
        that defines any other method may change what every method does (``request`` setting a
        default timeout that ``get`` goes through): unknown."""
        bases = [arg for arg in klass.bases if arg.keyword is None]
        if len(bases) != 1 or bases[0].star:
            return UNKNOWN
        own = frozenset(stmt.name.value for stmt in _body(klass.body) if isinstance(stmt, cst.FunctionDef))
        if any(not (name.startswith("__") and name.endswith("__")) for name in own):
            return UNKNOWN
        base = bases[0].value
        if isinstance(base, cst.Name):
            found = self._find(base.value, scope)
            if isinstance(found, Factory):
                return Factory(found.creator, found.overrides | own)
        qualified = self.qualified_name_in(base, scope)
        if qualified is None:
            return UNKNOWN
        return Factory(qualified, own)

    def _value_of(self, expr: cst.BaseExpression, scope: Scope) -> Optional[Value]:
        """What made the value ``expr`` refers to: a call, a name bound to a call's result,
        ``self.x`` set in a method, or either side of ``x if c else Session()`` / ``x or Session()``
        when the other side is None or a name of unknown value (an injected session: the default
        says what it is)."""
        if isinstance(expr, cst.Await):
            expr = expr.expression
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Name):
                found = self._find(func.value, scope)
                if isinstance(found, Factory):
                    return Value(found.creator, found.overrides)
            creator = self.qualified_name_in(func, scope)
            if creator is None:
                return self._project_value(func, scope, Factory)
            return Value(creator)
        if isinstance(expr, cst.Name):
            binding = self._find(expr.value, scope)
            return binding if isinstance(binding, Value) else None
        if isinstance(expr, cst.Attribute):
            if isinstance(expr.value, cst.Name):
                method = self._method_scope(scope)
                if method is not None and expr.value.value == method.self_name and method.klass is not None:
                    binding = method.klass.attributes.bindings.get(expr.attr.value)
                    if binding is None:
                        binding = method.klass.bindings.get(expr.attr.value)
                    return binding if isinstance(binding, Value) else None
            return self._project_value(expr, scope, Value)
        if isinstance(expr, cst.IfExp):
            return self._either(expr.body, expr.orelse, scope)
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            return self._either(expr.left, expr.right, scope)
        return None

    def _either(self, first: cst.BaseExpression, second: cst.BaseExpression, scope: Scope) -> Optional[Value]:
        made = None
        for side in (first, second):
            if isinstance(side, cst.Name) and side.value == "None":
                continue
            value = self._value_of(side, scope)
            if value is None:
                if not self._unknown_name(side, scope):
                    return None
            elif made is None:
                made = value
            elif made != value:
                return None
        return made

    def _unknown_name(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        """A name (or ``self.name``) nothing in view says the value of: a parameter, mostly."""
        if isinstance(expr, cst.Name):
            return self._find(expr.value, scope) in (None, UNKNOWN, PLACEHOLDER)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            method = self._method_scope(scope)
            if method is not None and expr.value.value == method.self_name and method.klass is not None:
                binding = method.klass.attributes.bindings.get(expr.attr.value)
                return binding in (None, UNKNOWN, PLACEHOLDER)
        return False

    def _project_value(self, expr: cst.BaseExpression, scope: Scope, kind: type) -> Optional[Value]:
        """``pkg.mod.session`` (``kind`` Value) or ``pkg.mod.make_session`` (Factory) read through
        a module imported whole, as the project index records it."""
        if self._project is None or not isinstance(expr, cst.Attribute):
            return None
        base = self.qualified_name_in(expr.value, scope)
        if base is None:
            return None
        known = self._project.binding(f"{base}.{expr.attr.value}")
        if isinstance(known, kind):
            return Value(known.creator, known.overrides)  # type: ignore[attr-defined]
        return None

    def _annotated(self, annotation: cst.BaseExpression, scope: Scope) -> Optional[str]:
        """The class an annotation names: ``X`` for ``X``, ``"X"``, ``Optional[X]``, ``X | None``,
        ``Union[X, None]`` and generics ``X[int]``; None for anything else."""
        if isinstance(annotation, cst.SimpleString):
            text = annotation.evaluated_value
            try:
                annotation = cst.parse_expression(text if isinstance(text, str) else text.decode())
            except Exception:  # any text that is not an expression is just not understood
                return None
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            sides = [annotation.left, annotation.right]
            others = [side for side in sides if not (isinstance(side, cst.Name) and side.value == "None")]
            return self._annotated(others[0], scope) if len(others) == 1 else None
        if isinstance(annotation, cst.Subscript):
            outer = self.qualified_name_in(annotation.value, scope)
            if outer in ("typing.Optional", "typing.Union"):
                members = [element.slice.value for element in annotation.slice
                           if isinstance(element.slice, cst.Index)]
                others = [m for m in members if not (isinstance(m, cst.Name) and m.value == "None")]
                return self._annotated(others[0], scope) if len(others) == 1 else None
            return outer
        return self.qualified_name_in(annotation, scope)

    # -- resolution ------------------------------------------------------------------------
    def scope_for(self, stack: Sequence[cst.CSTNode]) -> Scope:
        for node in reversed(stack):
            scope = self.scopes.get(node)
            if scope is not None:
                return scope
        return self.module_scope

    def qualified_name(self, expr: cst.BaseExpression, stack: Sequence[cst.CSTNode] = ()) -> Optional[str]:
        return self.qualified_name_in(expr, self.scope_for(stack))

    def created_by(self, expr: cst.BaseExpression, stack: Sequence[cst.CSTNode] = ()) -> Optional[str]:
        return self.created_by_in(expr, self.scope_for(stack))

    def bound_locally(self, name: str, stack: Sequence[cst.CSTNode] = ()) -> bool:
        """True when a function or class around the current node binds ``name``: a fix that adds a
        module-level import of ``name`` would not be seen there."""
        scope: Optional[Scope] = self.scope_for(stack)
        while scope is not None and scope is not self.module_scope:
            if name in scope.bindings:
                return True
            scope = scope.parent
        return False

    def imports(self, module: str, stack: Sequence[cst.CSTNode] = ()) -> bool:
        """Whether an import statement of the current node's scope, or of a scope around it up to
        the module, imports ``module``, a submodule of it, or a name from it. The fast path's
        import scan (``imported_modules``) reads at least as much, so a rule may ask this where
        its ``FastPath.imports`` is all that tells the file uses the library."""
        scope: Optional[Scope] = self.scope_for(stack)
        while scope is not None:
            if scope.modules is not None and module in scope.modules:
                return True
            scope = scope.parent
        return False

    def reference_here(self, qualified: str, stack: Sequence[cst.CSTNode] = ()
                       ) -> Optional[Tuple[str, Tuple[AddImport, ...]]]:
        """``reference(qualified)`` if it means ``qualified`` at the current node, else None: when a
        local name would hide it, or the import it needs would rebind a name the module uses."""
        text, imports = self.reference(qualified)
        if self.bound_locally(text.split(".")[0], stack):
            return None
        for needed in imports:
            bound = needed.alias or needed.name or needed.module.split(".")[0]
            if bound in self.module_scope.bindings:
                return None
        return text, imports

    def _find(self, name: str, scope: Optional[Scope]) -> Optional[Binding]:
        # a function's own bindings, then enclosing functions and the module; class scopes are
        # only visible to code directly in the class body
        first = True
        while scope is not None:
            if first or not isinstance(scope, ClassScope):
                binding = scope.bindings.get(name)
                if binding is not None:
                    return binding
            first = False
            scope = scope.parent
        return None

    def qualified_name_in(self, expr: cst.BaseExpression, scope: Scope) -> Optional[str]:
        if isinstance(expr, cst.Name):
            binding = self._find(expr.value, scope)
            return binding.qualified if isinstance(binding, Alias) else None
        if isinstance(expr, cst.Attribute):
            base = expr.value
            attr = expr.attr.value
            qualified = self.qualified_name_in(base, scope)
            if qualified is not None:
                qualified = f"{qualified}.{attr}"
            else:
                made = self._value_of(base, scope)
                if made is None or attr in made.overrides:
                    return None
                qualified = f"{made.creator}.{attr}"
            if self._project is not None:
                known = self._project.binding(qualified)
                if isinstance(known, Alias):
                    return known.qualified
                if known is not None:
                    return None  # a value or a factory: see _value_of
            return qualified
        return None

    def created_by_in(self, expr: cst.BaseExpression, scope: Scope) -> Optional[str]:
        made = self._value_of(expr, scope)
        return made.creator if made is not None else None

    @staticmethod
    def _method_scope(scope: Optional[Scope]) -> Optional[Scope]:
        while scope is not None:
            if scope.self_name is not None:
                return scope
            scope = scope.parent
        return None

    # -- references for fixes --------------------------------------------------------------
    def reference(self, qualified: str) -> Tuple[str, Tuple[AddImport, ...]]:
        """How to write ``qualified`` in this module, adding an import only when needed."""
        bindings = self.module_scope.bindings
        best: Optional[Tuple[str, str]] = None
        for local, binding in bindings.items():
            if not isinstance(binding, Alias):
                continue
            target = binding.qualified
            if target == qualified:
                return local, ()
            if qualified.startswith(target + ".") and (best is None or len(target) > len(best[1])):
                best = (local, target)
        if best is not None:
            return best[0] + qualified[len(best[1]):], ()
        module, _, name = qualified.rpartition(".")
        if not module:
            return qualified, (AddImport(qualified),)
        if name not in bindings:
            return name, (AddImport(module, name),)
        return qualified, (AddImport(module),)


#: The small statements that bind names (LibCST's node classes have no subclasses).
_BINDING_STATEMENTS = frozenset({cst.Import, cst.ImportFrom, cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Global,
                                 cst.Nonlocal})


def _body(body: cst.CSTNode) -> Sequence[cst.CSTNode]:
    inner = getattr(body, "body", ())
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=body.body)]
    return inner


_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
#: Words in an ``if`` test that choose between versions of a library or of Python.
_VERSION_WORDS = ("version_info", "__version__", "VERSION", "PY2", "PY3", "PY37", "PY38", "PY39", "PY310",
                  "PY311", "PY312")


def _catches_import_error(stmt: cst.Try) -> bool:
    for handler in stmt.handlers:
        caught = handler.type
        names = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
        if any((dotted(n) or "").rpartition(".")[2] in _IMPORT_ERRORS for n in names if n is not None):
            return True
    return False


def _tests_version(test: cst.BaseExpression) -> bool:
    for node in descendants(test):
        if isinstance(node, cst.Name) and node.value in _VERSION_WORDS:
            return True
        if isinstance(node, cst.Attribute) and node.attr.value in _VERSION_WORDS:
            return True
    return False


def _imports_of(body: Sequence[cst.CSTNode]) -> List[Tuple[cst.CSTNode, Tuple[str, ...]]]:
    """The import statements directly in ``body`` and the qualified names each imports."""
    found: List[Tuple[cst.CSTNode, Tuple[str, ...]]] = []
    for stmt in body:
        if type(stmt) is not cst.SimpleStatementLine:
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                found.append((small, tuple(n for a in small.names if (n := dotted(a.name)))))
            elif isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative \
                    and not isinstance(small.names, cst.ImportStar):
                base = dotted(small.module) or ""
                found.append((small, tuple(f"{base}.{n}" for a in small.names if (n := dotted(a.name)))))
    return found


def _is_static(fn: cst.FunctionDef) -> bool:
    for decorator in fn.decorators:
        if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value == "staticmethod":
            return True
    return False


@answered_per_text(1)  # the checker asks first, then the worker for the project index's record of the file
def imported_modules(source: bytes) -> frozenset:
    """Modules a source imports, read from its text without parsing (for the prefilter).

    Every dotted prefix is included (``import urllib.request`` gives ``urllib`` and
    ``urllib.request``). It must never miss an import Python would run, so it reads more than
    imports: any ``import``/``from`` that starts a line or follows ``;``, ``:`` or ``#`` (``try:
    import x``, ``else: from y import z``), with any whitespace between the words (tabs, form
    feeds), over ``\\`` continuations (``import os, \\`` + ``requests``). Imports in strings and
    comments are counted too: harmless, the file is just parsed.
    """
    found: set = set()
    start = 0
    find = source.find
    while True:
        at = find(b"import", start)
        if at < 0:
            break
        line_start = physical_start = source.rfind(b"\n", 0, at) + 1
        # a line continued from the one above (``from x \\`` + ``import y``) starts there
        while line_start and _continued(source, line_start - 1):
            line_start = source.rfind(b"\n", 0, line_start - 1) + 1
        line_end = find(b"\n", at)
        while line_end >= 0 and _continued(source, line_end):
            line_end = find(b"\n", line_end + 1)
        if line_end < 0:
            line_end = len(source)
        logical = source[line_start:line_end]
        if b"\\" in logical:
            logical = logical.replace(b"\\\r\n", b" ").replace(b"\\\n", b" ").replace(b"\\\r", b" ")
            if physical_start != line_start:  # the backslash above may end a comment: no continuation
                logical += b";" + source[physical_start:line_end]
        # (a lone CR ends a line too)
        for statement in logical.replace(b":", b";").replace(b"#", b";").replace(b"\r", b";").split(b";"):
            words = statement.lstrip(b"\xef\xbb\xbf \t\f\v\r").split()
            if len(words) < 2:
                continue
            if words[0] == b"from":
                _add_dotted(found, b"".join(words[1:words.index(b"import")] if b"import" in words else words[1:2]))
            elif words[0] == b"import":
                for piece in b" ".join(words[1:]).split(b","):
                    name = piece.split()
                    if name:
                        _add_dotted(found, b"".join(name[:name.index(b"as")] if b"as" in name else name)
                                    .strip(b"()\\"))
        start = max(at + 6, line_end)
    return frozenset(found)


def _continued(source: bytes, line_end: int) -> bool:
    """The line ending at ``line_end`` (its LF) ends with a backslash: the next line continues it."""
    before = source[line_end - 1:line_end]
    if before == b"\r":
        before = source[line_end - 2:line_end - 1]
    return before == b"\\"


def _add_dotted(found: set, name: bytes) -> None:
    if name.startswith(b"."):
        return
    try:
        text = name.decode("ascii")
    except UnicodeDecodeError:
        return
    parts = text.split(".")
    for i in range(1, len(parts) + 1):
        found.add(".".join(parts[:i]))

"""The project index: what other modules of the project and config-declared clients say a name is.

A service's session is often made in one module and used in another (``from app.http import
session``), or made by an in-house framework (``request.http``). Per file, ``module_names`` reads
(with Python's ``ast``, module-level statements only) the names whose value comes from outside the
project: re-exports (``import requests as requests_or_proxy``), module-level objects and what made
them (``session = requests.Session()``), subclasses of an imported class defining only special
methods, and functions whose return annotation or every ``return`` names such a value. ``Project``
joins the files' names (following re-exports from module to module) with the declared clients
(``[[tool.svcmod.clients]] name = "acme.web.Request.http" like = "requests.Session"``: the name
behaves as ``like`` does) and answers the resolver (``svcmod.check.names``) per qualified name.

Only names that lead out of the project are kept: inside it, the resolver reads the module itself,
and a project that is itself a library (the standard library, requests) keeps the qualified names
its rules know. Nothing here knows a rule: which files are worth reading is the caller's choice
(``svcmod.run.indexing`` reads those that import a module some selected rule looks for).
"""
from __future__ import annotations

import ast
import bisect
import hashlib
import json
import re
import warnings
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.check.names import Binding

# svcmod.check.names imports LibCST: its binding classes are imported where bindings are made, so a
# warm run (every result cached, the project only compared by digest) does not load it

#: One name of a module: (kind, qualified target, overridden special methods); kind is "alias"
#: (the name means the target), "value" (an object made by calling the target) or "factory"
#: (calling the name makes what calling the target makes).
Entry = Tuple[str, str, Tuple[str, ...]]
#: Re-exports followed at most this far (a cycle of re-exports ends there).
MAX_HOPS = 8


def module_name(parts: Sequence[str]) -> str:
    """``pkg.sub.mod`` for the path parts ``pkg/sub/mod.py`` below the first directory without an
    ``__init__.py`` (the caller gives the parts); ``pkg.sub`` for ``pkg/sub/__init__.py``."""
    names = list(parts)
    if names and names[-1].endswith(".py"):
        names[-1] = names[-1][:-3]
    if names and names[-1] == "__init__":
        names.pop()
    return ".".join(names)


#: Key prefix, in a module's names, of how it uses a name of another project module (``USES``).
USES = "@"


def module_names(source: bytes, module: str, package: bool = False,
                 project_tops: Iterable[str] = ()) -> Dict[str, Entry]:
    """The names of one module that come from outside it, by local name (see the module docstring).
    ``package``: the file is the package's ``__init__.py`` (relative imports start from it).

    With ``project_tops`` (the project's top-level packages), also how this module uses the names
    it imports from the project's modules: ``"@svc.store.conn": ("uses", "svc.store.conn",
    (".blpop(timeout)", "arg:rq.Worker"))`` — methods called on it (with the keywords given,
    ``kw=None`` when given None), the callees it is passed to, and ``.pubsub().listen()`` when the
    file takes its pub/sub and listens; for a pool, also what is done with the clients the module
    builds on it (``redis.Redis(connection_pool=POOL)``). A module's own rule cannot see these uses (a redis client
    used for blocking reads only in another module)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    module = split_key(module)[1]
    reader = _Reader(module if package else module.rpartition(".")[0])
    reader.body(tree.body)
    found = {name: entry for name, entry in reader.names.items() if entry is not None}
    tops = frozenset(project_tops)
    if tops:
        for qualified, uses in _uses(tree, source, reader, tops).items():
            found[USES + qualified] = ("uses", qualified, tuple(sorted(uses)))
    return found


def _uses(tree: ast.Module, source: bytes, reader: "_Reader", tops: FrozenSet[str]) -> Dict[str, set]:
    """How the module uses names imported from the project's modules (see ``module_names``)."""
    found: Dict[str, set] = {}
    if not any(entry is not None and entry[0] == "alias" and entry[1].split(".")[0] in tops
               for entry in reader.names.values()):
        return found  # it imports nothing of the project's
    listens = False
    pubsubs = []

    def imported(expr: ast.expr) -> Optional[str]:
        if isinstance(expr, ast.Call) and not expr.args and not expr.keywords:
            made = reader.qualified(expr.func)  # ``get_client().blpop(...)``: what it returns
            return f"{made}()" if made is not None and made.split(".")[0] in tops else None
        qualified = reader.qualified(expr)
        return qualified if qualified is not None and qualified.split(".")[0] in tops else None

    # clients built here on a pool of another module (``queue = redis.Redis(connection_pool=POOL)``):
    # what is done with them is done with the pool's connections (a blocking read waits on one), so
    # their uses are recorded as the pool's. By name, whatever the function (a conservative guess:
    # a blocking read then costs the pool its read timeout, never the other way round).
    built_on: Dict[str, str] = {}
    for node in ast.walk(tree) if b"connection_pool" in source else ():
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            pool = _pool_of(node.value, imported)
            if pool is not None:
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                    name = _dotted(target)
                    if name is not None:
                        built_on[name] = pool

    def owner_of(expr: ast.expr) -> Optional[str]:
        owner = imported(expr)
        if owner is None:
            name = _dotted(expr)
            owner = built_on.get(name) if name is not None else _pool_of(expr, imported)
        return owner

    for node in _calls(tree):
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr == "listen" and not node.args or func.attr == "get_message" and any(
                    k.arg == "timeout" and isinstance(k.value, ast.Constant) and k.value.value is None
                    for k in node.keywords):
                listens = True
            owner = owner_of(func.value)
            if owner is not None:
                given = ",".join(sorted(f"{k.arg}=None" if isinstance(k.value, ast.Constant) and k.value.value is None
                                        else str(k.arg) for k in node.keywords))
                found.setdefault(owner, set()).add(f".{func.attr}({given})")
                if func.attr == "pubsub":
                    pubsubs.append(owner)
        callee = reader.qualified(func)
        if callee is not None:
            for value in [*node.args, *(k.value for k in node.keywords)]:
                owner = owner_of(value.value if isinstance(value, ast.Starred) else value)
                if owner is not None:
                    found.setdefault(owner, set()).add(f"arg:{callee}")
    if listens:
        for owner in pubsubs:
            found[owner].add(".pubsub().listen()")
    return found


#: Nodes that hold no call: not entered when looking for calls (a name's ``Load`` context is a node
#: too; ``ast.walk`` visits every one of them, which made reading a module's uses most of its cost).
_NO_CALL_INSIDE = (ast.Name, ast.Constant, ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop,
                   ast.alias, ast.Import, ast.ImportFrom, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal)


def _calls(tree: ast.AST) -> List[ast.Call]:
    """Every call in ``tree`` (in no particular order)."""
    found = []
    stack = [tree]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        node = pop()
        if type(node) is ast.Call:
            found.append(node)
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                extend(v for v in value if isinstance(v, ast.AST) and not isinstance(v, _NO_CALL_INSIDE))
            elif isinstance(value, ast.AST) and not isinstance(value, _NO_CALL_INSIDE):
                push(value)
    return found


def _pool_of(expr: ast.expr, imported) -> Optional[str]:
    """The project name of the pool a call builds a client on (``connection_pool=POOL``), if any."""
    if not isinstance(expr, ast.Call):
        return None
    for keyword in expr.keywords:
        if keyword.arg == "connection_pool":
            return imported(keyword.value)
    return None


def _dotted(expr: ast.expr) -> Optional[str]:
    """``queue`` or ``self.queue``: how code names a client it keeps; None for anything else."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        base = _dotted(expr.value)
        return f"{base}.{expr.attr}" if base is not None else None
    return None


class _Reader:
    def __init__(self, package: str) -> None:
        self.package = package
        self.names: Dict[str, Optional[Entry]] = {}

    def bind(self, name: str, entry: Optional[Entry]) -> None:
        # bound two different ways (``try: import x`` / ``except: x = None``): not known
        if name in self.names and self.names[name] != entry:
            entry = None
        self.names[name] = entry

    def body(self, statements: Sequence[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    if alias.asname:
                        self.bind(alias.asname, ("alias", alias.name, ()))
                    else:
                        top = alias.name.split(".")[0]
                        self.bind(top, ("alias", top, ()))
            elif isinstance(statement, ast.ImportFrom):
                base = self._absolute(statement.module, statement.level)
                if base is None:
                    continue
                for alias in statement.names:
                    if alias.name != "*":
                        self.bind(alias.asname or alias.name, ("alias", f"{base}.{alias.name}", ()))
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                entry = self._assigned(statement.value) if statement.value is not None else None
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.bind(target.id, entry)
            elif isinstance(statement, ast.ClassDef):
                self.bind(statement.name, self._class(statement))
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.bind(statement.name, self._function(statement))
            elif isinstance(statement, (ast.If, ast.Try)):
                for block in (statement.body, statement.orelse, getattr(statement, "finalbody", []),
                              *(handler.body for handler in getattr(statement, "handlers", []))):
                    self.body(block)

    def _absolute(self, module: Optional[str], level: int) -> Optional[str]:
        if not level:
            return module
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts):
            return None
        base = parts[:len(parts) - (level - 1)]
        if module:
            base.append(module)
        return ".".join(base) or None

    def qualified(self, expr: ast.expr) -> Optional[str]:
        """What a name or attribute chain means through this module's imports."""
        if isinstance(expr, ast.Name):
            entry = self.names.get(expr.id)
            return entry[1] if entry is not None and entry[0] == "alias" else None
        if isinstance(expr, ast.Attribute):
            base = self.qualified(expr.value)
            return f"{base}.{expr.attr}" if base is not None else None
        return None

    def _made_by(self, expr: ast.expr) -> Optional[Entry]:
        """``requests.Session()`` → what made it; a call of a factory of this module too."""
        if isinstance(expr, ast.Await):
            expr = expr.value
        if not isinstance(expr, ast.Call):
            return None
        if isinstance(expr.func, ast.Name):
            entry = self.names.get(expr.func.id)
            if entry is not None and entry[0] == "factory":
                return ("value", entry[1], entry[2])
        creator = self.qualified(expr.func)
        return ("value", creator, ()) if creator is not None else None

    def _assigned(self, value: ast.expr) -> Optional[Entry]:
        if isinstance(value, (ast.Name, ast.Attribute)):
            qualified = self.qualified(value)
            if qualified is not None:
                return ("alias", qualified, ())
            if isinstance(value, ast.Name):
                return self.names.get(value.id)
            return None
        return self._made_by(value)

    def _class(self, klass: ast.ClassDef) -> Optional[Entry]:
        if len(klass.bases) != 1 or klass.keywords:
            return None
        own = tuple(sorted(s.name for s in klass.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))))
        if any(not (name.startswith("__") and name.endswith("__")) for name in own):
            return None  # a method of its own may change what every method does (as in names.py)
        base = klass.bases[0]
        if isinstance(base, ast.Name):
            entry = self.names.get(base.id)
            if entry is not None and entry[0] == "factory":
                return ("factory", entry[1], tuple(sorted(set(entry[2]) | set(own))))
        qualified = self.qualified(base)
        return ("factory", qualified, own) if qualified is not None else None

    def _function(self, fn: ast.stmt) -> Optional[Entry]:
        assert isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        if fn.returns is not None:
            annotated = self._annotated(fn.returns)
            if annotated is not None:
                return ("factory", annotated, ())
        made: Dict[str, Entry] = {}  # local name -> what made it (``s = requests.Session()``)
        returned: List[Optional[Entry]] = []
        nodes = list(_own_nodes(fn))
        # assignments first: a name returned is known by every value it is given in the function
        for node in sorted(nodes, key=lambda n: not isinstance(n, ast.Assign)):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                entry = self._made_by(node.value)
                name = node.targets[0].id
                if entry is None or made.get(name, entry) != entry:
                    made[name] = ("", "", ())  # assigned something else too: unknown
                else:
                    made[name] = entry
            elif isinstance(node, ast.Return):
                if node.value is None:
                    returned.append(None)
                elif isinstance(node.value, ast.Name):
                    returned.append(made.get(node.value.id))
                else:
                    returned.append(self._made_by(node.value))
        if not returned or any(entry is None or not entry[0] for entry in returned):
            return None
        if len(set(returned)) != 1:
            return None
        kind, creator, overrides = returned[0]  # type: ignore[misc]
        return ("factory", creator, overrides)

    def _annotated(self, annotation: ast.expr) -> Optional[str]:
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(annotation, ast.Subscript) and self.qualified(annotation.value) == "typing.Optional":
            return self._annotated(annotation.slice)
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            sides = [s for s in (annotation.left, annotation.right)
                     if not (isinstance(s, ast.Constant) and s.value is None)]
            return self._annotated(sides[0]) if len(sides) == 1 else None
        return self.qualified(annotation)


def _own_nodes(fn: ast.AST) -> Iterable[ast.AST]:
    """The nodes of a function's body, not entering nested functions, classes or lambdas."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


#: Separates a module's import root from its dotted name in a module key (``/srv/a:client``).
ROOT = ":"


def module_key(root: str, module: str) -> str:
    """The key of a module in the project index: its dotted name within its import root (the
    directory above its top-level package), so that two ``client.py`` of two services stay apart."""
    return f"{root}{ROOT}{module}" if root else module


def split_key(key: str) -> Tuple[str, str]:
    """(import root, dotted name) of a module key (a bare dotted name has the root "")."""
    root, _, module = key.rpartition(ROOT)
    return root, module


class Lending(NamedTuple):
    modules: FrozenSet[str]  # the project's modules with names to lend
    prefixes: FrozenSet[str]  # their dotted prefixes (``pkg`` of ``pkg.net``), themselves included
    below: Mapping[str, Tuple[str, ...]]  # a package -> its lending modules below it (``pkg`` -> ``pkg.net``)


class Project:
    """The names of a project's modules and its declared clients, as the resolver asks for them.

    ``modules``: module key (``module_key``, or a bare dotted name) -> its names
    (``module_names``); ``declared``: qualified name -> what it behaves like (config ``clients``).
    A dotted name is looked up first in the asking module's import root (``root``), then in the
    one other root that has it (a shared library of the monorepo); in several others: unknown."""

    def __init__(self, modules: Mapping[str, Mapping[str, Entry]], declared: Mapping[str, str] = (),
                 examined: Iterable[str] = ()) -> None:
        self.modules = {name: dict(names) for name, names in modules.items()}
        #: the module keys whose names were read (a module not among them lends nothing because it
        #: was not looked at, not because it has nothing to lend: the cache must not take it as read)
        self.examined = frozenset(examined)
        self.declared = dict(declared)
        self.spaces: Dict[str, Dict[str, Dict[str, Entry]]] = {}  # root -> dotted name -> names
        self.homes: Dict[str, List[str]] = {}  # dotted name -> the roots that have it
        for key, names in self.modules.items():
            root, module = split_key(key)
            self.spaces.setdefault(root, {})[module] = names
            self.homes.setdefault(module, []).append(root)
        self.tops = frozenset(module.split(".")[0] for module in self.homes)
        #: (root, qualified name) -> (module using it, use) for every use another module makes of it
        self.used: Dict[Tuple[str, str], set] = {}
        for key, names in self.modules.items():
            root, module = split_key(key)
            for name, (kind, target, uses) in names.items():
                if name.startswith(USES):
                    home = self.home(_module_of(target), root)
                    if home is not None:
                        self.used.setdefault((home, target), set()).update((module, use) for use in uses)
        #: nothing to lend and nothing declared: the resolver needs no project at all
        self.empty = not any(self.modules.values()) and not self.declared
        self._resolved: Dict[Tuple[str, str], Optional[Binding]] = {}
        self._own: Dict[Tuple[str, str], str] = {}
        self._lending: Dict[str, Lending] = {}
        self._used_by_module: Dict[Tuple[str, str], List[Tuple[str, str, str]]] = {}
        self._chained: Dict[Tuple[str, str], str] = {}  # (root, module) -> its fingerprint (``digest``)
        self._pointing: Dict[Tuple[str, str], Tuple[Tuple[str, str], ...]] = {}

    def home(self, module: str, root: str = "") -> Optional[str]:
        """The import root whose ``module`` a module of ``root`` imports: its own if it has one,
        else the only other one; None when none or several others have it."""
        roots = self.homes.get(module)
        if not roots:
            return None
        if root in roots:
            return root
        return roots[0] if len(roots) == 1 else None

    def names_of(self, module: str, root: str = "") -> Optional[Dict[str, Entry]]:
        home = self.home(module, root)
        return self.spaces[home][module] if home is not None else None

    def entry(self, qualified: str, root: str = "") -> Optional[Entry]:
        module, _, name = qualified.rpartition(".")
        names = self.names_of(module, root)
        return names.get(name) if names is not None and not name.startswith(USES) else None

    def uses_of(self, qualified: str, root: str = "") -> FrozenSet[Tuple[str, str]]:
        """How the project's other modules use ``qualified`` (``svc.store.conn``, or
        ``svc.store.get_client()`` for what a function returns): (using module, use) pairs, the
        uses as ``module_names`` records them."""
        home = self.home(_module_of(qualified), root)
        return frozenset(self.used.get((home, qualified), ())) if home is not None else frozenset()

    def binding(self, qualified: str, root: str = "") -> Optional[Binding]:
        """What ``qualified`` is, when it leads out of the project or is a declared client; None
        when the resolver should go on as it would without a project."""
        if (root, qualified) in self._resolved:
            return self._resolved[(root, qualified)]
        from svcmod.check.names import Alias, Factory, Value
        found: Optional[Binding] = None
        like = self.declared.get(qualified)
        if like is not None:
            found = Alias(like)
        else:
            entry = self._follow(qualified, root)
            if entry is not None and entry[1].split(".")[0] not in self.tops:
                kind, target, overrides = entry
                if kind == "alias":
                    found = Alias(target) if target != qualified else None
                elif kind == "value":
                    found = Value(target, frozenset(overrides))
                else:
                    found = Factory(target, frozenset(overrides))
        self._resolved[(root, qualified)] = found
        return found

    def _follow(self, qualified: str, root: str = "") -> Optional[Entry]:
        """The entry of ``qualified``, re-exports followed to the module that made the value."""
        entry = self.entry(qualified, root)
        hops = 0
        while entry is not None and hops < MAX_HOPS:
            kind, target, overrides = entry
            further = self.entry(target, root)
            if further is None:
                declared = self.declared.get(target)
                if declared is not None:
                    return ("alias", declared, ()) if kind == "alias" else (kind, declared, overrides)
                return entry
            if further[0] == "alias":  # the target is itself a re-export: follow it
                entry = (kind, further[1], overrides)
            elif kind == "alias":
                entry = further
            elif further[0] == "factory":  # made by calling a factory of another module
                entry = (kind if kind == "factory" else "value", further[1],
                         tuple(sorted(set(overrides) | set(further[2]))))
            else:
                return None  # calling an object made elsewhere: not known
            hops += 1
        return entry if hops < MAX_HOPS else None

    def borrowed(self, imported: Iterable[str], root: str = "",
                 bound: Optional[Mapping[str, Optional[FrozenSet[str]]]] = None) -> FrozenSet[str]:
        """The modules (with their dotted prefixes) whose objects a file importing ``imported``
        reaches through the project or declared clients: the fast path must treat the file as
        importing them too. ``bound``, when known (``bound_names``): of each project module, the
        names the file imports from it (None: any of them); a module not in it lends the file nothing."""
        found = set()
        imported = set(imported)
        for module in imported:
            names = self.names_of(module, root)
            if names:
                only = bound.get(module, ()) if bound is not None else None
                for name in names:
                    if name.startswith(USES) or only is not None and name not in only:
                        continue
                    binding = self.binding(f"{module}.{name}", root)
                    if binding is not None:
                        found.update(_prefixes(_target(binding)))
        for name, like in self.declared.items():
            parts = name.split(".")
            if any(".".join(parts[:i]) in imported for i in range(1, len(parts) + 1)):
                found.update(_prefixes(like))
        return frozenset(found)

    def lending(self, root: str = "") -> "Lending":
        """The modules a module of ``root`` sees with names to lend, and their dotted prefixes."""
        known = self._lending.get(root)
        if known is None:
            modules = frozenset(module for module in self.homes if self.names_of(module, root))
            below: Dict[str, List[str]] = {}
            for module in sorted(modules):
                for prefix in _prefixes(module)[:-1]:
                    below.setdefault(prefix, []).append(module)
            known = self._lending[root] = Lending(modules, frozenset(below) | modules,
                                                  {k: tuple(v) for k, v in below.items()})
        return known

    def digest(self, module: str, root: str = "") -> str:
        """A fingerprint of what ``module`` (a dotted name, seen from ``root``) exports to the
        project (empty when nothing); of ``"@" + module``: of the uses other modules make of its names."""
        if module.startswith(USES):
            module = module[len(USES):]
            home = self.home(module, root)
            if not self._used_by_module:  # (root, module) -> its names' uses: looked up per file
                for (r, q), pairs in self.used.items():
                    self._used_by_module.setdefault((r, _module_of(q)), []).extend((q, m, u) for m, u in pairs)
            uses = sorted(self._used_by_module.get((home, module), ())) if home is not None else []
            return hashlib.sha1(json.dumps(uses).encode()).hexdigest()[:16] if uses else ""
        home = self.home(module, root)
        if home is None or not self.spaces[home][module]:
            return ""
        # what a module exports includes what the modules its names point into export: ``from
        # pkg.b import session`` in pkg.c is a session once pkg.b's is, and a module importing it
        # from pkg.c must be checked again then. So a module's fingerprint covers the own
        # fingerprint of every module reached from it through its names: Merkle-style, from the
        # fingerprints of the modules it points into, the modules of a cycle sharing one. Worked
        # out for the whole project at the first question (linear in its names; following every
        # module's reach on its own was quadratic, the most of a cold run of a package whose
        # modules all import each other's names)
        if not self._chained:
            self._chain_digests()
        return self._chained[(home, module)]

    def _chain_digests(self) -> None:
        """``_chained`` for every module: Tarjan's strongly connected components of the graph of
        ``_points_into``, whose order (a component after every component it reaches) lets each
        component's fingerprint be made from its members' own and the fingerprints it points to."""
        index: Dict[Tuple[str, str], int] = {}
        low: Dict[Tuple[str, str], int] = {}
        on_stack = set()
        stack: List[Tuple[str, str]] = []
        for first in sorted((root, module) for root, modules in self.spaces.items() for module in modules):
            if first in index:
                continue
            work = [(first, iter(self._points_into(first)))]
            index[first] = low[first] = len(index)
            stack.append(first)
            on_stack.add(first)
            while work:
                node, targets = work[-1]
                for target in targets:
                    if target not in index:
                        index[target] = low[target] = len(index)
                        stack.append(target)
                        on_stack.add(target)
                        work.append((target, iter(self._points_into(target))))
                        break
                    if target in on_stack:
                        low[node] = min(low[node], index[target])
                else:
                    work.pop()
                    if work:
                        low[work[-1][0]] = min(low[work[-1][0]], low[node])
                    if low[node] == index[node]:
                        members = []
                        while True:
                            member = stack.pop()
                            on_stack.discard(member)
                            members.append(member)
                            if member == node:
                                break
                        self._component(sorted(members))

    def _component(self, members: List[Tuple[str, str]]) -> None:
        inside = set(members)
        pointed = sorted({self._chained[target] for member in members for target in self._points_into(member)
                          if target not in inside})
        own = [[root, module, self._own_digest((root, module))] for root, module in members]
        digest = hashlib.sha1(json.dumps([own, pointed]).encode()).hexdigest()[:16]
        for member in members:
            self._chained[member] = digest

    def _own_digest(self, place: Tuple[str, str]) -> str:
        known = self._own.get(place)
        if known is None:
            names = self.spaces[place[0]][place[1]]
            text = json.dumps(sorted((k, list(v[:2]), list(v[2])) for k, v in names.items()))
            known = self._own[place] = hashlib.sha1(text.encode()).hexdigest()[:16]
        return known

    def _points_into(self, place: Tuple[str, str]) -> Tuple[Tuple[str, str], ...]:
        """The project's modules that ``place``'s names (not the uses it records) point into."""
        known = self._pointing.get(place)
        if known is None:
            root, module = place
            names = self.spaces[root][module]
            found = {self._module_in(v[1], root) for k, v in names.items() if v[1] and not k.startswith(USES)}
            found.discard(None)
            known = self._pointing[place] = tuple(sorted(found))  # type: ignore[arg-type]
        return known

    def _module_in(self, qualified: str, root: str) -> Optional[Tuple[str, str]]:
        """(import root, module) of the project's module that ``qualified`` names something in."""
        parts = qualified.replace("()", "").split(".")
        for end in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:end])
            home = self.home(module, root)
            if home is not None:
                return home, module
        return None


def _module_of(qualified: str) -> str:
    """``svc.store`` of ``svc.store.conn`` and of ``svc.store.get_client()``."""
    return qualified[:-2].rpartition(".")[0] if qualified.endswith("()") else qualified.rpartition(".")[0]


def _target(binding: Binding) -> str:
    from svcmod.check.names import Alias
    return binding.qualified if isinstance(binding, Alias) else binding.creator  # type: ignore[union-attr]


def _prefixes(qualified: str) -> List[str]:
    parts = qualified.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


class View:
    """The project as one module sees it: its relative imports made absolute first, and its own
    import root's modules before another root's of the same name."""

    __slots__ = ("project", "package", "module", "root")

    def __init__(self, project: Project, module: str, package: bool = False) -> None:
        """``module``: its key (``module_key``) or bare dotted name."""
        self.project = project
        self.root, self.module = split_key(module)
        self.package = self.module if package else self.module.rpartition(".")[0]

    def binding(self, qualified: str) -> Optional[Binding]:
        if qualified.startswith("."):
            dots = len(qualified) - len(qualified.lstrip("."))
            absolute = _Reader(self.package)._absolute(qualified[dots:] or None, dots)
            if absolute is None:
                return None
            qualified = absolute
        return self.project.binding(qualified, self.root)

    def uses_of(self, local: str) -> FrozenSet[Tuple[str, str]]:
        """How other modules of the project use this module's top-level ``local`` (``conn``, or
        ``get_client()``): see ``Project.uses_of``."""
        return self.project.uses_of(f"{self.module}.{local}", self.root)

    def digest(self, module: str) -> str:
        return self.project.digest(module, self.root)

    def borrowed(self, imported: Iterable[str], source: bytes) -> FrozenSet[str]:
        """``Project.borrowed`` for this file, its relative imports (``from .http import x``)
        included, and of each module only the names the file imports from it when its import
        statements can all be read from the text (``bound_names``). A module imported by
        ``from pkg import mod`` counts (the import reader gives only ``pkg``)."""
        imported = [*imported, *self.relative_imports(source)]
        lending = self.project.lending(self.root)
        if not self.project.declared and not any(module in lending.prefixes for module in imported):
            return frozenset()
        bound = bound_names(source, self.package, lending)
        if bound is not None:
            imported.extend(bound)
        elif any(package in lending.below for package in imported):
            # which names the file imports is not known: also the lending modules below its imports
            # that it names (``from pkg import net`` gives only ``pkg`` to the import reader; one
            # cannot reach ``pkg.net`` from ``pkg`` without writing ``net``)
            words = frozenset(_WORD.findall(source))
            imported.extend(module for package in set(imported) for module in lending.below.get(package, ())
                            if all(part.encode() in words for part in module[len(package) + 1:].split(".")))
        return self.project.borrowed(imported, self.root, bound)

    def lent_by_local(self, source: bytes) -> Optional[Dict[str, FrozenSet[str]]]:
        """What ``borrowed`` gives, by the local name the file reaches it through (``logger`` of
        ``from pkg.log import logger``, ``util`` of ``from .. import util``): the names an excerpt
        must follow as it follows those a library's import binds. None when the text does not
        show every import statement whole (then the file is read whole)."""
        by_local = bound_by_local(source, self.package, self.project.lending(self.root))
        if by_local is None:
            return None
        found = {}
        for local, bound in by_local.items():
            lent = self.project.borrowed(list(bound), self.root, bound)
            if lent:
                found[local] = lent
        return found

    def relative_imports(self, source: bytes) -> List[str]:
        found: List[str] = []
        reader = _Reader(self.package)
        # a search that starts from a word is quick; what stands before it on its line is checked after
        for match in _RELATIVE.finditer(source):
            before = source[source.rfind(b"\n", 0, match.start()) + 1:match.start()].rstrip(b" \t")
            if before and not before.endswith((b";", b":")):
                continue
            dots, name = match.group(1).decode(), match.group(2).decode("ascii", "replace")
            absolute = reader._absolute(name or None, len(dots))
            if absolute is not None:
                found.extend(_prefixes(absolute))
                for imported in match.group(3).decode("ascii", "replace").replace("(", " ").split(","):
                    words = imported.split()
                    if words:
                        found.append(f"{absolute}.{words[0]}")  # ``from . import http``: a module too
        return found


_RELATIVE = re.compile(rb"from[ \t]+(\.+)([\w.]*)[ \t]+import[ \t]+([^\n#;]*)", re.M)


def bound_names(source: bytes, package: str = "", lending: Optional[Lending] = None
                ) -> Optional[Dict[str, Optional[FrozenSet[str]]]]:
    """Of each module the file's import statements name, the names they bind from it: None for
    any (``import pkg.mod`` binds ``pkg``, which reaches every name of ``pkg`` and ``pkg.mod``; ``from
    m import *``); ``from pkg import mod`` gives ``pkg``'s ``mod`` and any name of ``pkg.mod`` (it
    may be a module). With ``lending`` (the project's modules with names to lend), also the
    lending modules below an imported one that the file reaches by attributes (``import pkg``, then
    ``pkg.net.session``: ``pkg.net``), and a module's attributes are read only where it lends.
    Relative modules are made absolute from ``package``.

    None when the text does not show every import statement whole (``_import_statements``). The
    caller then takes every name of every module the file imports, as before: this only ever
    narrows what is certain."""
    by_local = bound_by_local(source, package, lending)
    if by_local is None:
        return None
    bound: Dict[str, Optional[FrozenSet[str]]] = {}
    for modules in by_local.values():
        _merge(bound, modules)
    return bound


def _merge(bound: Dict[str, Optional[FrozenSet[str]]], more: Mapping[str, Optional[FrozenSet[str]]]) -> None:
    for module, names in more.items():
        known = bound.get(module, frozenset())
        bound[module] = None if known is None or names is None else known | names


def bound_by_local(source: bytes, package: str = "", lending: Optional[Lending] = None
                   ) -> Optional[Dict[str, Dict[str, Optional[FrozenSet[str]]]]]:
    """``bound_names`` by the local name that binds them (``rq`` of ``import requests as rq``; ``*``
    for a star import): what the file reaches through each name its imports bind."""
    statements = _import_statements(source)
    if statements is None:
        return None
    spans = [s.span() for s in statements]
    by_local: Dict[str, Dict[str, Optional[FrozenSet[str]]]] = {}

    def add(local: bytes, module: str, names: Optional[FrozenSet[str]]) -> None:
        _merge(by_local.setdefault(local.decode(), {}), {module: names})

    def reached(module: str, local: bytes) -> Optional[FrozenSet[str]]:
        """What the file reads of ``module``, bound to ``local``: the names of it, None for any;
        the lending modules below it reached through ``local.sub.name`` are added."""
        lends = lending is None or module in lending.modules
        below = lending.below.get(module, ()) if lending is not None else ()
        if not lends and not below:
            return frozenset()
        chains = _chains_read(source, local, spans)
        for deeper in below:
            rest = deeper[len(module) + 1:]
            if chains is None or any(chain == rest or chain.startswith(rest + ".") for chain in chains):
                add(local, deeper, None if chains is None else frozenset(
                    chain[len(rest) + 1:].split(".")[0] for chain in chains if chain.startswith(rest + ".")))
        return None if chains is None else frozenset(chain.split(".")[0] for chain in chains)

    for statement in statements:
        dots, module, names, plain = statement.groups()
        if plain is not None:  # ``import a.b as c, d``
            for piece in plain.split(b","):
                words = piece.split()
                if not words or not _DOTTED.fullmatch(words[0]):
                    return None
                parts = words[0].decode().split(".")
                # ``import a.b`` binds ``a``; ``import a.b as c`` binds ``c`` to ``a.b``
                renamed = len(words) == 3 and words[1] == b"as" and _NAME.fullmatch(words[2])
                local = words[2] if renamed else parts[0].encode()
                for end in range(1, len(parts) + 1):
                    add(local, ".".join(parts[:end]), None)
                if lending is not None:
                    reached(words[0].decode() if renamed else parts[0], local)
            continue
        base = _Reader(package)._absolute(module.decode() or None, len(dots)) if dots else module.decode()
        if base is None:
            continue  # beyond the top-level package: Python refuses it
        if not _DOTTED.fullmatch(base.encode()):
            return None
        taken = {}  # name imported -> the local name it is bound to
        for piece in names.strip().strip(b"()").split(b","):
            words = piece.split()
            if not words:
                continue
            if words[0] == b"*":
                add(b"*", base, None)
                break
            local = words[2] if len(words) == 3 and words[1] == b"as" else words[0]
            if not _NAME.fullmatch(words[0]) or not _NAME.fullmatch(local):
                return None
            taken[words[0].decode()] = local
        else:
            for name, local in taken.items():
                add(local, base, frozenset((name,)))
                # ``from pkg import mod``: a module, maybe, whose names the file reaches as ``mod.x``
                add(local, f"{base}.{name}", reached(f"{base}.{name}", local))
    return by_local


def _import_statements(source: bytes) -> Optional[List["re.Match[bytes]"]]:
    """The import statements of ``source`` that stand on lines of their own (``_IMPORT_STATEMENT``),
    or None when a word ``import`` outside them may start or end an import statement: Python's
    keyword stands first on its logical line, after ``;`` or ``:`` (``try: import x``), or after
    ``from <module>``; the line before may end with a backslash. A word with other text before it
    on its line (prose in a docstring, ``>>> import`` in a doctest, a comment after code) is not one."""
    statements: List["re.Match[bytes]"] = []
    for word in _IMPORT_WORD.finditer(source):
        at = word.start()
        if _inside_a_word(source, at):  # (``_import``, ``reimport``)
            continue
        if statements and at < statements[-1].end():
            continue  # (a statement's own word)
        line_start = source.rfind(b"\n", 0, at) + 1
        statement = _IMPORT_STATEMENT.match(source, line_start)
        if statement is not None and at < statement.end() and not _continues(source, line_start):
            statements.append(statement)
            continue
        before = source[line_start:at].strip()
        if not before or b";" in before or b":" in before or _FROM_PREFIX.fullmatch(before) \
                or _continues(source, line_start):
            return None
    return statements


def code_only(source: bytes) -> Optional[bytes]:
    """``source`` with its comments and its bare string statements (docstrings, and strings standing
    alone as statements) blanked: spaces of the same length, line ends kept, so that what the text
    searches of ``bound_names`` find stands where it stood, and prose about ``event`` or ``util``
    no longer reads as a use of a module of that name. Neither can hold code nor be read by the
    resolver (string annotations, which it reads, are not statements of their own). None when
    Python cannot parse the file or its positions might not be the file's bytes (a byte order
    mark, an encoding other than UTF-8, a lone carriage return ending a line).

    A ``#`` is taken for a comment only where it cannot be inside a string: nothing before it on its
    line is a quote, and its line does not continue a statement whose lines hold a triple quote or
    a backslash ending a line (only so may a string go on over a line end). Only statements are
    walked, not expressions: this costs little more than Python's parse."""
    first_two_lines = b"\n".join(source.split(b"\n", 2)[:2])
    if source.startswith(b"\xef\xbb\xbf") or _ENCODING.search(first_two_lines) \
            or source.count(b"\r") != source.count(b"\r\n"):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return None
    starts = [0]
    at = source.find(b"\n")
    while at >= 0:
        starts.append(at + 1)
        at = source.find(b"\n", at + 1)
    starts.append(len(source) + 1)  # (the end of the last line)
    text = bytearray(source)
    unsure = bytearray(len(starts) + 1)  # lines a string may run over to from the line before
    stack: List[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for field in _BODIES:
            for statement in getattr(node, field, ()):
                if isinstance(statement, ast.match_case):
                    stack.append(statement)
                    continue
                first, last = statement.lineno, statement.end_lineno or statement.lineno
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
                        and isinstance(statement.value.value, (str, bytes)):
                    begin = starts[first - 1] + statement.col_offset
                    end = starts[last - 1] + (statement.end_col_offset or 0)
                    text[begin:end] = _blank(source[begin:end])
                    unsure[first + 1:last + 1] = b"\1" * (last - first)
                    continue
                inner = [block for block in (getattr(statement, f, None) for f in _BODIES) if block]
                first = min([first, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
                # a compound statement's own lines (decorators, header) end where its first block begins
                own_last = min((block[0].lineno for block in inner), default=last + 1) - 1
                if own_last > first:
                    lines = source[starts[first - 1]:starts[own_last] - 1]
                    if b"'''" in lines or b'"""' in lines or b"\\\n" in lines or b"\\\r\n" in lines:
                        unsure[first + 1:own_last + 1] = b"\1" * (own_last - first)
                if inner:
                    stack.append(statement)
    at = source.find(b"#")
    while at >= 0:
        line = bisect.bisect_right(starts, at)
        before = source[starts[line - 1]:at]
        end = source.find(b"\n", at)
        end = len(source) if end < 0 else end
        if not unsure[line] and b"'" not in before and b'"' not in before:
            text[at:end] = _blank(source[at:end])
        at = source.find(b"#", end)
    return bytes(text)


#: The fields of a node that hold statements (or ``case`` clauses).
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _blank(text: bytes) -> bytes:
    return re.sub(rb"[^\r\n]", b" ", text)


def _inside_a_word(source: bytes, at: int) -> bool:
    """Whether a word character stands just before ``at`` (our searches start from a word, and the
    one before is checked here: a pattern starting with ``\\b`` or a look-behind is slow to search)."""
    before = source[at - 1:at]
    return bool(before) and (before.isalnum() or before == b"_")


def _continues(source: bytes, line_start: int) -> bool:
    """Whether the line starting at ``line_start`` continues the one before (a backslash ends it)."""
    end = line_start - 2  # the last character of the line before, its line end aside
    if end >= 0 and source[end] == 0x0D:  # (\r\n)
        end -= 1
    return end >= 0 and source[end] == 0x5C


def _chains_read(source: bytes, local: bytes, imports: Sequence[Tuple[int, int]]) -> Optional[FrozenSet[str]]:
    """The attribute chains the text reads of the name ``local`` (``mod.sub.session`` gives
    ``sub.session``); None when the name also stands alone anywhere outside the import statements
    (``m = mod``, ``f(mod)``: then anything of it may be read), in strings and comments too."""
    found = set()
    starts = [start for start, _ in imports]
    for match in re.finditer(re.escape(local) + rb"(?!\w)", source):
        if _inside_a_word(source, match.start()) or source[match.start() - 1:match.start()] == b".":  # ``self.x``
            continue
        index = bisect.bisect_right(starts, match.start()) - 1
        if index >= 0 and match.start() < imports[index][1]:
            continue
        parts = []
        at = match.end()
        attribute = _ATTRIBUTE.match(source, at)
        while attribute is not None:
            parts.append(attribute.group(1).decode())
            attribute = _ATTRIBUTE.match(source, attribute.end())
        if not parts:
            return None
        found.add(".".join(parts))
    return frozenset(found)


#: An import statement on lines of its own: ``from <dots><module> import <names>`` (between
#: parentheses over several lines, or to the line's end) or ``import <modules>``.
_IMPORT_STATEMENT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]*(\([^()#]*\)|[^\n\r;#\\()]*)"
    rb"|import[ \t]+([^\n\r;#\\()]*))[ \t]*(?:#[^\n\r]*)?$", re.M)
#: ``.name`` after a name, with what Python lets stand between tokens (inside brackets: line
#: ends and comments; anywhere: a backslash continuation)
_ATTRIBUTE = re.compile(rb"(?:[ \t\f\r\n\\]|#[^\r\n]*)*\.(?:[ \t\f\r\n\\]|#[^\r\n]*)*([A-Za-z_][A-Za-z0-9_]*)")
_WORD = re.compile(rb"\w+")
#: A coding declaration other than UTF-8 (PEP 263): positions in the parsed text are not the file's bytes.
_ENCODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*(?!utf-?8\b)[-\w.]+", re.M | re.I)
_FROM_PREFIX = re.compile(rb"from\s*[\w.]*")
# (a search that starts from a word is quick: the character before it is checked after)
_IMPORT_WORD = re.compile(rb"import(?!\w)")
_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")

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
import hashlib
import json
import re
import warnings
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

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
        for qualified, uses in _uses(tree, reader, tops).items():
            found[USES + qualified] = ("uses", qualified, tuple(sorted(uses)))
    return found


def _uses(tree: ast.Module, reader: "_Reader", tops: FrozenSet[str]) -> Dict[str, set]:
    """How the module uses names imported from the project's modules (see ``module_names``)."""
    found: Dict[str, set] = {}
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
    for node in ast.walk(tree):
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

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
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
        self._digests: Dict[Tuple[str, str], str] = {}
        self._own: Dict[Tuple[str, str], str] = {}
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

    def borrowed(self, imported: Iterable[str], root: str = "") -> FrozenSet[str]:
        """The modules (with their dotted prefixes) whose objects a file importing ``imported``
        reaches through the project or declared clients: the fast path must treat the file as
        importing them too."""
        found = set()
        imported = set(imported)
        for module in imported:
            names = self.names_of(module, root)
            if names:
                for name in names:
                    if name.startswith(USES):
                        continue
                    binding = self.binding(f"{module}.{name}", root)
                    if binding is not None:
                        found.update(_prefixes(_target(binding)))
        for name, like in self.declared.items():
            parts = name.split(".")
            if any(".".join(parts[:i]) in imported for i in range(1, len(parts) + 1)):
                found.update(_prefixes(like))
        return frozenset(found)

    def digest(self, module: str, root: str = "") -> str:
        """A fingerprint of what ``module`` (a dotted name, seen from ``root``) exports to the
        project (empty when nothing); of ``"@" + module``: of the uses other modules make of its names."""
        if module.startswith(USES):
            module = module[len(USES):]
            home = self.home(module, root)
            uses = sorted((q, m, u) for (r, q), pairs in self.used.items()
                          if r == home and _module_of(q) == module for m, u in pairs)
            return hashlib.sha1(json.dumps(uses).encode()).hexdigest()[:16] if uses else ""
        home = self.home(module, root)
        if home is None or not self.spaces[home][module]:
            return ""
        known = self._digests.get((home, module))
        if known is None:
            known = self._digests[(home, module)] = self._reached_digest((home, module))
        return known

    def _reached_digest(self, start: Tuple[str, str]) -> str:
        # what a module exports includes what the modules its names point into export: ``from
        # pkg.b import session`` in pkg.c is a session once pkg.b's is, and a module importing it
        # from pkg.c must be checked again then. So: the own fingerprints of every module reached
        # from it through its names, to MAX_HOPS (each module's own fingerprint and where its
        # names point are worked out once per project: a warm run asks this of every import)
        reached = {start}
        frontier = [start]
        for _ in range(MAX_HOPS):
            following = []
            for place in frontier:
                for target in self._points_into(place):
                    if target not in reached:
                        reached.add(target)
                        following.append(target)
            if not following:
                break
            frontier = following
        parts = sorted((root, module, self._own_digest((root, module))) for root, module in reached)
        return hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:16]

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
        """``Project.borrowed`` for this file, its relative imports (``from .http import x``) included."""
        return self.project.borrowed([*imported, *self.relative_imports(source)], self.root)

    def relative_imports(self, source: bytes) -> List[str]:
        found = []
        for match in _RELATIVE.finditer(source):
            dots, name = match.group(1).decode(), match.group(2).decode("ascii", "replace")
            absolute = _Reader(self.package)._absolute(name or None, len(dots))
            if absolute is not None:
                found.extend(_prefixes(absolute))
                for imported in match.group(3).decode("ascii", "replace").replace("(", " ").split(","):
                    words = imported.split()
                    if words:
                        found.append(f"{absolute}.{words[0]}")  # ``from . import http``: a module too
        return found


_RELATIVE = re.compile(rb"^[ \t]*from[ \t]+(\.+)([\w.]*)[ \t]+import[ \t]+([^\n#;]*)", re.M)

"""Declared deprecations (SVC4xx): rules made from ``[[tool.svcmod.deprecations]]`` entries in config.

A framework team declares its own API moves as data::

    [[tool.svcmod.deprecations]]
    code = "SVC401"
    name = "acme.rpc.call"                # the deprecated callable, attribute or module
    replacement = "acme.rpc.v2.invoke"    # omit: report only
    rename-kwargs = { deadline_ms = "timeout_ms" }
    remove-kwargs = ["legacy"]
    message = "acme.rpc.call was removed in the v2 framework"
    migrations = ["v2"]

Each entry becomes a ``Rule`` subclass. Its safe fix moves every way a file can reach the deprecated
name: ``from acme.rpc import call [as c]`` becomes ``from acme.rpc.v2 import invoke [as c]`` (the
uses of an unaliased name are renamed), ``acme.rpc.call(...)`` after ``import acme.rpc`` becomes
``acme.rpc.v2.invoke(...)`` with ``import acme.rpc.v2``, ``r.call(...)`` after ``import acme.rpc as r``
becomes ``invoke(...)`` with ``from acme.rpc.v2 import invoke``, and a moved module takes its imports
and submembers along (``import acme.settings as s`` → ``import acme.config as s``,
``from acme.settings import get`` → ``from acme.config import get``). Keyword renames and removals
apply only at call sites of the deprecated callable.
"""
from __future__ import annotations

import json
import keyword as python_keyword
import re
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Type

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, ScopeProvider
from libcst.metadata.scope_provider import ImportAssignment

from svcmod.config import Config, ConfigError, did_you_mean
from svcmod.names import dotted
from svcmod.rule import SAFE, AddImport, Fix, Rule

KEYS = ("code", "name", "replacement", "rename-kwargs", "remove-kwargs", "message", "migrations")
_CODE = re.compile(r"^SVC4[0-9]{2}$")


def rules_from_config(config: Config) -> Tuple[Type[Rule], ...]:
    """One rule class per declared deprecation of ``config``; ``ConfigError`` for a wrong entry."""
    from svcmod.registry import builtin_rules
    entries = [{k: v for k, v in entry.items()} for entry in config.deprecations]
    rules = _rules(json.dumps(entries, sort_keys=True, default=str))
    taken = {rule.code: rule for rule in builtin_rules()}
    for rule in rules:
        other = taken.get(rule.code)
        if other is not None:
            raise ConfigError(f"{rule.deprecation.source}: code: '{rule.code}' is already the code of "
                              f"rule {other.name} ({other.__module__})")
    return rules


@lru_cache(maxsize=64)
def _rules(serialized: str) -> Tuple[Type[Rule], ...]:
    # the same entries give the same classes: configs are read once per directory, rules per worker
    entries = json.loads(serialized)
    seen: Dict[str, str] = {}
    rules = []
    for entry in entries:
        deprecation = Deprecation.from_entry(entry)
        if deprecation.code in seen:
            raise ConfigError(f"{deprecation.source}: code: '{deprecation.code}' is already declared by "
                              f"{seen[deprecation.code]}")
        seen[deprecation.code] = deprecation.source
        rules.append(deprecation.rule_class())
    return tuple(rules)


def _is_dotted_name(value: str) -> bool:
    parts = value.split(".")
    return all(part.isidentifier() and not python_keyword.iskeyword(part) for part in parts)


def _is_identifier(value: Any) -> bool:
    return isinstance(value, str) and value.isidentifier() and not python_keyword.iskeyword(value)


class Deprecation:
    """One validated ``[[tool.svcmod.deprecations]]`` entry."""

    def __init__(self, source: str, code: str, name: str, replacement: Optional[str],
                 rename_kwargs: Mapping[str, str], remove_kwargs: Sequence[str], message: Optional[str],
                 migrations: Sequence[str]) -> None:
        self.source = source
        self.code = code
        self.name = name
        self.replacement = replacement
        self.rename_kwargs = dict(rename_kwargs)
        self.remove_kwargs = tuple(remove_kwargs)
        self.message = message or (f"{name} is deprecated: use {replacement}" if replacement
                                   else f"{name} is deprecated")
        self.migrations = tuple(migrations)

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> "Deprecation":
        source = str(entry.get("__source__", "[[tool.svcmod.deprecations]]"))

        def fail(key: str, problem: str) -> ConfigError:
            return ConfigError(f"{source}: {key}: {problem}")

        for key in entry:
            if key != "__source__" and key not in KEYS:
                raise ConfigError(f"{source}: unknown key '{key}'{did_you_mean(key, KEYS)} "
                                  f"(keys: {', '.join(KEYS)})")
        for key in ("code", "name"):
            if key not in entry:
                raise fail(key, "missing (every deprecation needs a code and a name)")
        code = entry["code"]
        if not isinstance(code, str) or not _CODE.match(code):
            raise fail("code", f"expected a code SVC400-SVC499 for a declared deprecation, got {code!r}")
        names = {}
        for key in ("name", "replacement"):
            value = entry.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise fail(key, f"expected a dotted name as a string, got {type(value).__name__} {value!r}")
            if not _is_dotted_name(value):
                raise fail(key, f"'{value}' is not a qualified dotted name such as 'package.module.function'")
            names[key] = value
        if names.get("replacement") == names["name"]:
            raise fail("replacement", "is the deprecated name itself")
        rename = entry.get("rename-kwargs", {})
        if not isinstance(rename, dict):
            raise fail("rename-kwargs", f"expected a table of old = \"new\" keyword names, got {rename!r}")
        for old, new in rename.items():
            if not _is_identifier(old) or not _is_identifier(new):
                raise fail("rename-kwargs", f"expected keyword names, got {old!r} = {new!r}")
        remove = entry.get("remove-kwargs", [])
        if not isinstance(remove, list) or not all(_is_identifier(k) for k in remove):
            raise fail("remove-kwargs", f"expected a list of keyword names, got {remove!r}")
        both = set(rename) & set(remove)
        if both:
            raise fail("remove-kwargs", f"{', '.join(sorted(both))} is also renamed in rename-kwargs")
        message = entry.get("message")
        if message is not None and not isinstance(message, str):
            raise fail("message", f"expected a string, got {type(message).__name__} {message!r}")
        migrations = entry.get("migrations", [])
        if not isinstance(migrations, list) or not all(isinstance(m, str) and m for m in migrations):
            raise fail("migrations", f"expected a list of migration names, got {migrations!r}")
        return cls(source, code, names["name"], names.get("replacement"), rename, remove, message, migrations)

    @property
    def fixes_anything(self) -> bool:
        return self.replacement is not None or bool(self.rename_kwargs) or bool(self.remove_kwargs)

    def rule_class(self) -> Type[Rule]:
        """A ``DeclaredDeprecation`` subclass for this entry."""
        kind = f"use {self.replacement}" if self.replacement else "report only"
        doc = (f"Checks for uses of `{self.name}`, declared deprecated in the project's configuration.\n\n"
               f"    ## Why is this bad?\n    {self.message}\n\n"
               f"    Declared in {self.source} ({kind}).\n\n"
               f"    ## Fix safety\n    Safe: the replacement is declared by the framework's owners as the same "
               f"API under its new name.\n")
        attributes = {
            "__doc__": doc,
            "__module__": __name__,
            "code": self.code,
            "name": "deprecated-" + self.name.replace(".", "-").replace("_", "-"),
            "message": self.message,
            "fix_safety": SAFE if self.fixes_anything else None,
            "report_only": not self.fixes_anything,
            "imports": (self.name.split(".")[0],),
            "tokens": (self.name.rsplit(".", 1)[-1].encode(),),
            "migrations": self.migrations,
            "deprecation": self,
        }
        return type(f"Declared{self.code}", (DeclaredDeprecation,), attributes)


def _under(qualified: str, prefix: str) -> bool:
    return qualified == prefix or qualified.startswith(prefix + ".")


def _moved(qualified: str, old: str, new: str) -> str:
    return new + qualified[len(old):]


class DeclaredDeprecation(Rule):
    """Base of the rules made from declared deprecations; ``deprecation`` holds the entry."""

    deprecation: Deprecation
    migrations: Tuple[str, ...] = ()

    def end_file(self) -> None:
        module = self.file.module
        _Migration(self, module, *_metadata(module)).run()


_last_metadata: List[Any] = [None, None, None]


def _metadata(module: cst.Module):
    """Scopes and parents of ``module``, computed once for all declared rules of a file."""
    if _last_metadata[0] is not module:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        _last_metadata[:] = [module, wrapper.resolve(ScopeProvider), wrapper.resolve(ParentNodeProvider)]
    return _last_metadata[1], _last_metadata[2]


class _Migration:
    """The reports and the one fix of a declared deprecation in one file."""

    def __init__(self, rule: DeclaredDeprecation, module: cst.Module, scopes, parents) -> None:
        self.rule = rule
        self.entry = rule.deprecation
        self.module = module
        self.scopes = scopes
        self.parents = parents
        self.replacements: Dict[cst.CSTNode, Any] = {}
        self.additions: List[AddImport] = []
        self.sites: List[Tuple[cst.CSTNode, bool]] = []  # (node reported, whether the fix changes it)
        self.bound_names: Set[str] = {name for scope in {s for s in scopes.values() if s is not None}
                                      for name in (a.name for a in scope.assignments)}
        self.seen_uses: Set[int] = set()
        # ParentNodeProvider recorded nodes in source order
        self.order: Dict[int, int] = {id(node): index for index, node in enumerate(parents)}

    # -- walking the bindings ----------------------------------------------------------------
    def run(self) -> None:
        old = self.entry.name
        bindings = []
        for scope in {s for s in self.scopes.values() if s is not None}:
            for assignment in scope.assignments:
                if isinstance(assignment, ImportAssignment):
                    found = self._import_of(assignment)
                    if found is not None:
                        bindings.append((assignment, *found))
        # scopes hold sets: work in source order so the fix is the same on every run
        bindings.sort(key=lambda binding: (self.order.get(id(binding[1]), 0), binding[0].name))
        for assignment, statement, alias, qualified in bindings:
            if isinstance(statement, cst.Import) and alias.asname is None and _under(dotted(alias.name) or "", old):
                # ``import acme.settings``: the statement moves and ``acme.settings.x`` follows it
                self._move_import(statement, alias)
                self._binding_above(assignment, statement, alias, qualified)
            elif _under(qualified, old):
                self._binding_inside(assignment, statement, alias, qualified)
            elif old.startswith(qualified + "."):
                self._binding_above(assignment, statement, alias, qualified)
        self._finish()

    def _in_order(self, accesses) -> list:
        return sorted(accesses, key=lambda access: self.order.get(id(access.node), 0))

    def _import_of(self, assignment: ImportAssignment):
        """(statement, alias, qualified name bound) for an import assignment, or None."""
        statement = assignment.node
        if isinstance(statement, cst.Import):
            for alias in statement.names:
                name = dotted(alias.name)
                if name is None:
                    continue
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    if alias.asname.name.value == assignment.name:
                        return statement, alias, name
                elif _under(name, assignment.name):
                    # ``import a.b.c`` binds ``a``, ``a.b`` and ``a.b.c``: uses go to the longest
                    return statement, alias, assignment.name
        elif isinstance(statement, cst.ImportFrom) and not statement.relative and statement.module is not None \
                and not isinstance(statement.names, cst.ImportStar):
            base = dotted(statement.module)
            for alias in statement.names:
                name = dotted(alias.name)
                local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) \
                    else name
                if local == assignment.name and base and name:
                    return statement, alias, f"{base}.{name}"
        return None

    def _binding_inside(self, assignment, statement, alias: cst.ImportAlias, qualified: str) -> None:
        """The import binds the deprecated name or something inside the deprecated module."""
        old, new = self.entry.name, self.entry.replacement
        renamed: Optional[str] = None
        if isinstance(statement, cst.Import):
            # ``import acme.settings as s``: the alias now names the new module; uses stay
            self._move_import(statement, alias)
        else:
            module_name = dotted(statement.module)
            assert module_name is not None
            if _under(module_name, old):
                # ``from acme.settings import get``: only the module changes
                self._import_site(statement)
                if new is not None:
                    self.replacements[statement.module] = cst.parse_expression(_moved(module_name, old, new))
            else:
                renamed = self._move_from_import(statement, alias, qualified)
        for access in self._in_order(assignment.references):
            node = access.node
            if not isinstance(node, cst.Name) or id(node) in self.seen_uses:
                continue
            self.seen_uses.add(id(node))
            self._use(node, qualified == old, cst.Name(renamed) if renamed else None)

    def _binding_above(self, assignment, statement, alias: cst.ImportAlias, qualified: str) -> None:
        """The import binds a module above the deprecated name: uses reach it through attributes."""
        old, new = self.entry.name, self.entry.replacement
        plain = isinstance(statement, cst.Import) and alias.asname is None
        moved_import = plain and _under(dotted(alias.name) or "", old)
        for access in self._in_order(assignment.references):
            node = access.node
            if not isinstance(node, (cst.Name, cst.Attribute)) or id(node) in self.seen_uses:
                continue
            self.seen_uses.add(id(node))
            expr: cst.BaseExpression = node
            name = qualified
            while name != old:
                parent = self.parents.get(expr)
                if not (isinstance(parent, cst.Attribute) and parent.value is expr):
                    break
                expr = parent
                name = f"{name}.{parent.attr.value}"
            if name != old:
                continue
            replacement = None
            if new is not None:
                replacement = self._reference(expr, plain, moved_import)
            self._use(expr, True, replacement)

    # -- rewriting ------------------------------------------------------------------------------
    def _move_import(self, statement: cst.Import, alias: cst.ImportAlias) -> None:
        old, new = self.entry.name, self.entry.replacement
        if alias in self.replacements or any(node is statement for node, _ in self.sites):
            return
        self._import_site(statement)
        if new is not None:
            name = dotted(alias.name) or ""
            self.replacements[alias] = alias.with_changes(name=cst.parse_expression(_moved(name, old, new)))

    def _move_from_import(self, statement: cst.ImportFrom, alias: cst.ImportAlias, qualified: str) -> Optional[str]:
        """``from acme.rpc import call [as c]`` → ``from acme.rpc.v2 import invoke [as c]``.

        Returns the new local name when the unaliased name changes (its uses must follow)."""
        old, new = self.entry.name, self.entry.replacement
        self._import_site(statement)
        if new is None:
            return None
        target = _moved(qualified, old, new)
        module_name, _, name = target.rpartition(".")
        local = alias.asname.name.value if alias.asname is not None else None
        renamed = None
        if local is None and name != alias.name.value:
            if name in self.bound_names:
                local = alias.name.value  # the new name is taken here: keep the old one as an alias
            else:
                renamed = name
        assert not isinstance(statement.names, cst.ImportStar)
        if len(statement.names) == 1:
            new_alias = cst.ImportAlias(name=cst.Name(name),
                                        asname=cst.AsName(name=cst.Name(local)) if local else None)
            if module_name:
                self.replacements[statement] = statement.with_changes(
                    module=cst.parse_expression(module_name), names=[new_alias])
            else:  # a top-level module has no ``from`` form
                self.replacements[statement] = cst.Import(names=[new_alias])
        else:
            others = [a for a in statement.names if a is not alias]
            others[-1] = others[-1].with_changes(comma=statement.names[-1].comma)
            previous = self.replacements.get(statement)
            if previous is not None:  # two names of one statement: the second waits a round
                return None
            self.replacements[statement] = statement.with_changes(names=others)
            self.additions.append(AddImport(module_name, name, local) if module_name else AddImport(name, None, local))
        return renamed

    def _import_site(self, statement: cst.CSTNode) -> None:
        """An import of the deprecated name: fixed with a replacement, reported when report-only."""
        if self.entry.replacement is not None:
            self.sites.append((statement, True))
        elif not self.entry.fixes_anything:
            self.sites.append((statement, False))

    def _reference(self, expr: cst.BaseExpression, plain: bool, moved_import: bool) -> cst.BaseExpression:
        """How to write the replacement where ``expr`` wrote the deprecated name through a module."""
        old, new = self.entry.name, self.entry.replacement
        assert new is not None
        if moved_import:
            return cst.parse_expression(new)  # its import statement is rewritten to import it
        module_name, _, name = new.rpartition(".")
        parent = self.parents.get(expr)
        container = isinstance(parent, cst.Attribute) and parent.value is expr
        top = new.split(".")[0]
        if plain and module_name and not container and top not in self.bound_names - {old.split(".")[0]}:
            self.additions.append(AddImport(module_name))
            return cst.parse_expression(new)
        if module_name and name not in self.bound_names:
            self.additions.append(AddImport(module_name, name))
            return cst.Name(name)
        self.additions.append(AddImport(module_name) if module_name else AddImport(new))
        return cst.parse_expression(new)

    def _use(self, expr: cst.BaseExpression, exact: bool, replacement: Optional[cst.BaseExpression]) -> None:
        """One use of the deprecated name (``exact``: the callable itself): ``expr`` becomes ``replacement``."""
        parent = self.parents.get(expr)
        call = parent if exact and isinstance(parent, cst.Call) and parent.func is expr else None
        kwargs_fixed = call is not None and self._fix_keywords(call)
        if replacement is not None:
            self.replacements[expr] = replacement
        if not self.entry.fixes_anything:
            self.sites.append((call or expr, False))  # report only: every use
        elif replacement is not None or kwargs_fixed:
            self.sites.append((call or expr, True))
        # else the use stays as written: its import statement carries the move

    def _fix_keywords(self, call: cst.Call) -> bool:
        rename, remove = self.entry.rename_kwargs, self.entry.remove_kwargs
        args = list(call.args)
        kept = [a for a in args if not (a.keyword is not None and a.keyword.value in remove)]
        if len(kept) == len(args) and not any(a.keyword is not None and a.keyword.value in rename for a in args):
            return False
        for arg in args:
            if arg not in kept:
                self.replacements[arg] = cst.RemoveFromParent()
        for index, arg in enumerate(kept):
            new_arg = arg
            if arg.keyword is not None and arg.keyword.value in rename:
                new_arg = new_arg.with_changes(keyword=cst.Name(rename[arg.keyword.value]))
            if index == len(kept) - 1 and arg is not args[-1]:
                # the last argument went: the one now last takes its trailing comma (or none)
                new_arg = new_arg.with_changes(comma=args[-1].comma)
            if new_arg is not arg:
                self.replacements[arg] = new_arg
        return True

    def _finish(self) -> None:
        fix = None
        if self.replacements:
            fix = Fix(dict(self.replacements), SAFE, self._description(), tuple(dict.fromkeys(self.additions)))
        reported: Set[int] = set()
        for node, changed in self.sites:
            if id(node) in reported:
                continue
            reported.add(id(node))
            self.rule.report(node, fix=fix if changed else None)

    def _description(self) -> str:
        entry = self.entry
        parts = []
        if entry.replacement:
            parts.append(f"use {entry.replacement}")
        if entry.rename_kwargs:
            parts.append("rename " + ", ".join(f"{a}= to {b}=" for a, b in entry.rename_kwargs.items()))
        if entry.remove_kwargs:
            parts.append("drop " + ", ".join(f"{k}=" for k in entry.remove_kwargs))
        return "; ".join(parts)

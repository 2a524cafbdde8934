"""The rule classes of declared deprecations (``svcmod.registry.declared`` reads the entries): the
walk that finds every way a file reaches a deprecated name, and the one fix that moves them all."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple, Type

import libcst as cst

from svcmod.rule import NOT_IN_MIGRATIONS, SAFE, AddImport, FastPath, Fix, Requires, Rule, dotted


def rule_class(deprecation: Any) -> Type[Rule]:
    """A ``DeclaredDeprecation`` subclass for ``deprecation`` (a ``svcmod.registry.declared.Deprecation``,
    which imports this module when it makes its rule)."""
    kind = f"use {deprecation.replacement}" if deprecation.replacement else "report only"
    doc = (f"Checks for uses of `{deprecation.name}`, declared deprecated in the project's configuration.\n\n"
           f"    ## Why is this bad?\n    {deprecation.message}\n\n"
           f"    Declared in {deprecation.source} ({kind}).\n\n"
           f"    ## Fix safety\n    Safe: the replacement is declared by the framework's owners as the same "
           f"API under its new name.\n")
    attributes = {
        "__doc__": doc,
        "__module__": "svcmod.registry.declared",  # where rules_from_config made them before
        "code": deprecation.code,
        "name": "deprecated-" + deprecation.name.replace(".", "-").replace("_", "-"),
        "message": deprecation.message,
        "fix_safety": SAFE if deprecation.fixes_anything else None,
        "fast_path": FastPath(imports=(deprecation.module,), tokens=(deprecation.name.rsplit(".", 1)[-1].encode(),),
                              sketch=True),
        "migrations": deprecation.migrations,
        "requires": (Requires(deprecation.requires),) if deprecation.requires and deprecation.fixes_anything else (),
        "deprecation": deprecation,
    }
    return type(f"Declared{deprecation.code}", (DeclaredDeprecation,), attributes)


def _under(qualified: str, prefix: str) -> bool:
    return qualified == prefix or qualified.startswith(prefix + ".")


def _moved(qualified: str, old: str, new: str) -> str:
    return new + qualified[len(old):]


class DeclaredDeprecation(Rule):
    """Base of the rules made from declared deprecations; ``deprecation`` holds the entry.

    The walk records the file's imports and every name that resolves to the deprecated name or a
    module above it (the svcmod resolver, no scope analysis: an acme monorepo imports acme in most
    files, so this runs often); ``end_file`` plans the one fix.
    """

    deprecation: Any  # the svcmod.registry.declared.Deprecation it was made from
    migrations: Tuple[str, ...] = ()
    #: Not in the built-in migrations' own lists: an entry joins the migrations its ``migrations``
    #: names (``svcmod.migrate.migration.resolve``), as a fix when it has a replacement.
    in_migrations = NOT_IN_MIGRATIONS

    def reset(self) -> None:
        self.import_statements: List[cst.CSTNode] = []
        self.uses: List[Tuple[cst.Name, str]] = []  # (name, what it resolves to)
        self.not_uses: Set[int] = set()  # names that bind, or name an attribute or a keyword
        self.bound_names: Set[str] = set()
        self.attribute_of: Dict[int, cst.Attribute] = {}  # id(value) → the Attribute reading it
        self.call_of: Dict[int, cst.Call] = {}  # id(func) → the Call of it

    # -- the walk ------------------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        self.import_statements.append(node)
        for alias in node.names:
            self._not_uses(alias.name)
            if alias.asname is not None:
                self._binds(alias.asname.name)
            else:
                self.bound_names.add((dotted(alias.name) or "").split(".")[0])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.import_statements.append(node)
        if node.module is not None:
            self._not_uses(node.module)
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                self._not_uses(alias.name)
                self._binds(alias.asname.name if alias.asname is not None else alias.name)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.not_uses.add(id(node.attr))
        self.attribute_of[id(node.value)] = node

    def visit_Call(self, node: cst.Call) -> None:
        self.call_of[id(node.func)] = node

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.not_uses.add(id(node.keyword))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._binds(node.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._binds(node.name)

    def visit_Param(self, node: cst.Param) -> None:
        self._binds(node.name)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._binds(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._binds(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._binds(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._binds(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._binds(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._binds(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._binds(node.name)

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self._binds(item.name)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        for item in node.names:
            self._binds(item.name)

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) in self.not_uses:
            return
        qualified = self.qualified_name(node)
        if qualified is None:
            return
        old = self.deprecation.name
        if _under(qualified, old) or old.startswith(qualified + "."):
            self.uses.append((node, qualified))

    def _binds(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.not_uses.add(id(target))
            self.bound_names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._binds(element.value)
        elif isinstance(target, cst.StarredElement):
            self._binds(target.value)

    def _not_uses(self, expr: cst.BaseExpression) -> None:
        while isinstance(expr, cst.Attribute):
            self.not_uses.add(id(expr.attr))
            expr = expr.value
        self.not_uses.add(id(expr))

    def end_file(self) -> None:
        _Migration(self).run()


class _Migration:
    """The reports and the one fix of a declared deprecation in one file."""

    def __init__(self, rule: DeclaredDeprecation) -> None:
        self.rule = rule
        self.entry = rule.deprecation
        self.replacements: Dict[cst.CSTNode, Any] = {}
        self.additions: List[AddImport] = []
        self.sites: List[Tuple[cst.CSTNode, bool]] = []  # (node reported, whether the fix changes it)
        self.bound_names = rule.bound_names
        self.hidden_keywords: List[cst.Call] = []  # calls passing **kwargs when keywords change

    def run(self) -> None:
        old, new = self.entry.name, self.entry.replacement
        moved_roots: Set[str] = set()  # ``import acme.settings`` moves: ``acme.settings.x`` follows it
        plain_roots: Set[str] = set()  # names bound by ``import a.b`` without ``as``
        renamed: Dict[Tuple[str, str], str] = {}  # (local name, what it named) → its new name
        for statement in self.rule.import_statements:
            if isinstance(statement, cst.Import):
                for alias in statement.names:
                    name = dotted(alias.name)
                    if name is None:
                        continue
                    if alias.asname is None:
                        plain_roots.add(name.split(".")[0])
                    if _under(name, old):
                        self._move_import(statement, alias)
                        if alias.asname is None:
                            moved_roots.add(name.split(".")[0])
            elif not statement.relative and statement.module is not None \
                    and not isinstance(statement.names, cst.ImportStar):
                module_name = dotted(statement.module) or ""
                if _under(module_name, old):
                    # ``from acme.settings import get``: only the module changes
                    self._import_site(statement)
                    if new is not None:
                        self.replacements[statement.module] = cst.parse_expression(_moved(module_name, old, new))
                    continue
                for alias in statement.names:
                    qualified = f"{module_name}.{dotted(alias.name)}"
                    if _under(qualified, old):
                        local = alias.asname.name.value if alias.asname is not None \
                            and isinstance(alias.asname.name, cst.Name) else dotted(alias.name) or ""
                        new_local = self._move_from_import(statement, alias, qualified)
                        if new_local:
                            renamed[(local, qualified)] = new_local
        for name, qualified in self.rule.uses:
            moved_root = name.value in moved_roots and qualified == name.value  # ``import legacy_auth``
            if _under(qualified, old) and not moved_root:
                # the name was imported from the deprecated module or is the deprecated name itself
                new_local = renamed.get((name.value, qualified))
                self._use(name, qualified == old, cst.Name(new_local) if new_local else None)
                continue
            expr: cst.BaseExpression = name
            while qualified != old:
                attribute = self.rule.attribute_of.get(id(expr))
                if attribute is None:
                    break
                expr, qualified = attribute, f"{qualified}.{attribute.attr.value}"
            if qualified != old:
                continue
            replacement = None
            if new is not None:
                replacement = self._reference(expr, name.value in plain_roots, name.value in moved_roots)
            self._use(expr, True, replacement)
        self._finish()

    # -- rewriting ------------------------------------------------------------------------------
    def _move_import(self, statement: cst.Import, alias: cst.ImportAlias) -> None:
        old, new = self.entry.name, self.entry.replacement
        if alias in self.replacements:
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
        container = id(expr) in self.rule.attribute_of
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
        call = self.rule.call_of.get(id(expr)) if exact else None
        kwargs_fixed = call is not None and self._fix_keywords(call)
        if replacement is not None:
            self.replacements[expr] = replacement
        if call is not None and (self.entry.rename_kwargs or self.entry.remove_kwargs) \
                and any(arg.star == "**" for arg in call.args):
            # a keyword to rename may hide in **kwargs: the file is left to a person
            self.hidden_keywords.append(call)
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
        if self.replacements and not self.hidden_keywords:
            fix = Fix(dict(self.replacements), SAFE, self._description(), tuple(dict.fromkeys(self.additions)))
        reported: Set[int] = set()
        for node, changed in self.sites:
            if id(node) in reported:
                continue
            reported.add(id(node))
            if any(node is call for call in self.hidden_keywords):
                keywords = ", ".join([*self.entry.rename_kwargs, *self.entry.remove_kwargs])
                self.rule.report(node, message=f"{self.entry.message} (not fixed in this file: this call passes "
                                               f"**kwargs, which may hold {keywords})")
            else:
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

"""Applying fixes to a tree in one pass, with their imports, and verifying the result."""
from __future__ import annotations

from typing import Dict, List, Sequence, Set, Tuple

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, ImportItem, RemoveImportsVisitor

from svcmod.rule import AddImport, Fix, dotted


class VerificationFailed(Exception):
    """A rewritten module did not re-parse, compile, or settle; it is not written."""


class _Replace(cst.CSTTransformer):
    """Swap nodes by identity; a node whose children another fix changed is left for next round."""

    def __init__(self, fixes: Sequence[Fix]) -> None:
        super().__init__()
        self.owner: Dict[int, Fix] = {}
        self.replacement: Dict[int, object] = {}
        self.conflicted: Set[int] = set()  # id(Fix)
        for fix in fixes:
            for old, new in fix.replacements.items():
                if id(old) in self.owner:
                    self.conflicted.add(id(fix))
                    continue
                self.owner[id(old)] = fix
                self.replacement[id(old)] = new

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        key = id(original_node)
        fix = self.owner.get(key)
        if fix is None or id(fix) in self.conflicted:
            return updated_node
        if updated_node is not original_node and not updated_node.deep_equals(original_node):
            # a descendant was fixed by another fix: this one waits for the next round
            self.conflicted.add(id(fix))
            return updated_node
        return self.replacement[key]


def apply_fixes(module: cst.Module, fixes: Sequence[Fix]) -> Tuple[cst.Module, List[Fix]]:
    """``module`` with every non-conflicting fix applied, and the fixes that were."""
    # several reports may share one Fix (a codemod over the whole file): apply it once
    candidates = list({id(fix): fix for fix in fixes}.values())
    while True:
        transformer = _Replace(candidates)
        new_module = module.visit(transformer)
        applied = [fix for fix in candidates if id(fix) not in transformer.conflicted]
        # a fix with several replacements is all or nothing: if one part waited, redo without it
        partial = any(len(fix.replacements) > 1 for fix in candidates if id(fix) in transformer.conflicted)
        if not partial:
            break
        candidates = applied
    additions = [i for fix in applied for i in fix.add_imports]
    removals = [i for fix in applied for i in fix.remove_imports]
    if additions or removals:
        context = CodemodContext()
        if removals:
            new_module = RemoveImportsVisitor(
                context, [(r.module, r.name, r.alias) for r in dict.fromkeys(removals)]
            ).transform_module(new_module)
        if additions:
            new_module, additions = _append_to_from_imports(new_module, list(dict.fromkeys(additions)))
        if additions:
            new_module = AddImportsVisitor(
                context, [ImportItem(a.module, a.name, a.alias) for a in additions]
            ).transform_module(new_module)
    return new_module, applied


def _append_to_from_imports(module: cst.Module, additions: List[AddImport]) -> Tuple[cst.Module, List[AddImport]]:
    """Add names to an existing one-line ``from m import a, b`` at the end, as a person would.

    (LibCST's AddImportsVisitor puts them first.) What this cannot place is left for it.
    """
    wanted = [a for a in additions if a.name is not None]
    if not wanted:
        return module, additions
    body = list(module.body)
    placed: List[AddImport] = []
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        node = statement.body[0]
        if not isinstance(node, cst.ImportFrom) or node.relative or node.module is None \
                or isinstance(node.names, cst.ImportStar) or node.lpar is not None:
            continue
        module_name = dotted(node.module)
        here = [a for a in wanted if a.module == module_name and a not in placed]
        if not here:
            continue
        present = {(dotted(n.name), n.asname.name.value if n.asname and isinstance(n.asname.name, cst.Name) else None)
                   for n in node.names}
        names = list(node.names)
        for addition in here:
            placed.append(addition)
            if (addition.name, addition.alias) in present:
                continue
            names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            alias = cst.AsName(name=cst.Name(addition.alias)) if addition.alias else None
            names.append(cst.ImportAlias(name=cst.Name(addition.name), asname=alias))
        body[index] = statement.with_changes(body=[node.with_changes(names=names)])
    if not placed:
        return module, additions
    return module.with_changes(body=body), [a for a in additions if a not in placed]


def verify(source: bytes, filename: str) -> cst.Module:
    """Re-parse rewritten bytes; the returned module is what the next round lints."""
    try:
        return cst.parse_module(source)
    except Exception as error:  # any parser failure means the fix produced bad code
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise VerificationFailed(f"fixed code does not parse: {first}") from None

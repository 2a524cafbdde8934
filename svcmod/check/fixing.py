"""Applying fixes to a tree in one pass, with their imports, and verifying the result."""
from __future__ import annotations

import ast
import dataclasses
import functools
import re
import warnings
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, ImportItem, RemoveImportsVisitor

from svcmod.check.layout import DEFAULT_LINE_LENGTH, TooLong, grew_over, is_laid_out, relaid, relaid_alone
from svcmod.rule import AddImport, Fix, RemoveImport, dotted


class VerificationFailed(Exception):
    """A rewritten module did not re-parse, compile, or settle; it is not written."""


class _Replace(cst.CSTTransformer):
    """Swap nodes by identity; a node whose children another fix changed is left for next round.
    A statement a fix changed is laid out again for the project's line length (``layout.py``)."""

    def __init__(self, fixes: Sequence[Fix], line_length: int = DEFAULT_LINE_LENGTH,
                 default_indent: str = "    ", target_version: Optional[Tuple[int, int]] = None) -> None:
        super().__init__()
        self.line_length = line_length
        self.target_version = target_version  # the project's lowest Python (None: not known)
        self.indents: List[str] = [default_indent]
        self.depth: List[int] = [0]  # columns of indentation of the statements being visited
        self.owner: Dict[int, Fix] = {}
        self.replacement: Dict[int, object] = {}
        self.conflicted: Set[int] = set()  # id(Fix)
        self.refused: Set[int] = set()  # id(Fix): no layout keeps its statement within the line limit
        # nodes swapped so far, and that count as each statement being visited was entered: a
        # statement is laid out again only if a swap happened inside it (visiting rebuilds every
        # node, so identity alone does not tell a changed statement from an untouched one)
        self.swaps = 0
        self.swaps_on_entry: List[int] = []
        for fix in fixes:
            for old, new in fix.replacements.items():
                if id(old) in self.owner:
                    self.conflicted.add(id(fix))
                    continue
                self.owner[id(old)] = fix
                self.replacement[id(old)] = new
        #: the nodes with a replaced node below them (None: every node); the rest of the tree is
        #: left as it is, not rebuilt node by node (most of a fix's time in a long file)
        self.holding: Optional[Set[int]] = None
        #: where each fix's changes went, for ``fix.edits`` (svcmod/run/fix_edits.py): for each
        #: innermost statement laid out again (``_LAID_OUT``) holding a swap, (its original, what
        #: it became, the ids of the fixes swapped in it); a swap outside any: (the node, its
        #: replacement, the fix's id)
        self.units: List[Tuple[cst.CSTNode, object, FrozenSet[int]]] = []
        self.open_units: List[List[int]] = []
        # the fixes swapped in the header of each compound statement being visited (``if``,
        # ``while``, ``def``, ``class``: not laid out, only kept within the line limit), and for each
        # statement being visited whether it is such a header (else one laid out, or its body)
        self.headers: List[List[int]] = []
        self.in_header: List[bool] = []
        self.elifs: Set[int] = set()  # ids of the ``if`` nodes written ``elif`` (two columns wider)

    def visit_only_towards(self, module: cst.Module, fixes: Sequence[Fix]) -> None:
        self.holding = holding(module, [old for fix in fixes for old in fix.replacements])

    def on_visit(self, node) -> bool:  # type: ignore[override]
        if isinstance(node, cst.IndentedBlock):
            indent = node.indent if node.indent is not None else self.indents[0]
            self.depth.append(self.depth[-1] + len(indent.expandtabs(8)))
        elif isinstance(node, _LAID_OUT):
            self.swaps_on_entry.append(self.swaps)
            self.open_units.append([])
            self.in_header.append(False)
        elif isinstance(node, _HEADERS):
            self.headers.append([])
            self.in_header.append(True)
            if isinstance(node, cst.If) and isinstance(node.orelse, cst.If):
                self.elifs.add(id(node.orelse))
            if isinstance(node, cst.Match):  # its cases are indented without an IndentedBlock
                indent = node.indent if node.indent is not None else self.indents[0]
                self.depth.append(self.depth[-1] + len(indent.expandtabs(8)))
        if self.holding is not None and id(node) not in self.holding:
            return False  # (on_leave is still called: it replaces the node itself, pops what was pushed)
        return super().on_visit(node)

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        if isinstance(original_node, cst.IndentedBlock):
            self.depth.pop()
        result = self._replaced(original_node, updated_node)
        if isinstance(original_node, _LAID_OUT) and self.swaps_on_entry.pop() < self.swaps \
                and _changed_line(original_node, result):
            try:
                result = relaid(original_node, result, self.line_length - self.depth[-1], self.target_version)
            except TooLong:  # no layout keeps the line limit: the fixes in this line are not applied
                self.refused.update(self.open_units[-1])
                self.conflicted.update(self.open_units[-1])
                self.open_units[-1] = []
                result = original_node if not isinstance(original_node, (cst.With, cst.For)) \
                    else original_node.with_changes(**{name: getattr(result, name) for name in _BLOCKS
                                                       if hasattr(original_node, name)})
        if isinstance(original_node, _LAID_OUT):
            self.in_header.pop()
            swapped = self.open_units.pop()
            if swapped:
                self.units.append((original_node, result, frozenset(swapped)))
        elif isinstance(original_node, _HEADERS):
            self.in_header.pop()
            if isinstance(original_node, cst.Match):
                self.depth.pop()
            swapped = self.headers.pop()
            width = self.line_length - self.depth[-1] - (2 if id(original_node) in self.elifs else 0)
            if swapped and type(result) is type(original_node) and grew_over(original_node, result, width):
                # no layout for these headers: a fix that writes a line over the limit there is not applied
                self.refused.update(swapped)
                self.conflicted.update(swapped)
                self.units = [unit for unit in self.units if not unit[2] & set(swapped)]
                result = original_node.with_changes(**{name: getattr(result, name) for name in _BLOCKS
                                                       if hasattr(original_node, name)})
        return result

    def _replaced(self, original_node, updated_node):
        key = id(original_node)
        fix = self.owner.get(key)
        if fix is None or id(fix) in self.conflicted:
            return updated_node
        if updated_node is not original_node and not updated_node.deep_equals(original_node):
            # a descendant was fixed by another fix: this one waits for the next round
            self.conflicted.add(id(fix))
            return updated_node
        self.swaps += 1
        if self.in_header and self.in_header[-1]:
            self.headers[-1].append(id(fix))
        if self.open_units:
            self.open_units[-1].append(id(fix))
        else:
            self.units.append((original_node, self.replacement[key], frozenset([id(fix)])))
        return self.replacement[key]


#: The statements whose lines ``layout.relaid`` lays out again when a fix changed them.
_LAID_OUT = (cst.SimpleStatementLine, cst.Decorator, cst.With, cst.For)
#: Compound statements whose header a fix may change but no layout prints: only kept within the limit
#: (``except requests.exceptions.X:`` renamed, ``match``'s subject, a ``case`` guard). ``try``,
#: ``else`` and ``finally`` have no header a fix can change; ``with`` and ``for`` are laid out.
_HEADERS = (cst.If, cst.While, cst.FunctionDef, cst.ClassDef, cst.ExceptHandler, cst.ExceptStarHandler,
            cst.Match, cst.MatchCase)
#: What a compound statement holds besides its header (kept as the fixes made it when the header is not).
_BLOCKS = ("body", "orelse", "decorators", "cases")
#: Nodes that hold only whitespace and comments: no replaced node is below them unless it is one
_BLANK = (cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline, cst.Comment)
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def holding(module: cst.Module, nodes: Sequence[cst.CSTNode]) -> Optional[Set[int]]:
    """The ids of the nodes of ``module`` that have one of ``nodes`` below them, found by reading
    the nodes' fields (LibCST's own visit rebuilds every node); None when one of ``nodes`` is a
    piece of whitespace, or the tree is too deep to read."""
    if any(isinstance(node, _BLANK) for node in nodes):
        return None
    targets = {id(node) for node in nodes}
    found: Set[int] = set()

    def below(node: cst.CSTNode) -> bool:
        names = _FIELDS.get(type(node))
        if names is None:
            names = _FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
        hit = False
        for name in names:
            value = getattr(node, name)
            for child in (value if isinstance(value, (tuple, list)) else (value,)):
                if not isinstance(child, cst.CSTNode) or isinstance(child, _BLANK):
                    continue
                if below(child) or id(child) in targets:
                    hit = True
        if hit:
            found.add(id(node))
        return hit

    try:
        below(module)
    except RecursionError:
        return None
    return found


def _changed_line(original: cst.CSTNode, updated: object) -> bool:
    """Whether ``updated`` changes the logical line of a statement (a ``with`` statement's header,
    not its body)."""
    if type(updated) is not type(original):
        return False
    if isinstance(original, (cst.SimpleStatementLine, cst.Decorator)):
        return True
    if isinstance(original, cst.With):
        assert isinstance(updated, cst.With)
        return len(updated.items) != len(original.items) or any(a is not b for a, b in zip(original.items, updated.items))
    if isinstance(original, cst.For):
        assert isinstance(updated, cst.For)
        return updated.iter is not original.iter
    return False


#: Where a pass of fixes made its changes (``apply_fixes``' ``changes``): ``units`` as
#: ``_Replace.units``, ``imports`` whether imports were added or removed.
Changes = Dict[str, object]


def apply_fixes(module: cst.Module, fixes: Sequence[Fix], line_length: int = DEFAULT_LINE_LENGTH,
                target_version: Optional[Tuple[int, int]] = None,
                source: Optional[bytes] = None, changes: Optional[Changes] = None) -> Tuple[cst.Module, List[Fix]]:
    """``module`` with every non-conflicting fix applied, and the fixes that were; the statements
    they change are laid out for ``line_length`` columns, in syntax ``target_version`` (the
    project's lowest Python; None: not known) accepts. ``source``: the bytes ``module`` was
    parsed from, when known (else generated again); ``changes``: filled with where the changes went."""
    # several reports may share one Fix (a codemod over the whole file): apply it once
    candidates = list({id(fix): fix for fix in fixes}.values())
    refused: List[Fix] = []
    while True:
        transformer = _Replace(candidates, line_length, module.default_indent, target_version)
        transformer.visit_only_towards(module, candidates)
        new_module = module.visit(transformer)
        refused += [fix for fix in candidates if id(fix) in transformer.refused]
        applied = [fix for fix in candidates if id(fix) not in transformer.conflicted]
        # a fix with several replacements is all or nothing: if one part waited, redo without it
        partial = any(len(fix.replacements) > 1 for fix in candidates if id(fix) in transformer.conflicted)
        if not partial:
            break
        candidates = applied
    additions = [i for fix in applied for i in fix.add_imports]
    removals = [i for fix in applied for i in fix.remove_imports] + left_unused(module, new_module, source)
    if changes is not None:
        changes["units"], changes["imports"] = transformer.units, bool(additions or removals)
        changes["refused"] = refused
    if additions or removals:
        before = new_module
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
        new_module = _lay_out_imports(before, new_module, line_length)
    return new_module, applied


def _lay_out_imports(before: cst.Module, after: cst.Module, line_length: int) -> cst.Module:
    """Module-level imports the fixes added or extended, laid out as ruff would: in full when the
    file's imports were so laid out, else only wrapped when longer than ``line_length``."""
    def imports(module: cst.Module) -> List[cst.SimpleStatementLine]:
        return [s for s in module.body if isinstance(s, cst.SimpleStatementLine)
                and any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in s.body)]

    old = imports(before)
    written = {before.code_for_node(s.with_changes(leading_lines=())) for s in old}
    in_layout = all(is_laid_out(s, line_length) for s in old)
    body = list(after.body)
    changed = False
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine) \
                or after.code_for_node(statement.with_changes(leading_lines=())) in written \
                or not any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
            continue
        new = relaid_alone(statement, line_length, in_layout)
        if new is not statement:
            body[index] = new
            changed = True
    # a removed first import leaves the blank lines that were below it at the top of the file
    if body and before.body and body[0] is not before.body[0] and not before.body[0].leading_lines \
            and body[0].leading_lines and not any(line.comment for line in body[0].leading_lines) \
            and not any(line.comment for line in after.header):
        body[0] = body[0].with_changes(leading_lines=())
        changed = True
    # a removed first import takes the blank line below the docstring with it: put it back
    if len(before.body) > 1 and len(body) > 1 and before.body[1].leading_lines and not body[1].leading_lines \
            and _is_docstring(body[0]) and before.body[1] is not body[1]:
        body[1] = body[1].with_changes(leading_lines=before.body[1].leading_lines)
        changed = True
    return after.with_changes(body=body) if changed else after


def _is_docstring(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 \
        and isinstance(statement.body[0], cst.Expr) \
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))


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
                or isinstance(node.names, cst.ImportStar):
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
            alias = cst.AsName(name=cst.Name(addition.alias)) if addition.alias else None
            names = _with_name(names, cst.ImportAlias(name=cst.Name(addition.name), asname=alias), node.lpar)
        body[index] = statement.with_changes(body=[node.with_changes(names=names)])
    if not placed:
        return module, additions
    return module.with_changes(body=body), [a for a in additions if a not in placed]


def _with_name(names: List[cst.ImportAlias], new: cst.ImportAlias, lpar: object) -> List[cst.ImportAlias]:
    """``names`` of a from-import with ``new`` last: on a line of its own, with a trailing comma,
    when the names are one per line between parentheses; else after ", "."""
    last = names[-1]
    closing = last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else None
    if isinstance(lpar, cst.LeftParen) and isinstance(closing, cst.ParenthesizedWhitespace):
        before = names[-2].comma.whitespace_after if len(names) > 1 and isinstance(names[-2].comma, cst.Comma) \
            else lpar.whitespace_after
        if isinstance(before, cst.ParenthesizedWhitespace):
            line = closing.with_changes(empty_lines=[], indent=before.indent, last_line=before.last_line)
            return names[:-1] + [last.with_changes(comma=last.comma.with_changes(whitespace_after=line)),
                                 new.with_changes(comma=cst.Comma(whitespace_after=closing.with_changes(
                                     first_line=cst.TrailingWhitespace())))]
    new = new.with_changes(comma=last.comma if isinstance(lpar, cst.LeftParen) else cst.MaybeSentinel.DEFAULT)
    return names[:-1] + [last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), new]


def left_unused(before: cst.Module, after: cst.Module, source: Optional[bytes] = None) -> List[RemoveImport]:
    """Imports that ``before`` reads and ``after`` (the fixes applied) no longer does: ``import
    flask`` once ``flask.Markup`` became ``markupsafe.Markup``, in a module's, class's or
    function's own body. As ruff and Fixit do, the fix removes them; a name listed in ``__all__`` counts as
    read (a re-export), and LibCST's RemoveImportsVisitor removes nothing still referenced in its
    scope. ``source``: the bytes ``before`` was parsed from, when known."""
    old = source if source is not None else code_of(before)
    newly = (unused_imports(code_of(after)) - unused_imports(old)) & imported_names(old)
    if not newly:
        return []
    imports = _Imports()
    after.visit(imports)
    removals: List[RemoveImport] = []
    for small in imports.found:
        if isinstance(small, cst.Import):
            for alias in small.names:
                name = dotted(alias.name)
                local = alias.evaluated_alias or name.split(".")[0]
                if local in newly:
                    removals.append(RemoveImport(name, None, alias.evaluated_alias))
        elif not small.relative and small.module is not None and not isinstance(small.names, cst.ImportStar):
            for alias in small.names:
                local = alias.evaluated_alias or dotted(alias.name)
                if local in newly:
                    removals.append(RemoveImport(dotted(small.module), dotted(alias.name), alias.evaluated_alias))
    return removals


_LAST_CODE: List[Tuple[cst.Module, bytes]] = []


def code_of(module: cst.Module) -> bytes:
    """``module.bytes``, generated once for the module last asked about: LibCST generates the code
    of the whole file anew at every ``.bytes``, and a fix needs the fixed file's twice (for the
    imports it leaves unused, and to write it)."""
    if _LAST_CODE and _LAST_CODE[0][0] is module:
        return _LAST_CODE[0][1]
    code = module.bytes
    _LAST_CODE[:] = [(module, code)]  # (held, so that no other module takes its id)
    return code


class _Imports(cst.CSTVisitor):
    """The import statements of a module's, a class's or a function's own body. One under ``try``,
    ``if`` or ``with`` is a guarded import (``try: import flask / except ImportError: ...``):
    removing it would leave the guard empty, so it stays and the fix is refused instead."""

    def __init__(self) -> None:
        super().__init__()
        self.found: List[Union[cst.Import, cst.ImportFrom]] = []

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        self.found.extend(small for small in node.body if isinstance(small, (cst.Import, cst.ImportFrom)))
        return False

    def _guarded(self, node: cst.CSTNode) -> bool:
        return False

    visit_Try = visit_TryStar = visit_If = visit_With = visit_For = visit_While = visit_Match = _guarded


def check_no_new_unused_import(new: bytes, old: bytes) -> None:
    """Fixed code must not hold an import nothing uses (pyflakes' F401) that the original read or
    did not have: one a fix added and then did not need, or one whose last use a fix rewrote and
    that could not be removed (``left_unused`` removes those it can)."""
    before, after = unused_imports(old), unused_imports(new)
    had = imported_names(old)
    left = (after - before) & had
    # an import a fix added: one already unused may be renamed (``import retrying`` unused →
    # ``import tenacity`` unused), so only a growing count of unused imports is a fault
    added = after - before - had
    if left or (added and len(after) > len(before)):
        raise VerificationFailed(f"the fixes leave unused imports: {', '.join(sorted(left | added))}")


def _tree(source: bytes) -> Optional[ast.AST]:
    with warnings.catch_warnings():  # SyntaxWarnings about the user's code are not ours to print
        warnings.simplefilter("ignore")
        try:
            return compile(source, "<svcmod>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            return None


@functools.lru_cache(maxsize=8)  # a file's are asked for again by each check of a fix (and each fix alone)
def imported_names(source: bytes) -> FrozenSet[str]:
    """Every name an import statement of ``source`` binds."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    return frozenset(alias.asname or (alias.name.split(".")[0] if isinstance(node, ast.Import) else alias.name)
                     for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                     for alias in node.names)


@functools.lru_cache(maxsize=8)
def unused_imports(source: bytes) -> FrozenSet[str]:
    """Names bound by imports that the module never reads (nor lists in ``__all__``), as pyflakes
    finds them, less exactly: a name read anywhere counts as used everywhere."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    bound: Dict[str, str] = {}
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                continue
            for alias in node.names:
                if alias.name != "*":
                    bound[alias.asname or alias.name] = alias.asname or alias.name
        elif isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # __all__ entries and string annotations ("requests.Session"): words count as uses
            used.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", node.value))
    return frozenset(name for name in bound if name not in used)


def verify(source: bytes, filename: str) -> cst.Module:
    """Re-parse rewritten bytes; the returned module is what the next round lints."""
    try:
        return cst.parse_module(source)
    except Exception as error:  # any parser failure means the fix produced bad code
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise VerificationFailed(f"fixed code does not parse: {first}") from None

"""Checking one file: prefilter, parse, resolve, walk the rules, fix, verify."""
from __future__ import annotations

import ast
import codecs
import gc
import re
import time
import warnings
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Type

import libcst as cst
from libcst.metadata import CodePosition, CodeRange

from svcmod.check.names import Names, imported_modules
from svcmod.check.policy import FixPolicy
from svcmod.check.project_index import View, code_only
from svcmod.check.walk import walk
from svcmod.fastpath.excerpt import Excerpt, excerpt
from svcmod.fastpath.positions import positions_of
from svcmod.project.config import Config, is_selected
from svcmod.registry.rules import selected_rules
from svcmod.results import ENGINE_CODES, Edit, FileResult, Finding
from svcmod.rule import FileContext, Report, Rule

MAX_FIX_ROUNDS = 8
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*svcmod:\s*ignore\[(?P<codes>[^\]]*)\]")
_IGNORE_FILE = re.compile(rb"#\s*svcmod:\s*ignore-file\b")
_GENERATED = re.compile(rb"@generated\b|DO NOT EDIT", re.IGNORECASE)


class Checker:
    """The rules of one configuration, built once and used for many files."""

    def __init__(self, config: Config, policy: FixPolicy = FixPolicy(),
                 only_codes: Optional[FrozenSet[str]] = None, honour_noqa: bool = True,
                 excerpts: bool = True, fast_path: bool = True) -> None:
        self.config = config
        # False: every wanted file is parsed whole by LibCST, neither screened nor cut (the
        # prefilter still applies)
        self.excerpts = excerpts and fast_path
        # False: no fast path at all (``svcmod lint --no-fast-path``): every file is parsed whole
        # and every selected rule runs on it, whatever its text holds. The reference the fast
        # path is checked against (bench/differential.py, tests/test_differential.py)
        self.fast_path = fast_path
        self.policy = policy
        # False in the flake8 plugin: flake8 applies ``# noqa`` itself (and reports unused ones)
        self.honour_noqa = honour_noqa
        rules = selected_rules(config)
        if only_codes is not None:
            rules = tuple(r for r in rules if r.code in only_codes)
        self.rule_classes: Tuple[Type[Rule], ...] = rules
        self.rules: Dict[str, Rule] = {
            r.code: r(config.rule_options.get(r.code, {}), config.settings) for r in rules
        }
        self._project: Optional[View] = None
        self._borrowed = frozenset()
        self._fixes_at: Optional[FrozenSet[FindingAt]] = None
        #: with ``fix_each``: the findings to fix one by one, the results, and when to stop
        self._each: Optional[Sequence[FindingAt]] = None
        self._each_results: List[Optional[FileResult]] = []
        self._each_deadline: Optional[float] = None
        #: after a check that made every fix: the lines each finding's fix changed, before and
        #: after, by finding (``_footprints``); svcmod/run/fix_edits.py splits the changes by them
        self.fix_footprints: Dict[FindingAt, Optional[Footprint]] = {}
        self.engine_selected = {c: is_selected(c, config.select + config.extend_select, config.ignore)
                                for c in ENGINE_CODES}

    # -- one file -------------------------------------------------------------------------
    def check(self, filename: str, source: bytes, ignored_codes: Sequence[str] = (),
              named: bool = False, project: Optional[View] = None,
              fixes_at: Optional[FrozenSet[FindingAt]] = None) -> FileResult:
        """``named``: the user named this file, so a syntax error in it is reported even when no
        rule wants the file (found by a directory walk, such a file is not parsed at all).
        ``project``: the project index as this file's module sees it (``svcmod.check.project_index``).
        ``fixes_at``: with a fixing policy, fix only the findings at these (code, line, column)
        (an editor's quick fix): the fixes those fixes bring about are made too, the file's other
        findings are left as they are."""
        self._project = project
        self._fixes_at = fixes_at
        self.fix_footprints = {}
        self._borrowed: FrozenSet[str] = frozenset()
        # A tree is a million small objects that live until the file is done and hold no cycles:
        # the cyclic collector scanning them again and again cost 17 % of a cold run. It runs
        # between files instead.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._check(filename, source, ignored_codes, named)
        finally:
            if collecting:
                gc.enable()

    def fix_each(self, filename: str, source: bytes, each: Sequence[FindingAt], ignored_codes: Sequence[str] = (),
                 named: bool = False, project: Optional[View] = None,
                 deadline: Optional[float] = None) -> List[Optional[FileResult]]:
        """What ``check(..., fixes_at=frozenset([at]))`` gives for each ``at`` of ``each`` (with a
        fixing policy), the file parsed and its rules run once for all of them: fixing makes new
        trees and leaves the parsed one as it was, so each fix starts from the same tree. None for
        those not begun before ``deadline`` (``time.perf_counter()``)."""
        self._each, self._each_results, self._each_deadline = list(each), [], deadline
        try:
            found = self.check(filename, source, ignored_codes, named, project, fixes_at=frozenset(each))
        finally:
            self._each = None
        # no fix was reached (none of them can be made here): each alone gives what the check gave
        return self._each_results or [found for _ in each]

    def _check(self, filename: str, source: bytes, ignored_codes: Sequence[str], named: bool = False) -> FileResult:
        result = FileResult(filename)
        result.lines = source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0)
        if len(source) > self.config.max_file_size:
            # the engine reads at most limit + 1 bytes, so the real size is not known here
            self.engine_finding(result, "SVC901", f"not checked: larger than the max-file-size "
                                 f"limit of {self.config.max_file_size} bytes", 1, 1)
            return result
        if b"\0" in source:
            self.engine_finding(result, "SVC901", "not checked: binary file (contains NUL bytes)", 1, 1)
            return result
        if _IGNORE_FILE.search(source):
            result.skipped = "svcmod: ignore-file"
            return result
        if not self.config.check_generated and _GENERATED.search(source, 0, 2048):
            result.skipped = "generated file"
            return result
        if named and python_tree(source) is None and self._parse(result, source) is None:
            return result
        imported = own = imported_modules(source) if self.fast_path else frozenset()
        self._borrowed = frozenset()
        if self._project is not None and self.fast_path:
            # objects of other modules of the project (or declared clients) the file may use: the
            # rules that look for their library must see it
            self._borrowed = self._project.borrowed(imported, source)
            imported = imported | self._borrowed
        active = self._active(source, imported, ignored_codes)
        if not active:
            return result
        borrowing = self._borrowing(source, own, active, ignored_codes)
        lent = None
        if borrowing:
            active, lent = self._borrowed_by_name(source, own, active, ignored_codes)
            if not active:
                return result
            imported = own | self._borrowed
            borrowing = lent is None
        too_deep = nesting_problem(source)
        if too_deep:
            self.engine_finding(result, "SVC901", f"not checked: {too_deep}", 1, 1)
            return result
        # a rule reading whitespace, comments or brackets makes excerpts go by the text alone
        # (an editor's quick fix is made on the whole file anyway: sketching and cutting it first is lost time)
        cut = self.excerpts and not borrowing and self._fixes_at is None
        screening = self.screen(filename, active) \
            if cut and self.fast_path and all(rule.fast_path.sketch for rule in active) else None
        part = excerpt(source, [type(rule) for rule in active], imported, screening, lent) if cut else None
        if part is not None and part.empty:
            return result
        if screening is not None and screening.reports is not None \
                and not any(self._fixable(report) for report in screening.reports):
            located = self._locate_sketched(screening, source)
            if located is not None:  # what the rules found on the sketch, placed by Python's parser
                result.parsed = True
                result.findings = [self._finding(filename, r, pos, line) for r, (pos, line) in located]
                return result
        module = None
        if part is not None:
            try:
                module = cst.parse_module(part.source)
                result.libcst_lines = len(part.lines)
            except Exception:  # LibCST reads the whole file below and reports what it finds there
                part = None
        if module is None:
            module = self._parse(result, source)
            if module is None:
                return result
            result.libcst_lines = result.lines
        result.parsed = True
        try:
            reports = self.lint_tree(module, filename, active)
            located = self._locate(module, reports, source, part)
            if self.policy.apply and any(self._fixable(r) and (self._fixes_at is None or _at(r, pos) in self._fixes_at)
                                         for r, (pos, _) in located):
                if part is not None:  # fixes are made and verified on the whole file
                    module = self._parse(result, source)
                    if module is None:
                        return result
                    located = self._locate(module, self.lint_tree(module, filename, active), source)
                if self._each is not None:
                    self._fix_each(result, module, source, filename, active, located, ignored_codes)
                else:
                    self._fix(result, module, source, filename, active, located, ignored_codes)
            else:
                result.findings = [self._finding(filename, r, pos, line) for r, (pos, line) in located]
        except RecursionError:
            # LibCST's visitors and code generation recurse once per level of nesting
            result.findings, result.edits, result.original, result.fixed = [], [], None, None
            self.engine_finding(result, "SVC901", "not checked: nesting too deep to walk", 1, 1)
        return result

    def _borrowing(self, source: bytes, own: FrozenSet[str], active: List[Rule],
                   ignored_codes: Sequence[str]) -> bool:
        """Whether what the file borrows from the project's modules (``_borrowed``; ``own``: what it
        imports itself) matters to the rules about to run on it: it made one of them run, or one of them looks for
        names of a borrowed module. Then excerpts must follow the local names it borrows through
        (``_borrowed_by_name``). A borrowed module no running rule looks for (``collections``
        through a package re-exporting it) changes nothing."""
        if not self._borrowed:
            return False
        for rule in active:
            spec = rule.fast_path
            if any(module in self._borrowed for module in (*spec.imports, *spec.part_imports)):
                return True
        return self._active(source, own, ignored_codes) != active

    def _borrowed_by_name(self, source: bytes, own: FrozenSet[str], active: List[Rule], ignored_codes: Sequence[str]
                          ) -> Tuple[List[Rule], Optional[Dict[str, FrozenSet[str]]]]:
        """For a file whose borrowing matters (``_borrowing``): the rules to run, once what it
        borrows is read again from its code alone (``code_only``: prose naming ``event`` or ``util``
        made any name of such a module count), and the local names it borrows through, which
        excerpts then follow as they follow its own imports (None: it is read whole, as when it
        has a star import or what it borrows is not known by name)."""
        code = code_only(source)
        if code is not None:
            narrower = self._project.borrowed(own, code)
            if narrower != self._borrowed:
                self._borrowed = narrower
                active = self._active(source, own | narrower, ignored_codes)
                if not active or not self._borrowing(source, own, active, ignored_codes):
                    return active, {}
        lent = self._project.lent_by_local(code if code is not None else source)
        if lent is None or "*" in lent or not self._borrowed <= frozenset().union(*lent.values()):
            return active, None
        return active, lent

    def _active(self, source: bytes, imported: FrozenSet[str], ignored_codes: Sequence[str]) -> List[Rule]:
        """The rules to run on ``source`` (which imports ``imported``): those whose prefilter wants
        it, or every one without the fast path."""
        if not self.fast_path:
            return [self.rules[r.code] for r in self.rule_classes if r.code not in ignored_codes]
        return [self.rules[r.code] for r in self.rule_classes
                if r.code not in ignored_codes and r.wants(source, imported)]

    def screen(self, filename: str, active: Sequence[Rule]) -> "Screening":
        """Runs the rules on a sketch of ``filename``: which parts of it to parse, and what they found."""
        return Screening(self, filename, active)

    def _parse(self, result: FileResult, source: bytes) -> Optional[cst.Module]:
        """The file's tree, or None after reporting why it cannot be parsed."""
        try:
            return cst.parse_module(source)
        except cst.ParserSyntaxError as error:
            message, line, column = _syntax_error(source, error)
            self.engine_finding(result, "SVC901", f"cannot parse: {message}", line, column)
        except RecursionError:
            self.engine_finding(result, "SVC901", "cannot parse: nesting too deep", 1, 1)
        except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as error:
            self.engine_finding(result, "SVC901", f"cannot decode: {_describe(error)}", 1, 1)
        return None

    def lint_tree(self, module: cst.Module, filename: str, active: Sequence[Rule]) -> List[Report]:
        context = FileContext(filename, module, Names(module, self._project))
        for rule in active:
            rule.start_file(context)
        walk(module, active, context)
        for rule in active:
            rule.end_file()
        for rule in active:
            rule.release()
        return context.reports

    def _locate(self, module: cst.Module, reports: List[Report], source: bytes,
                part: Optional[Excerpt] = None) -> List[Tuple[Report, Any]]:
        """Positions of reports (in ``source``, also when ``module`` is an excerpt of it), minus
        those suppressed by comments."""
        if not reports:
            return []
        positions = positions_of(module, [report.node for report in reports])
        return self._located(reports, positions, _text_lines(module, source), part)

    def _locate_sketched(self, screening: "Screening", source: bytes) -> Optional[List[Tuple[Report, Any]]]:
        """Positions of what the rules reported on a sketch, from the places Python's parser gave
        the nodes it was built from (None when a reported node has no such place, in a file
        starting with a byte-order mark, which Python's columns leave out, or holding a form feed,
        which LibCST's columns leave out at the start of a top-level line)."""
        if source.startswith(codecs.BOM_UTF8) or b"\f" in source:
            return None
        where = screening.sketcher.where  # type: ignore[union-attr]
        lines = source.split(b"\n")
        positions = {}
        for report in screening.reports or ():
            node = where.get(id(report.node))
            if node is None:
                return None
            start, end = node.lineno, node.end_lineno  # type: ignore[attr-defined]
            positions[report.node] = CodeRange(
                CodePosition(start, _characters(lines[start - 1], node.col_offset)),  # type: ignore[attr-defined]
                CodePosition(end, _characters(lines[end - 1], node.end_col_offset)))  # type: ignore[attr-defined]
        return self._located(screening.reports or [], positions,
                             python_lines(source.decode("utf-8", errors="replace")))

    def _located(self, reports: List[Report], positions: Dict[cst.CSTNode, CodeRange], text_lines: List[str],
                 part: Optional[Excerpt] = None) -> List[Tuple[Report, Any]]:
        kept = []
        for report in reports:
            position = positions.get(report.node)
            if position is None:
                continue
            if part is not None:
                position = CodeRange(CodePosition(part.line_of(position.start.line), position.start.column),
                                     CodePosition(part.line_of(position.end.line), position.end.column))
            start, end = position.start.line, position.end.line
            if _suppressed(report.code, text_lines, start, end, self.honour_noqa):
                continue
            kept.append((report, (position, text_lines[start - 1] if start <= len(text_lines) else "")))
        kept.sort(key=lambda item: (item[1][0].start.line, item[1][0].start.column, item[0].code))
        return kept

    def _fixable(self, report: Report) -> bool:
        return report.fix is not None and self.policy.allows(report.code, report.fix.safety, self.config)

    def _finding(self, filename: str, report: Report, position: Any, line: str, offered: bool = True) -> Finding:
        """``offered``: False for a fix not applied since no layout keeps it within the line limit."""
        fix = report.fix if offered else None
        return Finding(report.code, report.name, report.message, filename,
                       position.start.line, position.start.column + 1,
                       position.end.line, position.end.column + 1,
                       fix.safety if fix else None, fix.description if fix else None,
                       source_line=line)

    def engine_finding(self, result: FileResult, code: str, message: str, line: int, column: int) -> None:
        if self.engine_selected.get(code, True):
            result.findings.append(Finding(code, ENGINE_CODES[code][0], message, result.filename,
                                           line, column, line, column))

    # -- fixing ---------------------------------------------------------------------------
    def _fix_each(self, result: FileResult, module: cst.Module, source: bytes, filename: str,
                  active: Sequence[Rule], located: List[Tuple[Report, Any]],
                  ignored_codes: Sequence[str] = ()) -> None:
        """``_fix`` for each finding of ``self._each`` alone, into ``self._each_results``;
        ``result`` gets the findings as found."""
        assert self._each is not None
        for at in self._each:
            if self._each_deadline is not None and time.perf_counter() > self._each_deadline:
                self._each_results.append(None)
                continue
            alone = FileResult(filename)
            alone.lines, alone.parsed, alone.libcst_lines = result.lines, True, result.libcst_lines
            self._fixes_at = frozenset([at])
            if any(self._fixable(r) and _at(r, pos) == at for r, (pos, _) in located):
                self._fix(alone, module, source, filename, active, located, ignored_codes)
            else:
                alone.findings = [self._finding(filename, r, pos, line) for r, (pos, line) in located]
            self._each_results.append(alone)
        self._fixes_at = frozenset(self._each)
        result.findings = [self._finding(filename, r, pos, line) for r, (pos, line) in located]

    def _fix(self, result: FileResult, module: cst.Module, source: bytes, filename: str,
             active: Sequence[Rule], located: List[Tuple[Report, Any]],
             ignored_codes: Sequence[str] = ()) -> None:
        from svcmod.check.fixing import VerificationFailed, apply_fixes, check_no_new_unused_import, code_of, verify
        original_located = located
        current_module, current_source = module, source
        edits: List[Edit] = []
        # with ``fixes_at``, the fixable findings not asked for, by what they report on (their
        # positions move as fixes add lines): left alone in every round
        left_alone: Dict[Tuple[str, str], int] = {}
        over_the_limit: Set[Tuple[str, str]] = set()  # findings whose fix no layout keeps within the limit
        try:
            if self._fixes_at is not None:
                lines = _text_lines(module, source)
                for report, (position, _) in located:
                    if self._fixable(report) and _at(report, position) not in self._fixes_at:
                        key = (report.code, _spanned(lines, position))
                        left_alone[key] = left_alone.get(key, 0) + 1
            for round_number in range(MAX_FIX_ROUNDS):
                chosen = [(r, pos) for r, (pos, _) in located if self._fixable(r)]
                if self._fixes_at is not None and round_number == 0:
                    # the findings asked for, by position: several findings may report on the same
                    # text (two identical calls), and matching by text would fix the first of them
                    chosen = [(r, pos) for r, pos in chosen if _at(r, pos) in self._fixes_at]
                elif left_alone:
                    # later rounds: what was asked for is fixed, positions have moved; the rest
                    # (fixes brought about, e.g. SVC202 after retrying -> tenacity) less those left alone
                    chosen = _without(chosen, left_alone, _text_lines(current_module, current_source))
                if not chosen:
                    break
                changes: Dict[str, object] = {}
                new_module, applied = apply_fixes(current_module, [r.fix for r, _ in chosen], self.config.line_length,
                                                  self.config.target_version, current_source, changes)
                refused: List[Any] = changes.get("refused", [])  # type: ignore[assignment]
                if refused:  # no layout keeps the line limit: reported, not fixed, in every round
                    lines = _text_lines(current_module, current_source)
                    for report, position in chosen:
                        if any(report.fix is fix for fix in refused):
                            key = (report.code, _spanned(lines, position))
                            left_alone[key] = left_alone.get(key, 0) + 1
                            over_the_limit.add(key)
                if not applied and refused:
                    break
                if not applied:
                    raise VerificationFailed("no fix could be applied")
                if round_number == 0 and self._fixes_at is None:
                    self.fix_footprints = _footprints(current_module, new_module, changes,
                                                      [(r, pos) for r, pos in chosen if r.fix in applied])
                for report, position in chosen:
                    if report.fix in applied:
                        edits.append(Edit(report.code, report.name, position.start.line,
                                          report.fix.safety, report.fix.description))
                # LibCST drops a file's last line end when it is a lone CR (a CR-only file)
                new_source = code_of(new_module) + (b"\r" if current_source.endswith(b"\r") else b"")
                current_module = verify(new_source, filename)
                current_source = new_source
                # a fix may bring the import another rule's prefilter waits for (retrying → tenacity)
                now_wanted = self._active(current_source, imported_modules(current_source) | self._borrowed,
                                          ignored_codes)
                active = list(active) + [rule for rule in now_wanted if rule not in active]
                located = self._locate(current_module, self.lint_tree(current_module, filename, active),
                                       current_source)
            else:
                raise VerificationFailed(f"fixes did not settle after {MAX_FIX_ROUNDS} rounds")
            left = [(r, pos) for r, (pos, _) in located if self._fixable(r)]
            if left and left_alone:
                left = _without(left, left_alone, _text_lines(current_module, current_source))
            if left:
                raise VerificationFailed("the fixed file is not a fixed point")
            if current_source != source:
                _check_compiles(current_source, source, filename)
                check_no_new_unused_import(current_source, source)
        except Exception as error:  # a crash while fixing one file loses neither the run nor its findings
            if isinstance(error, RecursionError):
                error = VerificationFailed("nesting too deep to rewrite")
            elif not isinstance(error, VerificationFailed):  # e.g. LibCST refusing a form feed in an indent
                error = VerificationFailed(f"internal error while fixing: {type(error).__name__}: "
                                           f"{_describe(error)} (please report it)")
            # leave the file as it is and report every finding of the original
            result.findings = [self._finding(filename, r, pos, line) for r, (pos, line) in original_located]
            self.engine_finding(result, "SVC902", f"fixes not applied: {error}", 1, 1)
            return
        lines = _text_lines(current_module, current_source) if over_the_limit else []
        result.findings = [self._finding(filename, r, pos, line, offered=not over_the_limit
                                         or (r.code, _spanned(lines, pos)) not in over_the_limit)
                           for r, (pos, line) in located]
        if current_source != source:
            result.edits = edits
            result.original = source
            result.fixed = current_source


#: A finding as an editor names it: (code, line, column), both from 1, as in ``Finding``.
FindingAt = Tuple[str, int, int]


#: The lines a fix's changes are on: (first, last) in the file, (first, last) in the fixed file.
Footprint = Tuple[int, int, int, int]


def _footprints(module: cst.Module, fixed: cst.Module, changes: Dict[str, object],
                chosen: List[Tuple[Report, CodeRange]]) -> Dict[FindingAt, Optional[Footprint]]:
    """The lines of the statements each fix changed (those laid out again, or the nodes it
    replaced when outside any), before and after: None for a fix that touches imports, shares a
    statement with another fix, or whose statement is not found in ``fixed``; every one None
    when the pass added or removed imports."""
    units: List[Tuple[cst.CSTNode, object, FrozenSet[int]]] = changes.get("units", [])  # type: ignore[assignment]
    before = positions_of(module, [old for old, _, _ in units])
    after = positions_of(fixed, [new for _, new, _ in units if isinstance(new, cst.CSTNode)])
    spans: Dict[int, Optional[Footprint]] = {}
    for old, new, fix_ids in units:
        start, end = before.get(old), after.get(new) if isinstance(new, cst.CSTNode) else None  # type: ignore[arg-type]
        for fix_id in fix_ids:
            if len(fix_ids) > 1 or start is None or end is None or spans.get(fix_id, ()) is None:
                spans[fix_id] = None
                continue
            here = (start.start.line, start.end.line, end.start.line, end.end.line)
            known = spans.get(fix_id)
            spans[fix_id] = here if known is None else (min(known[0], here[0]), max(known[1], here[1]),
                                                        min(known[2], here[2]), max(known[3], here[3]))
    footprints: Dict[FindingAt, Optional[Footprint]] = {}
    for report, position in chosen:
        fix = report.fix
        assert fix is not None
        touches_imports = changes.get("imports") or fix.add_imports or fix.remove_imports
        footprints[_at(report, position)] = None if touches_imports else spans.get(id(fix))
    return footprints


def _at(report: Report, position: CodeRange) -> FindingAt:
    return report.code, position.start.line, position.start.column + 1


def _spanned(lines: List[str], position: CodeRange) -> str:
    """The text from ``position``'s start to its end (what a report is on: cheaper than LibCST's
    ``code_for_node``, which was a quarter of a quick fix's time)."""
    start, end = position.start, position.end
    if start.line == end.line:
        return lines[start.line - 1][start.column:end.column] if start.line <= len(lines) else ""
    inside = lines[start.line - 1:end.line]
    if not inside:
        return ""
    inside[0] = inside[0][start.column:]
    inside[-1] = inside[-1][:end.column]
    return "\n".join(inside)


def _without(chosen: List[Tuple[Report, Any]], left_alone: Dict[Tuple[str, str], int],
             lines: List[str]) -> List[Tuple[Report, Any]]:
    """``chosen`` less the findings to leave alone (each of those once), known by code and text
    (``lines``: the text they were found in)."""
    if not left_alone:
        return chosen
    remaining = dict(left_alone)
    kept = []
    for report, position in chosen:
        key = (report.code, _spanned(lines, position))
        if remaining.get(key):
            remaining[key] -= 1
        else:
            kept.append((report, position))
    return kept


#: CPython refuses more than 200 nested brackets. LibCST's native parser gets slow long before
#: that and, past about 2000 levels, overflows the C stack: a segfault that no ``except`` catches
#: and that takes the whole run down, so such files are refused before they are parsed.
MAX_NESTING = 200
#: A line with this many operators (``- - - 1``, ``a.b.b…``, ``1+1+…``) may nest as deeply.
_CHAIN_LINE = 400
_BRACKETS = bytes.maketrans(b"([{)]}", b"((()))")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"([{)]}"))
_OPERATORS = b"-+~*/%&|^.@<>()[]"
_NOT_OPERATORS = bytes(set(range(256)) - set(_OPERATORS))
_WORD_OPERATORS = (b"not ", b"lambda", b"await ", b" if ", b" and ", b" or ")


def nesting_problem(source: bytes) -> Optional[str]:
    """Why ``source`` nests too deeply to be parsed safely, or None.

    Cheap (a few % of a parse): brackets are counted on a copy holding only brackets; only a
    file with a line full of operators is parsed by CPython's own parser first (which raises
    instead of crashing) to measure how deep its expressions really nest.
    """
    brackets = source.translate(_BRACKETS, _NOT_BRACKETS)
    depth = 0
    while b"()" in brackets:
        depth += 1
        if depth > MAX_NESTING:
            return f"nesting too deep (more than {MAX_NESTING} levels of brackets)"
        brackets = brackets.replace(b"()", b"")
    if len(source) < _CHAIN_LINE:
        return None
    lines = source.split(b"\n")
    if max(map(len, lines)) < _CHAIN_LINE or not any(_operator_heavy(line) for line in lines):
        return None  # (most files have no line that long: measured in C, not line by line in Python)
    try:
        tree = _compile_quietly(source, "<svcmod>", ast.PyCF_ONLY_AST)
    except (RecursionError, MemoryError):
        return "nesting too deep (an expression Python itself cannot compile)"
    except (SyntaxError, ValueError):
        # not valid Python here and full of operators: the native parser is not risked on it
        return "nesting too deep (a very long expression in code that does not compile)"
    if _depth(tree) > 4 * MAX_NESTING:
        return "nesting too deep (a very long chain of operators)"
    return None


def _operator_heavy(line: bytes) -> bool:
    if len(line) < _CHAIN_LINE:
        return False
    if len(line.translate(None, _NOT_OPERATORS)) >= _CHAIN_LINE:
        return True
    return sum(line.count(word) for word in _WORD_OPERATORS) >= _CHAIN_LINE


def _depth(tree: ast.AST) -> int:
    """The deepest nesting of ``tree``, without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _compile_quietly(source: bytes, filename: str, flags: int = 0) -> Any:
    """``compile()`` without its SyntaxWarnings: printed, they litter the user's terminal with
    warnings about the user's code; under ``-W error`` they would even fail verification."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile(source, filename, "exec", flags, dont_inherit=True)


def python_tree(source: bytes) -> Optional[ast.AST]:
    """``source`` as Python's own parser reads it, or None when it cannot (the cheap test: LibCST,
    which reads the syntax of every Python version, has the last word on whether a file parses)."""
    try:
        return _compile_quietly(source, "<svcmod>", ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return None


def _check_compiles(new: bytes, old: bytes, filename: str) -> None:
    from svcmod.check.fixing import VerificationFailed
    try:
        _compile_quietly(new, filename)
    except (SyntaxError, ValueError) as error:
        try:
            _compile_quietly(old, filename)
        except (SyntaxError, ValueError):
            return  # did not compile before either (e.g. newer syntax): parse check suffices
        raise VerificationFailed(f"fixed code does not compile: {_describe(error)}") from None


def _syntax_error(source: bytes, error: cst.ParserSyntaxError) -> Tuple[str, int, int]:
    """CPython's own message and position when it has one (clearer than the CST parser's)."""
    try:
        _compile_quietly(source, "<checked>", ast.PyCF_ONLY_AST)
    except SyntaxError as python_error:
        if python_error.lineno:
            return python_error.msg, python_error.lineno, max(1, python_error.offset or 1)
    except (ValueError, RecursionError, MemoryError):
        pass
    return error.message, error.raw_line, error.raw_column + 1


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _text_lines(module: cst.Module, source: bytes) -> List[str]:
    try:
        return python_lines(source.decode(module.encoding, errors="replace"))
    except LookupError:
        return python_lines(source.decode("utf-8", errors="replace"))


_LINE_END = re.compile(r"\r\n|\r|\n")


def python_lines(text: str) -> List[str]:
    """``text`` cut into lines where Python's parser cuts it: at CR LF, CR or LF, and not at the
    form feeds, vertical tabs or Unicode separators that ``str.splitlines`` also cuts at (a page
    break on a line of its own would otherwise shift every later line: a ``# noqa`` below it was
    looked for on the line above)."""
    return _LINE_END.split(text)


def _characters(line: bytes, offset: int) -> int:
    """Python's column (UTF-8 bytes into ``line``) as LibCST's (characters)."""
    return offset if line.isascii() else len(line[:offset].decode("utf-8", errors="replace"))


class Screening:
    """The rules run on a sketch of one file (``svcmod.fastpath.sketch``): the nodes they reported, which
    tell ``svcmod.fastpath.excerpt`` what to keep, and the reports themselves with the sketcher that maps
    them back to the file."""

    def __init__(self, checker: Checker, filename: str, active: Sequence[Rule]) -> None:
        self.checker, self.filename, self.active = checker, filename, active
        self.reports: Optional[List[Report]] = None
        self.sketcher: Any = None

    def __call__(self, sketch: cst.Module, sketcher: Any) -> List[cst.CSTNode]:
        reports = self.checker.lint_tree(sketch, self.filename, self.active)
        self.reports, self.sketcher = reports, sketcher
        return [report.node for report in reports]


def _suppressed(code: str, lines: List[str], start: int, end: int, noqa: bool = True) -> bool:
    for number in {start, end}:
        if number > len(lines):
            continue
        text = lines[number - 1]
        if "#" not in text:
            continue
        match = _NOQA.search(text) if noqa else None
        if match:
            codes = match.group("codes")
            if codes is None or code in re.split(r"[\s,]+", codes.upper()):
                return True
        match = _IGNORE.search(text)
        if match and code in [c.strip() for c in match.group("codes").split(",")]:
            return True
    return False

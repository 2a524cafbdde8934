"""Checking an editor buffer as ``svcmod lint --force-exclude FILE`` checks it, with rules and project index kept loaded."""
from __future__ import annotations

import ast
import bisect
import dataclasses
import logging
import os
import re
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from svcmod.check.checker import Checker, FindingAt, nesting_problem, python_tree
from svcmod.check.policy import FixPolicy
from svcmod.check.names import imported_modules
from svcmod.check.project_index import USES, Project, View, module_names, split_key
from svcmod.project.config import Config, ConfigError, ConfigFinder
from svcmod.project.discovery import Discovery
from svcmod.project.ignores import CompiledIgnores, expand_ignored, per_file_ignored
from svcmod.registry.rules import known_codes, selected_rules, validate
from svcmod.results import ENGINE_CODES, FileResult, Finding
from svcmod.rule import mentions
from svcmod.run.indexing import MAX_SIZE, ModuleNamer, collect, declared_clients, rule_modules
from svcmod.run.source import read_source

log = logging.getLogger("svcmod.buffer")


class BufferChecks:
    """The configurations, rules and ignore patterns of a long-lived process (the language server),
    built once and reused for every buffer it is handed.

    ``config_file``, ``select`` and ``ignore`` are what ``--config``, ``--select`` and ``--ignore``
    are to ``svcmod lint``. Configuration errors surface as ``ConfigError`` from ``check``.
    ``project_root``: the folder whose files make the project index (cross-module names), as
    ``svcmod lint project_root`` makes it; built at the first buffer checked, again on ``refresh_index``.
    """

    def __init__(self, config_file: Optional[Path] = None, select: Sequence[str] = (),
                 ignore: Sequence[str] = (), project_root: Optional[Path] = None,
                 extend_select: Sequence[str] = ()) -> None:
        self.finder = ConfigFinder(config_file)
        self.discovery = Discovery(self.finder, force_exclude=True)
        self.select, self.ignore, self.extend_select = tuple(select), tuple(ignore), tuple(extend_select)
        self._effective: Dict[int, Config] = {}
        self._codes: Dict[int, List[str]] = {}
        self._checkers: Dict[Tuple[int, FixPolicy], Checker] = {}
        self._ignore_specs: CompiledIgnores = {}
        self.project_root = project_root
        self._project: Optional[Project] = None
        self._namer = ModuleNamer()
        #: each buffer's last version diagnosed, by file name (``diagnose``)
        self._versions: Dict[str, _Version] = {}
        #: id(configuration) -> its rules split by whether they see a function apart
        self._splits: Dict[int, _Split] = {}
        #: counts the project index's changes: what a version found is reused only under the same index
        self._index_changes = 0
        #: how many functions the last ``diagnose`` took the findings of from the version before
        self.reused = 0
        #: the rules that read the whole text at the last ``diagnose`` that reused findings
        self.read_whole: FrozenSet[str] = frozenset()
        #: of the last build of the index: each file's module key and whether it is a package, the
        #: project's top-level packages, and the bytes of files saved since (``_updated``)
        self._modules: Dict[str, Tuple[str, bool]] = {}
        self._tops: FrozenSet[str] = frozenset()
        self._indexed: Dict[str, bytes] = {}
        self._before: Optional[Project] = None  # the index before the last ``refresh_index``
        self.rebuilt = False  # whether the last ``refresh_index`` built the index again

    def config_for(self, path: Path) -> Config:
        """The configuration ``svcmod lint`` would use for ``path``, the settings' selection on top."""
        found = self.finder.for_path(path, is_dir=False)
        effective = self._effective.get(id(found))
        if effective is None:
            effective = found.with_cli(self.select, self.extend_select, self.ignore)
            validate(effective)
            self._effective[id(found)] = effective
            self._codes[id(found)] = known_codes(effective)
        return effective

    def excluded(self, path: Path) -> bool:
        """Whether ``exclude``/``extend-exclude``/.gitignore leave ``path`` out (as --force-exclude does)."""
        return self.discovery.is_excluded(path, False, walked=False)

    def check(self, path: Path, filename: str, source: bytes, policy: FixPolicy = FixPolicy(),
              fixes_at: Optional[FrozenSet[FindingAt]] = None) -> FileResult:
        """Findings (and with a fixing ``policy``, the fixed bytes) of ``source``, the text of ``path``;
        ``fixes_at``: only the fixes of these findings (``Checker.check``)."""
        config = self.config_for(path)
        found = self.finder.for_path(path, is_dir=False)
        ignored = expand_ignored(per_file_ignored(path, found, self._ignore_specs), self._codes[id(found)])
        key = (id(found), policy)
        checker = self._checkers.get(key)
        if checker is None:
            checker = self._checkers[key] = Checker(config, policy)
        try:
            # a buffer is a file the user named: a syntax error is reported even where no rule looks
            return checker.check(filename, source, ignored, named=True, project=self.view_for(path),
                                 fixes_at=fixes_at)
        except Exception as error:  # a bug in a rule must not take the caller down with it
            result = FileResult(filename)
            checker.engine_finding(result, "SVC901", f"internal error while checking: "
                                   f"{type(error).__name__}: {error}", 1, 1)
            return result

    def diagnose(self, path: Path, filename: str, source: bytes) -> FileResult:
        """What ``check`` finds in ``source``, the current text of the buffer ``filename``. When the
        edit since the version last diagnosed stayed inside one function (top-level, or a method of a
        top-level class), the findings of
        the functions it left alone are that version's, moved by the lines added or removed above
        them (``_Version``); the rest is checked."""
        self.reused, self.read_whole = 0, frozenset()
        found = self.finder.for_path(path, is_dir=False)
        config = self.config_for(path)
        ignored = expand_ignored(per_file_ignored(path, found, self._ignore_specs), self._codes[id(found)])
        split = self._splits.get(id(found))
        if split is None:
            split = self._splits[id(found)] = _Split(config)
        key = (id(found), self._index_changes, tuple(ignored))
        previous = self._versions.pop(filename, None)
        version = None
        if previous is not None and previous.key == key and previous.source == source:
            version = previous  # saved, or opened again: the same text finds the same
        elif previous is not None and previous.key == key and split.reuses:
            try:
                version = self._reusing(previous, split, path, filename, source, ignored, config)
            except Exception:  # a bug here costs the time saved, never a finding: checked whole below
                log.debug("%s: could not reuse the last version's findings", filename, exc_info=True)
                version = None
        if version is not None:
            self._versions[filename] = version
            result = FileResult(filename)
            result.lines = source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0)
            result.parsed = True
            result.findings = version.findings + version.whole
            result.findings.sort(key=lambda f: (f.line, f.column, f.code))
            return result
        result = self.check(path, filename, source)
        if split.reuses and _whole_file_free(source) and not result.skipped \
                and not any(f.code in ENGINE_CODES for f in result.findings):
            self._versions[filename] = _Version(source, key, [f for f in result.findings if f.code in split.apart],
                                                whole=[f for f in result.findings if f.code not in split.apart])
        return result

    def _reusing(self, previous: "_Version", split: "_Split", path: Path, filename: str, source: bytes,
                 ignored: Sequence[str], config: Config) -> Optional["_Version"]:
        """The findings of ``source`` from those of ``previous`` where the edit left functions alone;
        None when the edit is not inside one function or the file must be checked whole."""
        if len(source) > config.max_file_size or not _whole_file_free(source) or nesting_problem(source):
            return None
        if previous.functions is None:
            previous.functions = _functions(previous.source)
            if previous.functions is None:
                return None
        edited = _edited(previous, source)
        if edited is None:
            return None
        index, functions = edited
        lines = source.split(b"\n")
        was, now = previous.functions[index], functions[index]
        if now.stub is None or was.assigns or now.assigns:
            return None  # what other methods find depends on what this one assigns to ``self``
        texts = (b"\n".join(previous.source.split(b"\n")[was.first - 1:was.last]),
                 b"\n".join(lines[now.first - 1:now.last]))
        # a rule's findings elsewhere may depend on a function mentioning its context tokens: when the
        # edit was in one, that rule sees the whole text this time
        context = {code: tokens for code, tokens in split.context.items()
                   if not any(mentions(text, token) for text in texts for token in tokens)}
        parts = split.codes - (split.context.keys() - context.keys())
        # a rule reading across functions what one of its tokens brings sees the whole text
        named = frozenset(code for code in split.callees if not any(
            mentions(text, token) for text in (previous.source, source) for token in split.across.get(code, ())))
        if not parts and not named:
            return None
        tokens = {token for code in parts for token in context.get(code, ())}
        mentioned = [token for token in tokens if mentions(source, token)]
        kept_whole = {index}
        for number, function in enumerate(functions):
            if function.stub is None or function.assigns or (mentioned and any(
                    mentions(b"\n".join(lines[function.first - 1:function.last]), token) for token in mentioned)):
                kept_whole.add(number)
        # the rules with ``Callees``: their findings are checked again in the edited function and in
        # those naming what it defines (was or is), seeing whole the functions that code names
        checked_again: Set[int] = set()
        if named:
            # a function's words are those of the version before when the edit left it alone
            functions = [function if function.words is not None
                         else dataclasses.replace(function, words=_words(lines[function.first - 1:function.last]))
                         for function in functions]
            words = [function.words or frozenset() for function in functions]
            edited_names = was.names | now.names
            checked_again = {number for number, function in enumerate(functions)
                             if number == index or function.stub is None or not words[number].isdisjoint(edited_names)}
            inside = {line for function in functions for line in range(function.first - 1, function.last)}
            seen = _words(line for number, line in enumerate(lines) if number not in inside)
            for number in checked_again:
                seen |= words[number]
            kept_whole |= checked_again
            kept_whole.update(number for number, function in enumerate(functions)
                              if not seen.isdisjoint(function.names))
        # the functions left alone are stubs binding their names, on lines blanked to keep every
        # other line where it is: what the rules then find is the edited function's and the top level's
        reduced = list(lines)
        for number, function in enumerate(functions):
            if number in kept_whole:
                continue
            for line in range(function.first - 1, function.last):
                reduced[line] = b"\r" if reduced[line].endswith(b"\r") else b""
            reduced[function.first - 1] = function.stub + reduced[function.first - 1]
        view = self.view_for(path)
        fresh = split.checker(parts | named).check(filename, b"\n".join(reduced), ignored, named=True, project=view)
        if fresh.skipped or any(f.code in ENGINE_CODES for f in fresh.findings):
            return None

        def reused(number: Optional[int], code: str) -> bool:
            """Whether the findings of ``code`` in function ``number`` are the last version's."""
            return number is not None and number not in (checked_again if code in named else kept_whole)

        at, was_at = _Lines(functions), _Lines(previous.functions)
        findings = [f for f in fresh.findings if not reused(at.function(f.line), f.code)]
        seen_apart = parts | named
        for f in previous.findings:
            number = was_at.function(f.line)
            if f.code in seen_apart and reused(number, f.code):
                assert number is not None
                moved = functions[number].first - previous.functions[number].first
                findings.append(dataclasses.replace(f, line=f.line + moved, end_line=f.end_line + moved)
                                if moved else f)
        whole: List[Finding] = []
        whole_checker = split.checker(split.all - parts - named)
        if whole_checker is not None:
            checked = whole_checker.check(filename, source, ignored, named=False, project=view)
            if checked.skipped or any(f.code in ENGINE_CODES for f in checked.findings):
                return None
            findings.extend(f for f in checked.findings if f.code in split.apart)
            whole = [f for f in checked.findings if f.code not in split.apart]
        findings.sort(key=lambda f: (f.line, f.column, f.code))
        self.reused = len(functions) - len(kept_whole | checked_again)
        self.read_whole = split.all - parts - named
        return _Version(source, previous.key, findings, functions, whole)

    def forget(self, filename: str) -> None:
        """The buffer ``filename`` was closed: what its last version found is not kept."""
        self._versions.pop(filename, None)

    def view_for(self, path: Path) -> Optional[View]:
        """The project index as the module of ``path`` sees it; None outside ``project_root`` or
        when the project lends nothing and declares no client (as in ``svcmod lint``)."""
        if self.project_root is None or not _inside(path, self.project_root):
            return None
        if self._project is None:
            self._project = self._index()
        if self._project.empty:
            return None
        module, package = self._namer(str(path))
        return View(self._project, module, package) if module else None

    def refresh_index(self, changed: Optional[Path] = None) -> bool:
        """The project index after ``changed``, a file of the project, changed on disk (None: any
        number of them): only that file's entry read again when that gives what a new build would
        (``_updated``), else built again; whether what it lends changed."""
        if self._project is None:
            return False
        before = self._project
        updated = self._updated(Path(os.path.abspath(changed))) if changed is not None else None
        self.rebuilt = updated is None
        if updated is None:
            self._project, self._namer = None, ModuleNamer()
            self._project = self._index()
        else:
            self._project = updated
        self._before = before
        if (self._project.modules, self._project.declared) == (before.modules, before.declared):
            return False
        self._index_changes += 1
        return True

    def affected(self, path: Path, source: bytes) -> bool:
        """Whether the last change of the project index (``refresh_index``) may change what is
        found in ``source``, the text of ``path``: it imports a module of the project, or other
        modules' uses of its own names changed."""
        before, project = self._before, self._project
        if before is None or project is None or before is project or self.project_root is None \
                or not _inside(path, self.project_root):
            return False
        if before.empty != project.empty:
            return True
        module, package = self._namer(str(path))
        if not module:
            return False
        old, new = View(before, module, package), View(project, module, package)
        imported = set(imported_modules(source)) | set(new.relative_imports(source))
        tops = before.tops | project.tops
        return any(name.split(".")[0] in tops for name in imported) \
            or old.digest(USES + old.module) != new.digest(USES + new.module)

    def _updated(self, path: Path) -> Optional[Project]:
        """The index with ``path``'s entry read again, when that is what building it again would
        give; None when it must be built again. It is when the file was there at the last build,
        its imports (which decide whether ``collect`` reads it) are those it had, and it lends
        something exactly when it lent something: then ``collect`` reads the same files as before."""
        assert self._project is not None
        known = self._modules.get(str(path))
        try:
            source, _ = read_source(path, MAX_SIZE)
        except OSError:
            return None  # deleted: the files are not those of the last build
        old = self._indexed.get(str(path))
        self._indexed[str(path)] = source  # what the index is made of from now on
        if known is None or old is None or len(source) > MAX_SIZE or len(old) > MAX_SIZE:
            return None  # a new file, or the bytes the entry was read from are not known
        if imported_modules(source) != imported_modules(old) or (b"from ." in source) != (b"from ." in old):
            return None
        key, package = known
        was = self._project.modules.get(key) or {}
        names = module_names(source, key, package, self._tops)
        if not was:
            # not read at the last build (it would have had an entry, the names its old text
            # gives), and still not: the same imports, the same modules lending; or its entry
            # empty then and now. Read then with an empty entry, and not empty now: built again
            if not names or module_names(old, key, package, self._tops):
                return self._project
            return None
        if _lends(was) != _lends(names):
            return None
        modules = {k: v for k, v in self._project.modules.items() if k != key}
        if names:
            modules[key] = names
        return Project(modules, self._project.declared)

    def _index(self) -> Project:
        """What ``svcmod lint project_root`` indexes: the names its files lend each other."""
        assert self.project_root is not None
        discovery = Discovery(self.finder)
        files = [os.path.abspath(f) for f in discovery.files([self.project_root])]
        configs: Dict[int, Config] = {}
        for file in files:
            try:
                config = self.config_for(Path(file))
            except (ConfigError, OSError):
                continue  # that file's check reports it
            configs.setdefault(id(config), config)
        wanted = rule_modules(r for c in configs.values() for r in selected_rules(c))
        project, modules, sources = collect(files, self._namer, wanted, {}, declared_clients(configs.values()))
        self._modules, self._tops = modules, frozenset(split_key(key)[1].split(".")[0] for key, _ in modules.values())
        # the bytes of the files saved since: the index is made of them (``_updated``)
        self._indexed = {path: sources[path] for path in self._indexed if path in sources}
        return project

    def config_files(self) -> List[Path]:
        """The configuration files read so far."""
        return [config.path for config in self.finder.all_configs() if config.path is not None]


def _lends(names: Dict[str, object]) -> bool:
    """Whether a module's index entry lends a name (not only records its uses of others')."""
    return any(not name.startswith(USES) for name in names)


def _inside(path: Path, folder: Path) -> bool:
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path == folder or folder in path.parents


#: Text that makes a file more than the sum of its functions for the checker (a file-level
#: switch, an encoding other than UTF-8, a form feed or byte-order mark that move columns, a line
#: continued by a backslash, which may carry a decorator or a statement over a function's first
#: line, a lone carriage return that Python and the lines here would count differently):
#: such a buffer is checked whole at every edit.
_WHOLE_FILE = re.compile(rb"svcmod:\s*ignore-file|@generated|DO NOT EDIT|\f|\\\r?\n|\r(?!\n)", re.IGNORECASE)
#: a coding cookie, in a comment of the first two lines (``encoding="utf-8"`` in code is not one)
_COOKIE = re.compile(rb"^[ \t]*#.*?coding[:=]", re.MULTILINE)


def _whole_file_free(source: bytes) -> bool:
    return not source.startswith(b"\xef\xbb\xbf") and b"\0" not in source and _WHOLE_FILE.search(source) is None \
        and _COOKIE.search(b"\n".join(source.split(b"\n", 2)[:2])) is None


class _Split:
    """The rules of a configuration in two sets: those declaring that a finding in a function
    depends only on that function and the module's top level (``svcmod.rule.Parts``), which may
    see a buffer with the functions an edit left alone as stubs, and the others, which see it
    whole; a checker for each set of rules asked for."""

    def __init__(self, config: Config) -> None:
        self.config = config
        rules = selected_rules(config)
        self.all = frozenset(rule.code for rule in rules)
        self.codes = frozenset(rule.code for rule in rules if rule.fast_path.parts is not None)
        #: the tokens that keep a function whole for a rule, as its findings elsewhere depend on it
        self.context = {rule.code: tuple(rule.fast_path.parts.context) for rule in rules
                        if rule.code in self.codes and rule.fast_path.parts.context}
        #: the other rules that see a function apart from those it does not name (``svcmod.rule.Callees``)
        self.callees = frozenset(rule.code for rule in rules
                                 if rule.code not in self.codes and rule.fast_path.callees is not None)
        self.across = {rule.code: tuple(rule.fast_path.callees.across) for rule in rules
                       if rule.code in self.callees and rule.fast_path.callees.across}
        #: the rules whose findings are kept by function from one version to the next
        self.apart = self.codes | self.callees
        self._checkers: Dict[FrozenSet[str], Checker] = {}
        # engine findings are what tells a check that cannot be pieced together: they must be on
        self.reuses = bool(self.apart) and all(
            Checker(config, FixPolicy(), only_codes=frozenset()).engine_selected.values())

    def checker(self, codes: FrozenSet[str]) -> Optional[Checker]:
        """A checker of the rules ``codes`` (None for none)."""
        if not codes:
            return None
        checker = self._checkers.get(codes)
        if checker is None:
            checker = self._checkers[codes] = Checker(self.config, FixPolicy(), only_codes=codes)
        return checker


@dataclasses.dataclass(frozen=True)
class _Function:
    """A top-level function of a buffer, or a method of a top-level class, by its lines (from 1): from
    its first decorator to the line before the next statement of the module or the class (the next
    top-level statement after a class's last method); ``stub`` binds its name (None: it is never stubbed)."""

    first: int
    last: int
    stub: Optional[bytes]
    #: the names of the functions and classes it defines, itself included
    names: FrozenSet[str] = frozenset()
    #: the words of its text (``_words``), once read
    words: Optional[FrozenSet[str]] = None
    #: a method of a class of the module's (stubbed with its indentation)
    method: bool = False
    #: a method that may assign attributes of ``self``: seen whole wherever a method is checked
    assigns: bool = False


@dataclasses.dataclass
class _Version:
    """One version of a buffer as diagnosed: its text, what the rules seeing functions apart found
    in it (``findings``) and the others (``whole``), under the configuration, index and ignored
    codes of ``key``."""

    source: bytes
    key: tuple
    findings: List[Finding]
    functions: Optional[List[_Function]] = None  # read at the next edit
    whole: List[Finding] = dataclasses.field(default_factory=list)


def _functions(source: bytes) -> Optional[List[_Function]]:
    """The top-level functions of ``source`` and the methods of its top-level classes, in the order
    of their lines; None when Python cannot parse it."""
    tree = python_tree(source)
    if tree is None:
        return None
    found: List[_Function] = []
    _read(tree.body, source.split(b"\n"), source.count(b"\n") + 1, found)  # type: ignore[attr-defined]
    return found


def _read(body: Sequence[ast.stmt], lines: Sequence[bytes], end: int, found: List[_Function],
          method: bool = False) -> None:
    """The functions of ``body`` into ``found``, the methods of its classes when it is the module's;
    each to the line before the next statement of ``body`` (``end`` after the last)."""
    starts = [_first_line(statement) for statement in body]
    for index, statement in enumerate(body):
        last = starts[index + 1] - 1 if index + 1 < len(body) else end
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(_function(statement, lines, starts[index], last, method))
        elif isinstance(statement, ast.ClassDef) and not method:
            _read(statement.body, lines, last, found, method=True)


class _Lines:
    """Which of ``functions`` (in the order of their lines) holds a line."""

    def __init__(self, functions: Sequence[_Function]) -> None:
        self.functions = functions
        self.starts = [function.first for function in functions]

    def function(self, line: int) -> Optional[int]:
        """The number of the function holding ``line``; None: the top level."""
        number = bisect.bisect_right(self.starts, line) - 1
        return number if number >= 0 and line <= self.functions[number].last else None


def _first_line(statement: ast.stmt) -> int:
    return min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", ())])


def _function(statement: ast.stmt, lines: Sequence[bytes], first: int, last: int, method: bool) -> _Function:
    """``statement``, a function whose ``def`` is on ``lines[statement.lineno - 1]``, from line
    ``first`` to ``last``; never stubbed when a name it defines is not written as Python reads it."""
    defined = [node for node in ast.walk(statement)
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    for node in defined:
        # Python's name is normalized (NFKC), LibCST's and a rule's are as written
        if not node.name.isascii() or not re.search(rb"\b(?:def|class)[ \t]+" + node.name.encode() + rb"\b",
                                                   lines[node.lineno - 1]):
            return _Function(first, last, None, method=method, assigns=method)
    indent = lines[statement.lineno - 1][:statement.col_offset]
    return _Function(first, last, indent + _stub(statement), frozenset(node.name for node in defined),
                     method=method, assigns=method and _assigns_attributes(statement))


def _assigns_attributes(method: ast.stmt) -> bool:
    """Whether ``method`` may assign (or delete) an attribute of its first parameter (``self.http = …``),
    which what its class's other methods find depends on."""
    arguments = method.args  # type: ignore[attr-defined]
    first = [*arguments.posonlyargs, *arguments.args, *([arguments.vararg] if arguments.vararg else [])][:1]
    if not first:
        return False
    name = first[0].arg
    return any(isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load)
               and isinstance(node.value, ast.Name) and node.value.id == name for node in ast.walk(method))


#: a name as it can be written in ASCII: a name written otherwise holds no word that is another name
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def _words(lines: Iterable[bytes]) -> FrozenSet[str]:
    """The names the text of ``lines`` may mention (with words of strings and comments)."""
    return frozenset(word.decode() for line in lines for word in _WORD.findall(line))


def _stub(function: ast.stmt) -> bytes:
    name = function.name  # type: ignore[attr-defined]
    return (b"async def " if isinstance(function, ast.AsyncFunctionDef) else b"def ") + name.encode() + b"(): pass"


def _edited(previous: _Version, source: bytes) -> Optional[Tuple[int, List[_Function]]]:
    """Which function of ``previous`` the edit that made ``source`` is inside, and the functions
    of ``source``; None when the edit reaches outside one function's lines or does not leave it
    one whole function of the same name (Python then parses the file as it parsed the previous
    version everywhere else, the edited function aside)."""
    old = previous.source
    new = source
    size = min(len(old), len(new))
    low, high = 0, size
    while low < high:  # the longest common prefix
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    prefix = low
    low, high = 0, size - prefix
    while low < high:  # the longest common suffix not overlapping it
        middle = (low + high + 1) // 2
        if old[len(old) - middle:] == new[len(new) - middle:]:
            low = middle
        else:
            high = middle - 1
    first_changed = old.count(b"\n", 0, prefix) + 1
    last_changed = old.count(b"\n", 0, len(old) - low) + 1
    functions = previous.functions or []
    index = next((n for n, f in enumerate(functions) if f.first <= first_changed and last_changed <= f.last), None)
    if index is None:
        return None
    edited = functions[index]
    moved = new.count(b"\n") - old.count(b"\n")
    last = edited.last + moved
    if last < edited.first:
        return None
    # a method's text is read as the one statement of a class, as it is read in its own
    head = [b"class _:"] if edited.method else []
    text_lines = head + new.split(b"\n")[edited.first - 1:last]
    tree = python_tree(b"\n".join(text_lines))
    body = tree.body if tree is not None else []  # type: ignore[attr-defined]
    if edited.method:
        body = body[0].body if len(body) == 1 and isinstance(body[0], ast.ClassDef) else []
    if len(body) != 1 or not isinstance(body[0], (ast.FunctionDef, ast.AsyncFunctionDef)) \
            or _first_line(body[0]) != 1 + len(head):
        return None
    function = _function(body[0], text_lines, edited.first, last, edited.method)
    if function.stub != edited.stub:
        return None
    after = [dataclasses.replace(f, first=f.first + moved, last=f.last + moved) for f in functions[index + 1:]]
    return index, functions[:index] + [function] + after

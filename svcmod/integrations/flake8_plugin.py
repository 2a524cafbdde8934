"""The flake8 plugin: ``svcmod lint``'s findings, codes and config inside flake8 (editors, pylsp).

flake8 imports every installed plugin and runs it on every file, whatever ``--select`` says, and
drops what is not selected afterwards. So that installing svcmod costs nothing to a flake8 run that
selects no SVC code, this module imports nothing else of svcmod at load time (not even its
configuration: 15 ms of a flake8 run), and ``run`` returns at once when flake8's own decision
engine selects no SVC code."""
from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple

from svcmod import __version__

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.check.checker import Checker
    from svcmod.project.config import Config
    from svcmod.results import Finding

#: flake8 reports ``(line, column from 0, "CODE message", type)``.
Flake8Error = Tuple[int, int, str, type]

_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
#: flake8's name for the file read from stdin when no ``--stdin-display-name`` is given.
_STDIN_NAMES = ("stdin", "-")


class _Setup:
    """Configurations, rules and ignore patterns, built once per process and reused for every file.

    Editors run flake8 again on each save, sometimes in a long-lived process (the VS Code flake8
    extension), so the configuration files read are watched: when one of them changes, everything
    is read again.
    """

    def __init__(self) -> None:
        from svcmod.project.config import ConfigFinder  # (not when flake8 loads the plugin: see above)
        self.finder = ConfigFinder()
        self.checkers: Dict[int, Checker] = {}
        self.ignore_specs: Dict[int, list] = {}
        self.seen: Dict[Path, Tuple[int, int]] = {}
        self.projects: Dict[Path, object] = {}  # repository root -> its project index

    def stale(self) -> bool:
        for path, stamp in self.seen.items():
            try:
                status = path.stat()
            except OSError:
                return True
            if (status.st_mtime_ns, status.st_size) != stamp:
                return True
        return False

    def checker_for(self, config: Config) -> Checker:
        checker = self.checkers.get(id(config))
        if checker is None:
            from svcmod.check.checker import Checker  # LibCST and the rules: only once a file is checked
            from svcmod.registry.rules import validate
            validate(config)
            checker = Checker(config, honour_noqa=False)
            self.checkers[id(config)] = checker
            if config.path is not None:
                status = config.path.stat()
                self.seen[config.path] = (status.st_mtime_ns, status.st_size)
        return checker

    def project_for(self, path: Path, checker: "Checker") -> Optional[object]:
        """The project index as ``path``'s module sees it: built once per process from every file
        of its project (``index_root``: its repository, a service's imports from a shared library
        of the monorepo included), as ``svcmod lint`` builds it, and from ``svcmod lint``'s cache
        where it has the file: an unchanged file is then neither read nor parsed, and both see the
        same index. Without a cache, the files are read and those that may lend something parsed."""
        from svcmod.check.project_index import View
        from svcmod.run.indexing import (
            ModuleNamer,
            collect,
            declared_clients,
            index_root,
            project_files,
            rule_modules,
        )
        root = Path(index_root(str(path.parent)))
        namer = ModuleNamer()
        project = self.projects.get(root)
        if project is None:
            # as lint: a bad configuration met on the walk (another project's) leaves the index to
            # the file itself, it does not make this file unchecked
            files = list(dict.fromkeys([*project_files([str(path.absolute())], [], self.finder),
                                        str(path.absolute())]))
            project, _, _ = collect(files, namer, rule_modules(checker.rule_classes), self.cached_index(root, files),
                                    declared_clients([checker.config]))
            self.projects[root] = project
        module, package = namer(str(path))
        return View(project, module, package)  # type: ignore[arg-type]

    def cached_index(self, root: Path, files: Sequence[str]) -> Dict[str, object]:
        """The results ``svcmod lint`` (no fixes, its default cache directory) keeps of ``files``
        that are unchanged since, by path: the project index reads their part from there. Read only
        (the plugin's findings ignore noqa, so they are not what lint would store); a cache that
        is missing, not svcmod's or unreadable gives nothing."""
        from svcmod.project.config import ConfigError
        try:
            from svcmod.check.policy import FixPolicy
            from svcmod.registry.rules import rules_for, selected_rules
            from svcmod.run.cache import Cache, cache_directory, code_fingerprint, ownership_problem
            directory = cache_directory(None, self.finder.for_path(root / "__init__.py"))
            if not directory.is_dir() or ownership_problem(directory) is not None:
                return {}
            cache = Cache(directory)
            buckets: Dict[int, Tuple[object, ...]] = {}
            found: Dict[str, object] = {}
            for path in files:
                config = self.finder.for_path(Path(path))
                kept = buckets.get(id(config))
                if kept is None:
                    effective = config.with_cli((), (), ())
                    fingerprint = code_fingerprint(rules_for(effective))
                    # lint's text runs' bucket, then its JSON runs' (their findings carry fix.edits)
                    kept = buckets[id(config)] = tuple(
                        cache.bucket(effective, selected_rules(effective), FixPolicy(), None, fingerprint, edits)
                        for edits in (False, True))
                for bucket in kept:
                    result = bucket.lookup(path, path)  # type: ignore[attr-defined]
                    if result is not None and result.index is not None:
                        found[path] = result
                        break
            return found
        except (ConfigError, OSError, ValueError):
            return {}

    def ignored_codes(self, path: Path, config: Config) -> Tuple[str, ...]:
        """Codes turned off for ``path`` by ``per-file-ignores``, as ``svcmod lint`` computes them."""
        from svcmod.project.ignores import expand_ignored, per_file_ignored
        from svcmod.results import ENGINE_CODES
        ignored = per_file_ignored(path, config, self.ignore_specs)
        if not ignored:
            return ()
        return expand_ignored(ignored, [*self.checker_for(config).rules, *ENGINE_CODES])


_setup: Optional[_Setup] = None


def _current_setup() -> _Setup:
    global _setup
    if _setup is None or _setup.stale():
        _setup = _Setup()
    return _setup


def _encoded(lines: Sequence[str]) -> bytes:
    """The file's bytes again, in the encoding its coding cookie names (LibCST reads the cookie)."""
    text = "".join(lines)
    for line in lines[:2]:
        match = _CODING.match(line)
        if match:
            try:
                return text.encode(match.group(1))
            except (LookupError, UnicodeError):
                break
    return text.encode("utf-8", errors="surrogateescape")


def _path_of(filename: str) -> Path:
    if filename in _STDIN_NAMES:
        return Path.cwd() / "stdin.py"
    return Path(filename).absolute()


class SvcmodChecker:
    """flake8 entry point ``SVC``: runs svcmod's checker on the file flake8 hands over."""

    name = "svcmod"
    version = __version__
    #: False when flake8's options select no SVC code (set by ``parse_options``)
    selected = True

    def __init__(self, tree: ast.AST, lines: List[str], filename: str) -> None:
        # ``tree`` is unused (svcmod needs LibCST's tree) but makes flake8 call this once per file
        self.lines = lines
        self.filename = filename

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Whether flake8 would keep any SVC code: asked of flake8's own decision engine, for every
        code svcmod can report (SVC100 to SVC999), so --select, --extend-select, --ignore and
        --extend-ignore mean what they mean for flake8's other plugins."""
        try:
            from flake8.style_guide import Decision, DecisionEngine
            cls.selected = selects_a_code(DecisionEngine(options), Decision.Selected)
        except Exception:  # another flake8 than the one this was written for: check, as before
            cls.selected = True

    def run(self) -> Iterator[Flake8Error]:
        if not self.selected:
            return
        for finding in self.findings():
            yield (finding.line, max(finding.column - 1, 0), f"{finding.code} {finding.message}", type(self))

    def findings(self) -> List[Finding]:
        from svcmod.project.config import ConfigError
        path = _path_of(self.filename)
        try:
            setup = _current_setup()
            config = setup.finder.for_path(path)
            checker = setup.checker_for(config)
            ignored = setup.ignored_codes(path, config)
            project = setup.project_for(path, checker) if self.filename not in _STDIN_NAMES else None
        except (ConfigError, OSError) as error:
            # a plugin exception would abort flake8 for every file, and the editor shows nothing
            return [_not_checked(self.filename, f"configuration error: {error}")]
        try:
            return checker.check(self.filename, _encoded(self.lines), ignored, project=project).findings
        except Exception as error:  # a bug in a rule must not take flake8 down with it
            return [_not_checked(self.filename, f"internal error while checking: {type(error).__name__}: {error}")]


def selects_a_code(engine: Any, selected: Any, prefix: str = "SVC") -> bool:
    """Whether flake8's decision ``engine`` selects (decides ``selected`` for) some code from
    SVC100 to SVC999 starting with ``prefix``. A code's decision depends only on which of the
    configured codes (prefixes) it starts with, so codes that no longer configured code tells apart
    are asked about once: one question for ``--select E`` (the 900 took 4 ms of every flake8 run)."""
    configured = [code for group in (engine.selected_explicitly, engine.selected, engine.ignored_explicitly,
                                     engine.ignored) for code in group]
    if len(prefix) == 6 or not any(len(code) > len(prefix) and code.startswith(prefix) for code in configured):
        return engine.decision_for((prefix + "1" if prefix == "SVC" else prefix).ljust(6, "0")) == selected
    return any(selects_a_code(engine, selected, prefix + digit)
               for digit in ("123456789" if prefix == "SVC" else "0123456789"))


def _not_checked(filename: str, message: str) -> Finding:
    from svcmod.results import Finding
    return Finding("SVC901", "file-not-checked", f"not checked: {message}", filename, 1, 1, 1, 1)


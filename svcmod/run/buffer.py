"""Checking an editor buffer as ``svcmod lint --force-exclude FILE`` checks it, with rules and project index kept loaded."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from svcmod.check.checker import Checker, FindingAt
from svcmod.check.policy import FixPolicy
from svcmod.check.project_index import Project, View
from svcmod.project.config import Config, ConfigError, ConfigFinder
from svcmod.project.discovery import Discovery
from svcmod.project.ignores import CompiledIgnores, expand_ignored, per_file_ignored
from svcmod.registry.rules import known_codes, selected_rules, validate
from svcmod.results import FileResult
from svcmod.run.indexing import ModuleNamer, collect, declared_clients, rule_modules


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

    def refresh_index(self) -> bool:
        """Build the project index again (a file of the project changed on disk); whether what
        it lends changed."""
        if self._project is None:
            return False
        before = self._project
        self._project, self._namer = None, ModuleNamer()
        self._project = self._index()
        return (self._project.modules, self._project.declared) != (before.modules, before.declared)

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
        project, _, _ = collect(files, self._namer, wanted, {}, declared_clients(configs.values()))
        return project

    def config_files(self) -> List[Path]:
        """The configuration files read so far."""
        return [config.path for config in self.finder.all_configs() if config.path is not None]


def _inside(path: Path, folder: Path) -> bool:
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path == folder or folder in path.parents

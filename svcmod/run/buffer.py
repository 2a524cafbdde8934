"""Checking one editor buffer as ``svcmod lint --force-exclude FILE`` checks that file, with rules kept loaded."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from svcmod.check.checker import Checker, FindingAt
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config, ConfigFinder
from svcmod.project.discovery import Discovery
from svcmod.project.ignores import CompiledIgnores, expand_ignored, per_file_ignored
from svcmod.registry.rules import known_codes, validate
from svcmod.results import FileResult


class BufferChecks:
    """The configurations, rules and ignore patterns of a long-lived process (the language server),
    built once and reused for every buffer it is handed.

    ``config_file``, ``select`` and ``ignore`` are what ``--config``, ``--select`` and ``--ignore``
    are to ``svcmod lint``. Configuration errors surface as ``ConfigError`` from ``check``.
    """

    def __init__(self, config_file: Optional[Path] = None, select: Sequence[str] = (),
                 ignore: Sequence[str] = ()) -> None:
        self.finder = ConfigFinder(config_file)
        self.discovery = Discovery(self.finder, force_exclude=True)
        self.select, self.ignore = tuple(select), tuple(ignore)
        self._effective: Dict[int, Config] = {}
        self._codes: Dict[int, List[str]] = {}
        self._checkers: Dict[Tuple[int, FixPolicy], Checker] = {}
        self._ignore_specs: CompiledIgnores = {}

    def config_for(self, path: Path) -> Config:
        """The configuration ``svcmod lint`` would use for ``path``, the settings' selection on top."""
        found = self.finder.for_path(path, is_dir=False)
        effective = self._effective.get(id(found))
        if effective is None:
            effective = found.with_cli(self.select, (), self.ignore)
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
            return checker.check(filename, source, ignored, named=True, fixes_at=fixes_at)
        except Exception as error:  # a bug in a rule must not take the caller down with it
            result = FileResult(filename)
            checker.engine_finding(result, "SVC901", f"internal error while checking: "
                                   f"{type(error).__name__}: {error}", 1, 1)
            return result

    def config_files(self) -> List[Path]:
        """The configuration files read so far."""
        return [config.path for config in self.finder.all_configs() if config.path is not None]

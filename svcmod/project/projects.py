"""Which project of a monorepo a file belongs to, for per-project reports."""
from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Dict, Optional, Sequence

from svcmod.project.config import Config

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")


class ProjectFinder:
    """Nearest directory with a project marker; else the git root; else the path given.

    ``projects = ["services/*", "libs/*"]`` in the configuration overrides the markers: a file
    belongs to the first directory matching one of the globs (relative to the config's folder).
    """

    def __init__(self, given: Sequence[Path]) -> None:
        # realpath, not resolve(): a symlink loop named on the command line must not raise
        self.given = [Path(os.path.realpath(p)) for p in given]
        self._cache: Dict[Path, Optional[Path]] = {}

    def project_of(self, file: Path, config: Optional[Config] = None) -> Path:
        file = Path(os.path.realpath(file))
        directory = file.parent
        if config is not None and config.projects:
            root = config.root.resolve()
            try:
                relative = directory.relative_to(root)
            except ValueError:
                relative = None
            if relative is not None:
                parts = relative.parts
                for depth in range(1, len(parts) + 1):
                    candidate = "/".join(parts[:depth])
                    if any(fnmatch.fnmatchcase(candidate, pattern.rstrip("/")) for pattern in config.projects):
                        return root.joinpath(*parts[:depth])
        return self._by_markers(directory)

    def _by_markers(self, directory: Path) -> Path:
        found = self._marker_dir(directory)
        if found is not None:
            return found
        # no marker up to the file system root: the given path that holds the file
        for given in self.given:
            base = given if given.is_dir() else given.parent
            if directory == base or base in directory.parents:
                return base
        return directory

    def _marker_dir(self, directory: Path) -> Optional[Path]:
        if directory in self._cache:
            return self._cache[directory]
        if any((directory / marker).is_file() for marker in PROJECT_MARKERS) or (directory / ".git").exists():
            found: Optional[Path] = directory
        elif directory.parent == directory:
            found = None
        else:
            found = self._marker_dir(directory.parent)
        self._cache[directory] = found
        return found

    def name_of(self, project: Path) -> str:
        """A short, stable name: the project's path relative to the given path holding it."""
        for given in self.given:
            base = given if given.is_dir() else given.parent
            try:
                relative = project.relative_to(base)
            except ValueError:
                continue
            text = relative.as_posix()
            label = self._label(base) if len(self.given) > 1 else base.name or str(base)
            if text == ".":
                return label
            if len(self.given) > 1:
                return f"{label}/{text}"
            return text
        return str(project)

    def _label(self, base: Path) -> str:
        """A given path's name among several: its path below their common parent, so that
        ``one/billing`` and ``two/billing`` stay two projects."""
        bases = [g if g.is_dir() else g.parent for g in self.given]
        try:
            common = Path(os.path.commonpath([str(b) for b in bases]))
            text = base.relative_to(common).as_posix()
        except ValueError:
            text = "."
        return base.name or str(base) if text == "." else text

"""Which files to check: walk the given paths, honouring .gitignore and configured excludes."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import pathspec

from svcmod.project.config import Config, ConfigFinder
from svcmod.results import Problem

#: Directories never entered (as ruff's defaults).
DEFAULT_EXCLUDED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", ".tox", ".nox", ".venv", "venv", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".svcmod_cache", "__pycache__", "__pypackages__", "build", "dist", "node_modules",
    "site-packages", ".eggs", ".direnv", "_build", "buck-out", ".ipynb_checkpoints",
})


def _spec(patterns: Sequence[str]) -> Optional[pathspec.PathSpec]:
    return pathspec.GitIgnoreSpec.from_lines(patterns) if patterns else None


class Discovery:
    def __init__(self, finder: ConfigFinder, force_exclude: bool = False) -> None:
        self.finder = finder
        self.force_exclude = force_exclude
        self.problems: List[Problem] = []
        self._gitignores: Dict[Path, Optional[pathspec.PathSpec]] = {}
        self._chains: Dict[str, List[Tuple[str, pathspec.PathSpec]]] = {}
        self._excludes: Dict[int, Tuple[Optional[pathspec.PathSpec], Config]] = {}
        self._real_directories: Dict[str, str] = {}
        self._real_roots: Dict[int, Path] = {}

    # -- exclusion -------------------------------------------------------------------------
    def _exclude_spec(self, config: Config) -> Optional[pathspec.PathSpec]:
        entry = self._excludes.get(id(config))
        if entry is None:
            entry = (_spec(list(config.exclude) + list(config.extend_exclude)), config)
            self._excludes[id(config)] = entry
        return entry[0]

    def is_excluded(self, path: Path, is_dir: bool, walked: bool = True) -> bool:
        """Whether the configuration excludes ``path`` (``walked``: found by the walk, which never
        follows a link, rather than named by the user)."""
        config = self.finder.for_path(path / "__init__.py" if is_dir else path, is_dir=False)
        spec = self._exclude_spec(config)
        if spec is not None:
            try:
                real = self._real_path(path) if walked else os.path.realpath(path)
                relative = Path(real).relative_to(self._real_root(config)).as_posix()
            except ValueError:
                relative = path.name
            if spec.match_file(relative + ("/" if is_dir else "")) or spec.match_file(path.name + ("/" if is_dir else "")):
                return True
        if config.respect_gitignore and self._gitignored(path, is_dir):
            return True
        return False

    def _real_path(self, path: Path) -> str:
        """``os.path.realpath`` (not resolve(): it does not raise on a symlink loop), one system
        call per directory instead of per component of every file: the walk never follows links,
        so only the directory part of a path it found can be one."""
        directory, name = os.path.split(os.path.abspath(path))
        real = self._real_directories.get(directory)
        if real is None:
            real = self._real_directories[directory] = os.path.realpath(directory)
        return os.path.join(real, name)

    def _real_root(self, config: Config) -> Path:
        root = self._real_roots.get(id(config))
        if root is None:
            root = self._real_roots[id(config)] = config.root.resolve()
        return root

    def _gitignore_of(self, directory: Path, ignore: Optional[Path] = None) -> Optional[pathspec.PathSpec]:
        """The patterns of ``directory``'s .gitignore (or of ``ignore``: .git/info/exclude, which
        applies from the repository's top as a .gitignore there would)."""
        ignore = ignore or directory / ".gitignore"
        if ignore not in self._gitignores:
            spec = None
            if ignore.is_file():
                try:
                    spec = pathspec.GitIgnoreSpec.from_lines(ignore.read_text(encoding="utf-8", errors="replace").splitlines())
                except Exception as error:  # a malformed pattern must not stop the run
                    self.problems.append(Problem(str(ignore), f"ignored malformed {ignore.name}: {error}"))
            self._gitignores[ignore] = spec
        return self._gitignores[ignore]

    def _gitignored(self, path: Path, is_dir: bool) -> bool:
        absolute = os.path.abspath(path)
        for directory, spec in self._gitignore_chain(os.path.dirname(absolute)):
            relative = absolute[len(directory):].lstrip(os.sep).replace(os.sep, "/") + ("/" if is_dir else "")
            if spec.match_file(relative):
                return True
        return False

    def _gitignore_chain(self, directory: str) -> List[Tuple[str, pathspec.PathSpec]]:
        """The .gitignore files that apply in ``directory``, up to the repository root (per directory:
        looking for them per file cost several system calls per file)."""
        chain = self._chains.get(directory)
        if chain is None:
            chain = []
            spec = self._gitignore_of(Path(directory))
            if spec is not None:
                chain.append((directory, spec))
            parent = os.path.dirname(directory)
            git = os.path.join(directory, ".git")
            if os.path.isdir(git):
                exclude = self._gitignore_of(Path(directory), Path(git, "info", "exclude"))
                if exclude is not None:
                    chain.append((directory, exclude))
            if not os.path.exists(git) and parent != directory:
                chain.extend(self._gitignore_chain(parent))
            self._chains[directory] = chain
        return chain

    # -- walking ---------------------------------------------------------------------------
    def files(self, paths: Iterable[Path]) -> List[Path]:
        found: List[Path] = []
        seen = set()
        for path in paths:
            for file in self._expand(path):
                key = os.path.normcase(os.path.abspath(file))
                if key not in seen:
                    seen.add(key)
                    found.append(file)
        return found

    def _expand(self, path: Path) -> Iterator[Path]:
        if not os.path.lexists(path):
            self.problems.append(Problem(str(path), "no such file or directory"))
            return
        if path.is_dir() and not path.is_symlink():
            yield from self._walk(path, path.resolve())
        elif path.is_dir():
            self.problems.append(Problem(str(path), "is a symbolic link to a directory; not followed"))
        else:
            # an explicit file is always checked, unless --force-exclude and it is excluded
            if self.force_exclude and self.is_excluded(path, False, walked=False):
                return
            yield path

    def _walk(self, top: Path, root: Path) -> Iterator[Path]:
        stack = [top]
        while stack:
            directory = stack.pop()
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as error:
                self.problems.append(Problem(str(directory), f"cannot list directory: {error.strerror or error}"))
                continue
            subdirs = []
            for entry in entries:
                path = Path(entry.path)
                try:
                    if entry.is_symlink():
                        # never followed: a link may leave the tree or loop; its target, if inside
                        # the tree, is checked under its own name
                        continue
                    if entry.is_dir():
                        if entry.name in DEFAULT_EXCLUDED_DIRS or entry.name.endswith(".egg-info"):
                            continue
                        if (path / "pyvenv.cfg").exists():
                            continue
                        if self.is_excluded(path, True):
                            continue
                        subdirs.append(path)
                    elif entry.name.endswith(".py") and entry.is_file():
                        if not self.is_excluded(path, False):
                            yield path
                except OSError as error:
                    self.problems.append(Problem(str(path), f"cannot inspect: {error.strerror or error}"))
            stack.extend(reversed(subdirs))

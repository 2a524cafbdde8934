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
        self._bases: Dict[Tuple[str, int], Optional[str]] = {}

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
            for file, absolute in self._expand(path):
                key = os.path.normcase(absolute)
                if key not in seen:
                    seen.add(key)
                    found.append(file)
        return found

    def _expand(self, path: Path) -> Iterator[Tuple[Path, str]]:
        if not os.path.lexists(path):
            self.problems.append(Problem(str(path), "no such file or directory"))
            return
        if path.is_dir() and not path.is_symlink():
            yield from self._walk(path)
        elif path.is_dir():
            self.problems.append(Problem(str(path), "is a symbolic link to a directory; not followed"))
        else:
            # an explicit file is always checked, unless --force-exclude and it is excluded
            if self.force_exclude and self.is_excluded(path, False, walked=False):
                return
            yield path, os.path.abspath(path)

    def _walk(self, top: Path) -> Iterator[Tuple[Path, str]]:
        """Every file to check under ``top``, with its absolute path. Strings, not Paths, and what
        decides exclusion (configuration, exclude patterns, real path, .gitignore chain) worked out
        once per directory, not per file."""
        top_text = str(top)
        top_absolute = os.path.abspath(top_text)
        stack = [(top_text, top_absolute, os.path.realpath(top_absolute), self._config_of(top_text))]
        while stack:
            directory, absolute, real, config = stack.pop()
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as error:
                self.problems.append(Problem(directory, f"cannot list directory: {error.strerror or error}"))
                continue
            gitignores = self._gitignores_below(absolute)
            parent: Optional[Path] = None  # made on the first file to yield
            subdirs = []
            for entry in entries:
                name = entry.name
                child = os.path.join(directory, name) if directory != "." else name  # as Path() writes it
                try:
                    if entry.is_symlink():
                        # never followed: a link may leave the tree or loop; its target, if inside
                        # the tree, is checked under its own name
                        continue
                    if entry.is_dir():
                        if name in DEFAULT_EXCLUDED_DIRS or name.endswith(".egg-info"):
                            continue
                        if os.path.exists(os.path.join(child, "pyvenv.cfg")):
                            continue
                        # a directory is excluded by its own configuration (one may live in it)
                        own = self._config_of(child)
                        if self._excluded(real, name, True, own, gitignores):
                            continue
                        subdirs.append((child, os.path.join(absolute, name), os.path.join(real, name), own))
                    elif name.endswith(".py") and entry.is_file():
                        if not self._excluded(real, name, False, config, gitignores):
                            if parent is None:
                                parent = Path(directory)
                            yield parent / name, os.path.join(absolute, name)
                except OSError as error:
                    self.problems.append(Problem(child, f"cannot inspect: {error.strerror or error}"))
            stack.extend(reversed(subdirs))

    def _config_of(self, directory: str) -> Config:
        """The configuration of the files in ``directory`` (as is_excluded finds it)."""
        return self.finder.for_path(Path(directory, "__init__.py"), is_dir=False)

    def _gitignores_below(self, absolute: str) -> List[Tuple[str, pathspec.PathSpec]]:
        """The .gitignore patterns that apply in directory ``absolute``, each with the directory's
        path relative to the .gitignore's ('' in its own directory), as _gitignored matches them."""
        return [(absolute[len(directory):].lstrip(os.sep).replace(os.sep, "/"), spec)
                for directory, spec in self._gitignore_chain(absolute)]

    def _excluded(self, real: str, name: str, is_dir: bool, config: Config,
                  gitignores: List[Tuple[str, pathspec.PathSpec]]) -> bool:
        """is_excluded for the entry ``name`` of a walked directory whose real path is ``real``."""
        slash = "/" if is_dir else ""
        spec = self._exclude_spec(config)
        if spec is not None:
            base = self._below_root(real, config)
            if base is not None:
                relative = base + name
            else:
                relative = "." if os.path.join(real, name) == str(self._real_root(config)) else name
            if spec.match_file(relative + slash) or spec.match_file(name + slash):
                return True
        if config.respect_gitignore:
            for prefix, patterns in gitignores:
                if patterns.match_file((prefix + "/" + name if prefix else name) + slash):
                    return True
        return False

    def _below_root(self, real: str, config: Config) -> Optional[str]:
        """``real`` relative to the real root of ``config``, in POSIX form ending with '/' ('' at
        the root itself); None when outside it."""
        key = (real, id(config))
        if key not in self._bases:
            root = str(self._real_root(config))
            if real == root:
                base: Optional[str] = ""
            else:
                start = root.rstrip(os.sep) + os.sep
                base = real[len(start):].replace(os.sep, "/") + "/" if real.startswith(start) else None
            self._bases[key] = base
        return self._bases[key]

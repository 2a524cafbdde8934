"""Collecting the project index of a run: each file's module name and the names it lends the others.

Reading a module's names costs a parse by Python's ``ast``; only files that could lend something a
rule follows are parsed: those that import a module some selected rule looks for (its fast path's
``imports``) from outside the project, then those importing one of the modules found lending
something, and so on (a re-export of a re-export), at most ``MAX_HOPS`` times. Files whose results
come from the cache give their names from there (``FileResult.index``) without being read. When
nothing is lent and no client declared (the standard library, checked as a project), the workers
get no index at all.

The index is of whole projects, whatever files are checked: a run naming a few files (a commit
hook's staged files, ``--changed-since``) indexes every file of the projects they belong to
(``index_root``: their repository), as a run over the whole repository would, so that what another
module lends is not missed silently. Those files are only indexed, never checked or reported.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from svcmod.check.project_index import (
    MAX_HOPS,
    USES,
    Entry,
    Project,
    View,
    module_key,
    module_name,
    module_names,
    split_key,
)
from svcmod.project.config import ConfigError, ConfigFinder
from svcmod.project.discovery import Discovery
from svcmod.project.projects import PROJECT_MARKERS
from svcmod.results import FileResult
from svcmod.run.source import digest, read_source

# svcmod.check.names (imported_modules) imports LibCST: imported where a file is read, so a warm
# run, whose files all come from the cache, does not load it


def imported_modules(source: bytes) -> FrozenSet[str]:
    from svcmod.check.names import imported_modules as read_imports
    return read_imports(source)

#: Files larger than this lend nothing (the checker's default ``max-file-size``).
MAX_SIZE = 2_000_000


class ModuleNamer:
    """Module names of files, from the packages (directories with ``__init__.py``) around them."""

    def __init__(self) -> None:
        self._packages: Dict[str, List[str]] = {}

    def __call__(self, path: str) -> Tuple[str, bool]:
        """(the module's key: ``pkg.sub.mod`` within its import root, the directory above its
        top-level package (``project_index.module_key``); whether the file is a package's
        ``__init__.py``)."""
        directory, filename = os.path.split(os.path.abspath(path))
        package = self._package(directory)
        root = directory
        for _ in package:
            root = os.path.dirname(root)
        return module_key(root, module_name([*package, filename])), filename == "__init__.py"

    def _package(self, directory: str) -> List[str]:
        known = self._packages.get(directory)
        if known is None:
            if os.path.isfile(os.path.join(directory, "__init__.py")):
                parent, name = os.path.split(directory)
                known = [*self._package(parent), name] if parent != directory else [name]
            else:
                known = []
            self._packages[directory] = known
        return known


def rule_modules(rule_classes: Iterable[type]) -> FrozenSet[str]:
    """The modules the rules' fast paths say they look for."""
    found: Set[str] = set()
    for rule in rule_classes:
        spec = rule.fast_path
        found.update(spec.imports)
        found.update(spec.part_imports)
    return frozenset(found)


def uses(view: View, imported: FrozenSet[str], source: bytes) -> Dict[str, str]:
    """The project's modules a file imports, with what each lent it (``Project.digest``): a cached
    result stays valid only while these are unchanged."""
    project = view.project
    modules = set(imported) | set(view.relative_imports(source))
    found = {module_key(view.root, m): view.digest(m) for m in sorted(modules) if m.split(".")[0] in project.tops}
    # how other modules use this one's names (a client's blocking reads)
    found[USES + module_key(view.root, view.module)] = view.digest(USES + view.module)
    return found


#: (mtime_ns, size, digest) of the bytes a file was indexed from, for the cache.
Stamp = Tuple[int, int, str]


def collect(paths: Sequence[str], namer: ModuleNamer, wanted: FrozenSet[str],
            cached: Mapping[str, FileResult], declared: Mapping[str, str],
            stamps: Optional[Dict[str, Stamp]] = None
            ) -> Tuple[Project, Dict[str, Tuple[str, bool]], Dict[str, bytes]]:
    """The project of ``paths`` (absolute), the module name of each, and the sources read on the
    way (kept for the ``uses`` of the files about to be checked). ``stamps``, when given, gets the
    stamp of each file read (to keep its part in the cache).

    A cached file gives its names without being read when they were read (``read``); one that was
    not looked at then (it imported nothing lending) gives the imports it recorded, and is read
    now if one of them has come to lend something: a module re-exporting another's session must
    not stay silent in the cache once that session appears."""
    modules = {path: namer(path) for path in paths}
    tops = frozenset(split_key(name)[1].split(".")[0] for name, _ in modules.values())
    outside = frozenset(m for m in wanted if m.split(".")[0] not in tops)
    lent: Dict[str, Dict[str, Entry]] = {}
    lending: Set[str] = set()  # modules lending names (not only recording how they use others')
    sources: Dict[str, bytes] = {}
    imports: Dict[str, FrozenSet[str]] = {}
    relative: Dict[str, FrozenSet[str]] = {}  # the modules a file imports relatively (``from .http import x``)
    examined: Set[str] = set()
    pending = []
    unread = []  # cached, not looked at when cached: read only if an import of theirs lends now
    for path in paths:
        result = cached.get(path)
        if result is not None and result.index is not None:
            names = result.index.get("names") or {}
            if names or result.index.get("read"):
                examined.add(modules[path][0])
                if names:
                    lent[modules[path][0]] = {k: (v[0], v[1], tuple(v[2])) for k, v in names.items()}
                    if any(not name.startswith(USES) for name in names):
                        lending.add(split_key(modules[path][0])[1])
                continue
            recorded = result.index.get("imports")
            if recorded is not None:  # relative imports included, made absolute
                imports[path] = frozenset(recorded)
                relative[path] = frozenset()
                unread.append(path)
                continue
            # an entry from before imports were recorded: read the file
        if not _read(path, sources, stamps):
            continue
        pending.append(path)
    read: Set[str] = set()

    def lend(path: str) -> None:
        if path not in sources:  # a cached file not read yet
            if not _read(path, sources, stamps):
                read.add(path)
                return
        read.add(path)
        module, package = modules[path]
        examined.add(module)
        names = module_names(sources[path], module, package, tops)
        if names:
            lent[module] = names
            if any(not name.startswith(USES) for name in names):
                lending.add(split_key(module)[1])

    def imports_of(path: str) -> FrozenSet[str]:
        known = imports.get(path)
        if known is None:
            known = imports[path] = imported_modules(sources[path])
        return known

    def relative_of(path: str) -> FrozenSet[str]:
        known = relative.get(path)
        if known is None:
            known = relative[path] = relative_imports(*modules[path], sources[path])
        return known

    # which files import from outside the project a module a rule looks for: their imports, read
    # from the text (no parse; a search for each module's name in each file first took twice as
    # long on the standard library). A project whose text names none of those modules at all is
    # told by that search alone, which spares loading the import reader (it loads LibCST).
    words = [module.encode() for module in outside]
    if any(word in sources[path] for path in pending for word in words):
        for path in pending:
            if imports_of(path) & outside:
                lend(path)
    for path in unread:
        if imports[path] & outside:
            lend(path)
    for _ in range(MAX_HOPS):  # then those importing a module found lending something, and so on
        before = len(read)
        for path in pending + unread:
            if path not in read and lending and (any(m in lending for m in imports_of(path))
                                                 or any(m in lending for m in relative_of(path))):
                lend(path)
        if len(read) == before:
            break
    return Project(lent, declared, examined), modules, sources


def relative_imports(module: str, package: bool, source: bytes) -> FrozenSet[str]:
    """The modules ``module`` (its key; ``package``: an ``__init__.py``) imports relatively, made
    absolute: ``from .http import session`` in ``svc.api`` is ``svc.http`` (and ``svc.http.session``)."""
    return frozenset(View(_NOTHING_LENT, module, package).relative_imports(source))


_NOTHING_LENT = Project({})


def _read(path: str, sources: Dict[str, bytes], stamps: Optional[Dict[str, Stamp]]) -> bool:
    """Read ``path`` into ``sources`` (and its stamp into ``stamps``); False when it cannot be read
    or is larger than any file a rule would check."""
    try:
        source, info = read_source(Path(path), MAX_SIZE)  # a FIFO named x.py is refused, not waited on
    except OSError:
        return False
    if len(source) > MAX_SIZE:
        return False  # the checker refuses it too (max-file-size)
    if stamps is not None:
        stamps[path] = (info.st_mtime_ns, info.st_size, digest(source))
    sources[path] = source
    return True


def index_of(view: View, module: str, source: bytes) -> Dict[str, object]:
    """What the cache keeps of a file for the index: the names it lends, and what it was lent."""
    names = view.project.modules.get(module) or {}
    imported = imported_modules(source)
    return {"names": _names_record(names), "uses": uses(view, imported, source),
            **_looked_at(view.project, module, view.package == view.module, source, imported)}


def _names_record(names: Mapping[str, Entry]) -> Dict[str, List[object]]:
    """The names a module lends, as the cache keeps them (JSON: lists, not tuples)."""
    return {k: [v[0], v[1], list(v[2])] for k, v in names.items()}


def unindexed(project: Project, module: str, package: bool, source: bytes) -> Dict[str, object]:
    """What the cache keeps of a file checked while the project lent nothing and declared no client."""
    return {"names": {}, "uses": None, **_looked_at(project, module, package, source)}


def _looked_at(project: Project, module: str, package: bool, source: bytes,
               imported: Optional[FrozenSet[str]] = None) -> Dict[str, object]:
    """Whether the file's names were read, and if not, what it imports, relative imports made
    absolute (``collect`` reads it once one of those lends something)."""
    if module in project.examined:
        return {"read": True}
    if imported is None:
        imported = imported_modules(source)
    return {"read": False, "imports": sorted(imported | relative_imports(module, package, source))}


def still_valid(result: FileResult, project: Project) -> bool:
    """A cached result was checked with what its imported project modules lent it then (or, when
    it was checked with an empty index, the index is still empty)."""
    if result.index is None:
        return False
    used = result.index.get("uses")
    if used is None:
        return project.empty
    return not project.empty and all(_digest(project, key) == digest for key, digest in used.items())


def _digest(project: Project, key: str) -> str:
    """``Project.digest`` of a key of ``uses`` (a module key, ``@`` first for the uses of its names)."""
    uses = key.startswith(USES)
    root, module = split_key(key[len(USES):] if uses else key)
    return project.digest(USES + module if uses else module, root)


def declared_clients(configs: Iterable[object]) -> Dict[str, str]:
    found: Dict[str, str] = {}
    for config in configs:
        for entry in getattr(config, "clients", ()):
            found[entry["name"]] = entry["like"]
    return found


def index_only(project: Project, module: str, package: bool, source: bytes) -> FileResult:
    """What the cache keeps of a file that was only indexed (a file of the project not checked):
    the names it lends, no findings. Kept in a bucket of its own (never taken for a check)."""
    names = project.modules.get(module) or {}
    looked_at = _looked_at(project, module, package, source)
    return FileResult("", index={"names": _names_record(names), "uses": None, **looked_at})


def index_root(directory: str, roots: Optional[Dict[str, str]] = None) -> str:
    """The directory whose files make the project index of a file in ``directory`` (absolute): its
    repository (the directory holding ``.git``); outside one, the working directory when it holds
    the file (``svcmod lint`` and ``flake8`` run at a project's top) unless that is the file
    system's root or the home directory; else the nearest directory with a project marker
    (``pyproject.toml``, ``setup.py``, ``setup.cfg``); else ``directory`` itself. ``roots``: known
    answers by directory."""
    if roots is not None and directory in roots:
        return roots[directory]
    found = None
    here = directory
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            found = here
            break
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    if found is None:
        cwd = os.getcwd()
        if (directory == cwd or directory.startswith(cwd.rstrip(os.sep) + os.sep)) and cwd not in (
                os.path.dirname(cwd), os.path.expanduser("~")):
            found = cwd
    if found is None:
        here = directory
        while found is None:
            if any(os.path.isfile(os.path.join(here, marker)) for marker in PROJECT_MARKERS):
                found = here
            elif os.path.dirname(here) == here:
                found = directory
            else:
                here = os.path.dirname(here)
    if roots is not None:
        roots[directory] = found
    return found


def project_files(paths: Iterable[str], walked: Iterable[str], finder: ConfigFinder) -> List[str]:
    """The files (absolute) of the projects that ``paths`` (absolute) belong to (``index_root``),
    as a walk of each project finds them (excludes and .gitignore honoured), except where a walk
    of ``walked`` (the directories the run walks anyway) already found them. A project whose walk
    meets a bad configuration lends nothing beyond the files checked (the error is the check's to
    report, for the files it concerns)."""
    known: Dict[str, str] = {}
    roots = sorted({index_root(os.path.dirname(path), known) for path in paths})
    roots = [root for root in roots if not any(root.startswith(other.rstrip(os.sep) + os.sep) for other in roots)]
    covered = [os.path.abspath(path) for path in walked]
    roots = [root for root in roots if not any(root == done or root.startswith(done.rstrip(os.sep) + os.sep)
                                               for done in covered)]
    found: List[str] = []
    for root in roots:
        try:
            found.extend(os.path.abspath(file) for file in Discovery(finder).files([Path(root)]))
        except ConfigError:
            continue
    return found

"""Running the checker over many files: discovery, configuration per file, a process pool, writes."""
from __future__ import annotations

import ast
import os
import re
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from svcmod.check.policy import FixPolicy
from svcmod.check.project_index import Project, View
from svcmod.project.config import Config, ConfigFinder, is_selected
from svcmod.project.discovery import Discovery
from svcmod.project.ignores import expand_ignored, per_file_ignored
from svcmod.project.projects import ProjectFinder
from svcmod.registry.rules import validate
from svcmod.results import ENGINE_CODES, FileResult, Finding, RunResult
from svcmod.run.indexing import (
    ModuleNamer,
    collect,
    declared_clients,
    index_of,
    index_only,
    project_files,
    rule_modules,
    still_valid,
    unindexed,
)
from svcmod.run.source import WriteRefused, digest, read_source, write_if_unchanged
from svcmod.run.stopping import StopRequest, stop_on_signals
from svcmod.run.workers import Job, Lost, run_here, run_jobs

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.check.checker import Checker
    from svcmod.registry.index import RuleIndex

# the checker (LibCST, every rule) is imported when the first file must be checked: a warm run,
# whose files are all cached, never imports it

@dataclass
class RunOptions:
    paths: Sequence[Path] = (Path("."),)
    select: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    fix: FixPolicy = FixPolicy()
    only_codes: Optional[FrozenSet[str]] = None  # restrict the rules run (migrations)
    write: bool = True  # write fixed files (False for --diff / --check)
    force_write: bool = False  # write read-only and hard-linked files too (svcmod.run.source)
    keep_sources: bool = False  # keep original and fixed bytes in results (diffs, patches)
    jobs: Optional[int] = None
    config_file: Optional[Path] = None
    force_exclude: bool = False
    stdin: Optional[Tuple[str, bytes]] = None  # (filename, contents) of a "-" argument
    files: Optional[Sequence[Path]] = None  # an already chosen file list (skips discovery)
    cache: bool = False  # reuse results of unchanged files (svcmod/run/cache.py); the CLI turns it on
    cache_dir: Optional[Path] = None  # default: .svcmod_cache at the configuration's root
    shard: Optional[Tuple[int, int]] = None  # (K, N): check only the K-th of N parts (1-based)
    # files the project index reads besides those checked (a migrate shard: the whole run's files)
    index_files: Optional[Sequence[Path]] = None
    # False: every file parsed whole, every selected rule run on it (the reference; no cache)
    fast_path: bool = True
    # give each fixable finding the text edits of its fix made alone (``--format json``'s fix.edits)
    fix_edits: bool = False


@dataclass(frozen=True)
class _Task:
    path: str
    filename: str
    config: int
    ignored: Tuple[str, ...]
    named: bool = False  # named on the command line: always parsed (a syntax error is SVC901)
    module: str = ""  # its module name in the project index ("" : no index)
    package: bool = False  # an __init__.py


# -- worker side ---------------------------------------------------------------------------
_WORKER: Dict[str, object] = {}


#: (mtime_ns, size, digest) of the bytes checked, for the cache.
_Stamp = Tuple[int, int, str]


def _init_worker(configs: Sequence[Config], policy: FixPolicy, only: Optional[FrozenSet[str]],
                 stamp: bool = False, fast_path: bool = True, fix_edits: bool = False,
                 project: Optional[Project] = None) -> None:
    _WORKER.clear()
    _WORKER.update(configs=list(configs), policy=policy, only=only, checkers={}, stamp=stamp,
                   fast_path=fast_path, fix_edits=fix_edits, project=project)
    for index in range(len(configs)):
        _checker(index)  # set up before the first file's time limit starts


#: What a fix.edits check fixes: every fix, as ruff gives unsafe fixes their edits too.
_EVERY_FIX = FixPolicy(apply=True, unsafe=True)


def _checker(index: int, plain: bool = False, every_fix: bool = False) -> Checker:
    """The checker of a configuration; ``plain``: one that fixes nothing (for a file whose fixes were
    not written: every finding is still in it); ``every_fix``: one that makes every fix (fix.edits)."""
    from svcmod.check.checker import Checker
    checkers: Dict[Tuple[int, bool, bool], Checker] = _WORKER["checkers"]  # type: ignore[assignment]
    checker = checkers.get((index, plain, every_fix))
    if checker is None:
        policy = _EVERY_FIX if every_fix else FixPolicy() if plain else _WORKER["policy"]
        # (fix.edits: the file has fixes to make, which are made on it whole: no excerpt first)
        checker = Checker(_WORKER["configs"][index], policy, _WORKER["only"],  # type: ignore[index,arg-type]
                          fast_path=_WORKER["fast_path"], excerpts=not every_fix)  # type: ignore[arg-type]
        checkers[(index, plain, every_fix)] = checker
    return checker


def _check_task(task: _Task, source: Optional[bytes] = None, plain: bool = False) -> FileResult:
    """Check one file. Writes nothing: the main process writes what comes back (original and fixed
    bytes are in the result when there is something to write)."""
    checker = _checker(task.config, plain)
    if source is None:
        try:
            # a huge file is read only up to the limit: enough for the checker to refuse it
            source, _ = read_source(Path(task.path), checker.config.max_file_size)
        except OSError as error:
            result = FileResult(task.filename)
            checker.engine_finding(result, "SVC901", f"cannot read: {error.strerror or error}", 1, 1)
            return result
    started = time.perf_counter()
    project: Optional[Project] = _WORKER.get("project")  # type: ignore[assignment]
    view = View(project, task.module, task.package) if project is not None and task.module else None
    if view is not None and project.empty:  # type: ignore[union-attr]
        view = None  # nothing lent nor declared: no lookups on the hot path
    try:
        result = checker.check(task.filename, source, task.ignored, task.named, view)
        if view is not None:
            result.index = index_of(view, task.module, source)
        elif project is not None and task.module:
            result.index = unindexed(project, task.module, task.package, source)
        result.seconds = time.perf_counter() - started  # per-project time in migrate reports
        if _WORKER.get("fix_edits") and not plain:
            _add_fix_edits(task, result, source, view, started)
    except MemoryError:
        raise  # reported by the worker loop, which knows the limit
    except Exception as error:  # a bug in a rule must not stop the run or lose the file
        result = FileResult(task.filename)
        checker.engine_finding(result, "SVC901", f"internal error while checking: "
                                f"{type(error).__name__}: {error}", 1, 1)
    return result


def _add_fix_edits(task: _Task, result: FileResult, source: bytes, view: Optional[View], started: float) -> None:
    """The fix.edits of the file's fixable findings, made here in the worker (under its limits).
    With --fix they are edits of the fixed text, where the findings left are. They get the file's
    time limit again (the job has twice it): past that, a finding has no edits but the file its findings
    (and is cached so: making them again at every run would make no JSON run warm)."""
    from svcmod.run.fix_edits import attach_edits, fixable
    if not fixable(result.findings):
        return
    fixer = _checker(task.config, every_fix=True)
    text = result.fixed if result.fixed is not None else source
    limit = fixer.config.check_time_limit

    def fix_each(ats, deadline):
        return fixer.fix_each(task.filename, text, ats, task.ignored, True, view, deadline)

    def every_fix():
        return fixer.check(task.filename, text, task.ignored, True, view), fixer.fix_footprints

    attach_edits(result.findings, text, fix_each, every_fix, started + limit)


def _check_stamped(task: _Task, source: Optional[bytes] = None,
                   plain: bool = False) -> Tuple[FileResult, Optional[_Stamp]]:
    """The result, and for the cache (when on) the (mtime_ns, size, digest) of the bytes checked."""
    if source is not None or not _WORKER["stamp"] or task.path == "-":
        return _check_task(task, source, plain), None
    try:
        # stat before reading: a later edit then shows as a new mtime
        source, info = read_source(Path(task.path), _checker(task.config).config.max_file_size)
    except OSError:
        return _check_task(task, None, plain), None
    return _check_task(task, source, plain), (info.st_mtime_ns, info.st_size, digest(source))


def _check_job(payload: Tuple[_Task, Optional[bytes], bool]) -> Tuple[FileResult, Optional[_Stamp]]:
    return _check_stamped(*payload)


# -- orchestration -------------------------------------------------------------------------
def display_name(path: Path, cwd: Optional[str] = None, real: Optional[Dict[str, str]] = None) -> str:
    """A path as users see it: relative to the working directory when below it. ``real``: the
    directories' real paths found so far (one run's: links do not change during it)."""
    text = str(path)
    if not path.is_absolute():
        text = os.path.normpath(text)  # what relpath gives, without a getcwd() per file
    else:
        cwd = cwd or os.getcwd()
        if text.startswith(cwd.rstrip(os.sep) + os.sep) or _below_cwd(text, cwd, {} if real is None else real):
            text = os.path.relpath(text, cwd)
    text = text.replace(os.sep, "/")
    if not text.isascii():
        # bytes that are not UTF-8 (``caf\xe9.py`` on disk) come as surrogates that no UTF-8
        # stream or report file accepts: shown as \xe9 instead (I/O uses the real path)
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if _CONTROL.search(text):
        # a newline in a name would split a line of text output into two findings
        text = _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)
    return text


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _below_cwd(path: str, cwd: str, real: Dict[str, str]) -> bool:
    """``path`` (absolute) is below the working directory ``cwd`` once links are resolved. The
    real path of each directory is looked up once (a realpath and a resolve per file were a
    quarter of a warm run of files named by absolute paths outside it)."""
    top = real.get("")
    if top is None:
        top = real[""] = os.path.realpath(cwd)
    if os.path.islink(path):
        resolved = os.path.realpath(path)
    else:
        directory, name = os.path.split(path)
        found = real.get(directory)
        if found is None:
            found = real[directory] = os.path.realpath(directory)
        resolved = os.path.join(found, name)
    return resolved == top or resolved.startswith(top.rstrip(os.sep) + os.sep)


def run(options: RunOptions, progress: Optional[Callable[[int, int], None]] = None) -> RunResult:
    """Check (and maybe fix) every file under ``options.paths``. Raises ConfigError on bad config,
    Interrupted (with the files already written) on SIGINT/SIGTERM."""
    with stop_on_signals() as stop:
        return _run(options, progress, stop)


def _run(options: RunOptions, progress: Optional[Callable[[int, int], None]], stop: StopRequest) -> RunResult:
    started = time.perf_counter()
    finder = ConfigFinder(options.config_file)
    discovery = Discovery(finder, options.force_exclude)
    result = RunResult()
    real_paths = [p for p in options.paths if str(p) != "-"]
    if options.files is not None:
        files = list(options.files)
    else:
        files = discovery.files(real_paths)
    result.problems.extend(discovery.problems)
    whole = files
    if options.shard is not None:
        from svcmod.run.sharding import select_shard
        files = select_shard(files, real_paths, *options.shard)

    configs: List[Config] = []
    config_index: Dict[int, int] = {}
    validated: Dict[int, Config] = {}
    # the reference neither reads nor writes results the fast path made (nor the other way round)
    use_cache = options.cache and options.fast_path
    rule_index = _load_rule_index(options, finder, real_paths) if use_cache else None

    declared: Dict[int, Optional[Sequence[Any]]] = {}

    def installed(config: Config) -> Optional[Sequence[Any]]:
        """The rules' records when they stand for the rules ``config`` has (None: import them)."""
        if rule_index is None or not config.deprecations:
            return rule_index.rules if rule_index is not None else None
        if id(config) not in declared:  # and its declared deprecations', made without LibCST
            from svcmod.registry.declared import deprecations_of
            from svcmod.registry.index import FastPathRecord, RuleRecord
            made = deprecations_of(config)
            taken = {record.code for record in rule_index.rules}
            # a code taken by an installed rule: the rules are imported, so the error names that rule
            declared[id(config)] = None if any(d.code in taken for d in made) else rule_index.rules + tuple(
                RuleRecord(d.code, {}, {}, FastPathRecord((d.module,), (d.module,))) for d in made)
        return declared[id(config)]

    def index_of(config: Config) -> int:
        key = id(config)
        if key not in config_index:
            effective = config.with_cli(options.select, options.extend_select, options.ignore)
            validate(effective, installed(effective))
            config_index[key] = len(configs)
            configs.append(effective)
            validated[key] = effective
        return config_index[key]

    from svcmod.registry.rules import known_codes
    specs: Dict[int, list] = {}
    tasks: List[_Task] = []
    cwd = os.getcwd()
    real_directories: Dict[str, str] = {}  # for display_name
    config_of_dir: Dict[str, Config] = {}  # one config lookup per directory, not per file
    codes_of: Dict[int, List[str]] = {}
    # files the user named (not found by a walk) are always parsed; a --changed-since list is a walk's
    named = {os.path.abspath(p) for p in real_paths if options.files is None and not os.path.isdir(p)}
    for path in files:
        directory = os.path.dirname(str(path))
        config = config_of_dir.get(directory)
        if config is None:
            config = config_of_dir[directory] = finder.for_path(path)
        index = index_of(config)
        if config.per_file_ignores:
            codes = codes_of.get(index)
            if codes is None:
                codes = codes_of[index] = known_codes(configs[index], installed(configs[index]))
            ignored = expand_ignored(per_file_ignored(path, config, specs), codes)
        else:
            ignored = ()
        shown = display_name(path, cwd, real_directories)
        if "\\" in shown:  # escaped for display: outputs that can carry the real bytes need the real path
            result.paths[shown] = os.path.abspath(path)
        tasks.append(_Task(str(path), shown, index, ignored, os.path.abspath(path) in named))
    stdin_task = None
    if options.stdin is not None:
        name, data = options.stdin
        stdin_path = Path(name) if name != "-" else Path.cwd() / "stdin.py"
        config = finder.for_path(stdin_path.absolute())
        index = index_of(config)
        ignored = expand_ignored(per_file_ignored(stdin_path, config, specs), known_codes(configs[index], installed(configs[index])))
        stdin_task = (_Task("-", name, index, ignored, named=True), data)
    if not configs:
        index_of(finder.for_path(Path.cwd() / "x.py"))
    if options.shard is not None:
        # the configuration of the whole run (every shard's files have their own part of it)
        everyone: Dict[int, Config] = {}
        for directory in {os.path.dirname(str(path)) for path in whole}:
            config = finder.for_path(Path(directory) / "__init__.py")
            everyone.setdefault(id(config), config)
        run_configs = [c.with_cli(options.select, options.extend_select, options.ignore) for c in everyone.values()]
        result.shard = _identity(options.shard, files, whole, real_paths, run_configs or configs)

    init_args = (configs, options.fix, options.only_codes, use_cache, options.fast_path, options.fix_edits)
    jobs = options.jobs or os.cpu_count() or 1
    stop.check()
    cache = _open_cache(options, finder, real_paths) if use_cache else None
    to_check = tasks
    cached_results: Dict[str, FileResult] = {}
    if cache is not None:
        buckets = [_bucket(cache, c, options, installed(c), rule_index) for c in configs]
        for task in tasks:
            cached = buckets[task.config].lookup(os.path.abspath(task.path), task.filename)
            if cached is not None and task.named and not (cached.parsed or cached.skipped or cached.findings):
                cached = None  # stored by a walk, which does not parse files no rule wants
            if cached is not None:
                cached_results[os.path.abspath(task.path)] = cached
    # the project index: which names of the checked modules lend other modules a library's objects
    wanted = rule_modules(r for c in configs for r in _selected(c, options.only_codes, installed(c)))
    # a shard indexes the whole run's files: a module it does not check may still lend its files a
    # session (else the merged shards would miss findings an unsharded run has); and any run the
    # whole projects of its files (a commit hook names only the staged ones)
    indexed = [os.path.abspath(t.path) for t in tasks]
    extra = list(whole if options.shard is not None else options.index_files or ())
    extra += project_files(indexed, [p for p in real_paths if options.files is None and os.path.isdir(p)], finder)
    if extra:
        indexed = list(dict.fromkeys(indexed + [os.path.abspath(p) for p in extra]))
    only_indexed = _index_bucket(cache, configs, options, installed, rule_index) if cache is not None else None
    index_cached = dict(cached_results)
    if only_indexed is not None:
        for path in indexed[len(tasks):]:
            found = only_indexed.lookup(path, path)
            if found is not None:
                index_cached[path] = found
    stamps: Dict[str, Tuple[int, int, str]] = {}
    project, modules, sources = collect(indexed, ModuleNamer(), wanted, index_cached, declared_clients(configs), stamps)
    if only_indexed is not None:
        for path in indexed[len(tasks):]:
            if path in stamps:  # read for the index only: kept so that the next run need not read it
                only_indexed.store(path, stamps[path], index_only(project, *modules[path], sources[path]))
    tasks = [replace(t, module=modules[os.path.abspath(t.path)][0], package=modules[os.path.abspath(t.path)][1])
             for t in tasks]
    init_args = (*init_args, project)
    if cache is not None:
        to_check = []
        for task in tasks:
            cached = cached_results.get(os.path.abspath(task.path))
            if cached is None or not still_valid(cached, project):
                to_check.append(task)  # new, changed, or what its imports lend it changed
            else:
                result.files.append(cached)
    else:
        to_check = tasks
    stop.check()
    payloads: List[Tuple[_Task, Optional[bytes], bool]] = [(task, None, False) for task in to_check]
    if stdin_task is not None:
        payloads.append((stdin_task[0], stdin_task[1], False))
    checked = _check_in_workers(payloads, configs, jobs, init_args, options, progress, stop)
    result.files.extend(file_result for file_result, _ in checked)
    for task, (file_result, stamp) in zip(to_check, checked):
        if cache is not None and stamp is not None and not (task.named and _unparsable(file_result)):
            # a named file's syntax error, which a walk would not have seen, stays out of the cache
            buckets[task.config].store(os.path.abspath(task.path), stamp, file_result)
    if cache is not None:
        if rule_index is None:
            cache.rule_index = _rule_index_record()
        cache.save()
    result.files.sort(key=lambda r: r.filename)

    projects = ProjectFinder(real_paths or [Path.cwd()])
    by_name = {t.filename: t for t in tasks}
    # the project of a file depends only on its directory (and config): look it up once per directory
    project_of_dir: Dict[Tuple[str, int], Tuple[str, Path]] = {}
    for file_result in result.files:
        task = by_name.get(file_result.filename)
        path = Path(task.path) if task is not None and task.path != "-" else Path(file_result.filename)
        config = configs[task.config] if task is not None else None
        key = (os.path.dirname(str(path)), task.config if task is not None else -1)
        known = project_of_dir.get(key)
        if known is None:
            project_dir = projects.project_of(path.absolute(), config)
            known = project_of_dir[key] = (projects.name_of(project_dir), project_dir)
        name, project_dir = known
        result.projects[file_result.filename] = name
        result.project_dirs[name] = project_dir
        for finding in file_result.findings:
            finding.project = name
    result.elapsed = time.perf_counter() - started
    return result


def _identity(shard: Tuple[int, int], files: Sequence[Path], whole: Sequence[Path], given: Sequence[Path],
              configs: Sequence[Config]) -> Dict[str, object]:
    from svcmod.run.sharding import config_digest, given_roots, relative_name, shard_identity
    roots = given_roots(given)
    return shard_identity(*shard, [relative_name(f, roots) for f in files], [relative_name(f, roots) for f in whole],
                          config_digest([c.fingerprint() for c in configs]))


def _unparsable(result: FileResult) -> bool:
    return any(f.code == "SVC901" for f in result.findings)


def _open_cache(options: RunOptions, finder: ConfigFinder, real_paths: Sequence[Path]):
    from svcmod.run.cache import Cache, cache_directory
    first = real_paths[0] if real_paths else Path.cwd()
    config = finder.for_path(first if not first.is_dir() else first / "__init__.py")
    return Cache(cache_directory(options.cache_dir, config))


def _load_rule_index(options: RunOptions, finder: ConfigFinder,
                     real_paths: Sequence[Path]) -> Optional["RuleIndex"]:
    """svcmod.registry.index's record in the cache directory, if it is svcmod's and current."""
    from svcmod.registry.index import load
    from svcmod.run.cache import cache_directory, ownership_problem
    first = real_paths[0] if real_paths else Path.cwd()
    config = finder.for_path(first if not first.is_dir() else first / "__init__.py")
    directory = cache_directory(options.cache_dir, config)
    if ownership_problem(directory) is not None:
        return None  # opening the cache reports it
    return load(str(directory))


def _rule_index_record() -> Optional[bytes]:
    from svcmod.registry.index import record
    from svcmod.registry.rules import builtin_rules
    from svcmod.run.cache import code_directories, code_fingerprint
    rules = builtin_rules()
    return record(rules, code_directories(rules), code_fingerprint(rules))


def _selected(config: Config, only: Optional[FrozenSet[str]], installed: Optional[Sequence[Any]]) -> tuple:
    """The rules ``config`` selects (classes, or their records from ``installed``), limited to ``only``."""
    from svcmod.project.config import is_selected
    from svcmod.registry.rules import selected_rules
    if installed is None:
        rules: Sequence[Any] = selected_rules(config)
    else:
        rules = [r for r in installed if is_selected(r.code, config.select + config.extend_select, config.ignore)]
    return tuple(r for r in rules if only is None or r.code in only)


def _bucket(cache, config: Config, options: RunOptions, installed: Optional[Sequence[Any]],
            rule_index: Optional["RuleIndex"], rules: Optional[Sequence[Any]] = None):
    """``rules``: the rules the bucket is for (default: those ``config`` selects)."""
    from svcmod.registry.rules import rules_for
    from svcmod.run.cache import code_fingerprint
    if rule_index is not None and (installed is not None or rules is not None):
        fingerprint = rule_index.fingerprint
    else:
        # of every rule's source, not only the selected ones': the same as the index's
        fingerprint = code_fingerprint(rules_for(config))
    if rules is None:
        rules = _selected(config, options.only_codes, installed)
    return cache.bucket(config, rules, options.fix, options.only_codes, fingerprint, options.fix_edits)


def _index_bucket(cache, configs: Sequence[Config], options: RunOptions, installed: Callable[[Config], Any],
                  rule_index: Optional["RuleIndex"]):
    """The bucket of the files this run only indexes: what each lends depends on the rules selected
    (the modules they look for), never on a file's own configuration."""
    rules = {r.code: r for c in configs for r in _selected(c, options.only_codes, installed(c))}
    return _bucket(cache, configs[0], replace(options, only_codes=frozenset({"index-only"}), fix=FixPolicy(),
                                                  fix_edits=False), None,
                   rule_index, tuple(rules[code] for code in sorted(rules)))


def _check_in_workers(payloads: List[Tuple[_Task, Optional[bytes], bool]], configs: List[Config], jobs: int,
                      init_args: tuple, options: RunOptions, progress: Optional[Callable[[int, int], None]],
                      stop: StopRequest) -> List[Tuple[FileResult, Optional[_Stamp]]]:
    """One result per payload, in order. Each file is checked in a worker process under its
    configuration's time and memory limits; a file that crashes its worker, or goes over a limit,
    is SVC901. Fixed files are written here, as their results come in, and never after a stop."""
    results: List[Optional[Tuple[FileResult, Optional[_Stamp]]]] = [None] * len(payloads)
    refused: List[int] = []  # files whose fixes could not be written: checked again without fixing
    written: List[str] = []
    finished = 0

    def job(payload: Tuple[_Task, Optional[bytes], bool]) -> Job:
        config = configs[payload[0].config]
        # fix.edits: the file's time limit again for them (they stop there, keeping the findings)
        seconds = config.check_time_limit * (2 if options.fix_edits else 1)
        return Job(payload, seconds, config.check_memory_limit)

    def done(index: int, outcome: Tuple[FileResult, Optional[_Stamp]]) -> None:
        nonlocal finished
        task = payloads[index][0]
        file_result = outcome[0]
        if file_result.fixed is not None and options.write and task.path != "-":
            try:
                write_if_unchanged(Path(task.path), file_result.original or b"", file_result.fixed,
                                   force=options.force_write)
                file_result.written = True
                written.append(file_result.filename)
            except (WriteRefused, OSError) as error:
                message = str(error) if isinstance(error, WriteRefused) else f"cannot write: {error.strerror or error}"
                file_result.edits = []
                file_result.fixed = None
                _engine_finding(configs[task.config], file_result, "SVC902", f"fixes not written: {message}")
                refused.append(index)
        if not options.keep_sources and task.path != "-":
            file_result.original = None
            if file_result.written:
                file_result.fixed = None
        results[index] = outcome
        finished += 1
        if progress:
            progress(finished, len(payloads))

    def lost(index: int, why: Lost) -> None:
        task = payloads[index][0]
        file_result = FileResult(task.filename)
        _engine_finding(configs[task.config], file_result, "SVC901", _not_checked(why, configs[task.config]))
        done(index, (file_result, None))

    if _safe_here(payloads, configs):  # a commit hook's few small files: no worker to start
        finished_all = run_here([job(p) for p in payloads], _check_job, _init_worker, init_args, done, lost, stop)
    else:
        finished_all = run_jobs([job(p) for p in payloads], _check_job, _init_worker, init_args, jobs, done, lost,
                                stop)
    if finished_all and refused:
        # the findings the fixes would have removed are still in the file: report them all
        again = [(payloads[i][0], payloads[i][1], True) for i in refused]
        kept = {i: results[i] for i in refused}

        def redone(number: int, outcome: Tuple[FileResult, Optional[_Stamp]]) -> None:
            previous = kept[refused[number]]
            assert previous is not None
            previous[0].findings = outcome[0].findings + [f for f in previous[0].findings if f.code == "SVC902"]

        finished_all = run_jobs([job(p) for p in again], _check_job, _init_worker, init_args, jobs, redone,
                                lambda number, why: None, stop)
    if not finished_all:
        stop.check(written)
    return results  # type: ignore[return-value]


#: A run of at most this many files may be checked in the main process (starting a worker, which
#: imports the checker again, was most of a commit hook's time) when every one of them is safe:
IN_PROCESS_FILES = 8
#: at most this big,
IN_PROCESS_BYTES = 256 * 1024
#: nested no deeper than this in Python's own tree (the standard library's deepest file: 33; LibCST's
#: native parser crashes on 9,000 ``elif`` branches, depth 9,000, and takes seconds on a 2,000-term
#: ``+`` chain, depth 2,000),
IN_PROCESS_DEPTH = 100
#: and small enough that this many bytes of memory per byte of source stay within the
#: configuration's check-memory-limit (LibCST needed over a gigabyte for a 1 MB file).
MEMORY_PER_BYTE = 2048


def _safe_here(payloads: Sequence[Tuple[_Task, Optional[bytes], bool]], configs: Sequence[Config]) -> bool:
    """Whether these files can be checked in this process: few, small, shallow and valid Python.
    Anything unclear (an unreadable file, a syntax error) goes to a worker."""
    if not payloads or len(payloads) > IN_PROCESS_FILES:
        return False
    for task, source, _ in payloads:
        limit = min(IN_PROCESS_BYTES, configs[task.config].check_memory_limit * 1024 * 1024 // MEMORY_PER_BYTE)
        if source is None:
            try:
                source, _ = read_source(Path(task.path), limit)  # never waits on a FIFO
            except OSError:
                return False
        if len(source) > limit or _depth_over(source, IN_PROCESS_DEPTH):
            return False
    return True


def _depth_over(source: bytes, limit: int) -> bool:
    """``source`` nests deeper than ``limit`` in Python's own tree, or Python cannot parse it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about the user's code are not ours to print
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False


def _engine_finding(config: Config, result: FileResult, code: str, message: str) -> None:
    if is_selected(code, config.select + config.extend_select, config.ignore):
        result.findings.append(Finding(code, ENGINE_CODES[code][0], message, result.filename, 1, 1, 1, 1))


def _not_checked(why: Lost, config: Config) -> str:
    if why.reason == "time":
        return f"not checked: took more than {why.detail} s (check-time-limit)"
    if why.reason == "memory":
        return f"not checked: needed more than {why.detail} MiB of memory (check-memory-limit)"
    if why.reason == "crashed" and why.detail == "SIGABRT":
        # what LibCST's native parser does when an allocation fails under the memory limit
        return (f"not checked: svcmod's worker process aborted on this file (SIGABRT; most likely it needed "
                f"more than {config.check_memory_limit} MiB of memory, check-memory-limit)")
    if why.reason == "crashed":
        return f"not checked: svcmod's worker process crashed on this file ({why.detail}; please report it)"
    return f"internal error while checking: {why.detail}"

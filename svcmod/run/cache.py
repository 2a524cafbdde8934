"""Results of unchanged files kept between runs, so a warm run checks only what changed.

Layout: ``.svcmod_cache/`` (at the root of the configuration that applies to the first path checked,
else the working directory; or ``--cache-dir`` / ``cache-dir =``) holds ``CACHEDIR.TAG``, a
``.gitignore`` of ``*``, one ``svcmod-<key>.json`` file per *bucket*, and ``rules-index.json``
(svcmod.registry.index: the installed rules' codes and options, so a warm run imports no rule).

The cache owns only what it created. It uses a directory only if svcmod made it (it then holds a
``CACHEDIR.TAG`` that says "created by svcmod"); an existing directory without that tag (``cache-dir
= "."``, a source folder, another tool's cache) and a directory that is a symbolic link are refused
with an error before any work, since the clean-up deletes files there. The clean-up deletes only
bucket files by their own name pattern, never anything else in the directory. A bucket is everything that can change a
file's results apart from the file itself: the svcmod version, the Python version, the source of the
engine and of every rule module (so editing a rule invalidates), the selected rule codes, the
effective configuration (``Config.fingerprint()``), the fix policy, and whether the run makes each
fixable finding's ``fix.edits`` (``--format json``: its bucket keeps them, so a warm JSON run needs
no parser). Inside a bucket, results are
kept per absolute path.

When is a file unchanged? Fast path: its ``(mtime_ns, size)`` equals the recorded one, and the file
was not modified within two seconds of being recorded (a file edited in the same clock tick as it was
read could keep its mtime; git calls these "racily clean"). Otherwise its bytes are read and their
hash compared; equal bytes reuse the results (``touch`` or a checkout of the same content costs one
read, no parse). So a warm run reads no unchanged file at all, and parses nothing unchanged.

Never wrong on fixes: results are stored only when nothing was fixed (a file that a fix rewrites
changes anyway, and a ``--diff`` needs the fixed bytes, which are not kept). Writes are atomic
(temporary file + ``os.replace``) and merged with what another process wrote meanwhile; the worst
a race can do is drop entries, which only costs a re-check. JSON, never pickle: a cache directory
could come from anywhere, and reading it must not run code.

Never trusted: a cache directory may have been committed, copied or planted, and an edited entry
would hide findings. Every entry carries an HMAC under a key of the user's own, kept outside any
repository (svcmod.project.user_key, which signs the rules index too); an entry whose HMAC does
not match, or that is not exactly the shape svcmod writes (types, codes, no control characters), is
a miss and the file is checked again. The bucket key includes
the cache directory's own path, so buckets never match across directories.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from svcmod import __version__
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config, ConfigError
from svcmod.project.user_key import sign
from svcmod.results import FileResult, Finding
from svcmod.registry.index import FILE_NAME as RULE_INDEX, source_fingerprint
from svcmod.run.source import digest

DIRECTORY_NAME = ".svcmod_cache"
FORMAT = 4  # 2: an entry keeps the file's part of the project index; 3: and an authenticator;
# 4: a finding keeps its fix.edits (in the buckets of runs that make them: --format json)
#: A file modified this close to when its results were recorded is checked by content, not stat.
RACY_SECONDS = 2.0
#: Buckets and entries unused this long are deleted.
STALE_DAYS = 30

#: What a CACHEDIR.TAG written by svcmod says, and so what marks a directory as svcmod's own.
OWNER_MARK = "# This file is a cache directory tag created by svcmod.\n"
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                + OWNER_MARK +
                "# For information about cache directory tags see https://bford.info/cachedir/\n")

#: (mtime_ns, size, content digest) of the bytes that were checked.
Stamp = Tuple[int, int, str]

#: The names of the files the clean-up may delete: bucket files, named ``svcmod-<key>.json`` (earlier
#: versions named them by the bare key, in directories they had tagged as svcmod's).
BUCKET_FILE = re.compile(r"(?:svcmod-)?[0-9a-f]{24}\.json")


class CacheDirectoryError(ConfigError):
    """The cache directory cannot be svcmod's own: using it could delete files svcmod did not write."""


_FINDING_FIELDS = tuple(f.name for f in fields(Finding) if f.name not in ("filename", "project"))


def cache_directory(explicit: Optional[Path], config: Config) -> Path:
    """Where the cache of a run lives: ``--cache-dir``, else config ``cache-dir``, else the root of
    the configuration file that applies (the working directory when there is none)."""
    if explicit is not None:
        return explicit
    if config.cache_dir:
        return (config.root / config.cache_dir) if config.path else Path(config.cache_dir)
    return (config.root if config.path else Path.cwd()) / DIRECTORY_NAME


def code_directories(rules: Sequence[Any]) -> Tuple[str, ...]:
    """The directories whose source computes results: the engine's modules, the built-in rules and
    codemods (rules share helper modules, e.g. retry patterns) and the directory of each rule's
    module (third-party packs)."""
    import svcmod.codemods
    import svcmod.lint_rules
    directories = {os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # all of svcmod/
                   *svcmod.lint_rules.__path__, *svcmod.codemods.__path__}
    for rule in rules:
        module = sys.modules.get(rule.__module__)
        filename = getattr(module, "__file__", None)
        if filename:
            directories.add(os.path.dirname(os.path.abspath(filename)))
    return tuple(sorted(directories))


def code_fingerprint(rules: Sequence[Any]) -> str:
    """A digest of every ``.py`` file in the ``code_directories`` of ``rules`` (once per process)."""
    return source_fingerprint(code_directories(rules))


def bucket_key(config: Config, rules: Sequence[Any], policy: FixPolicy,
               only_codes: Optional[Iterable[str]], fingerprint: Optional[str] = None,
               directory: Optional[Path] = None, fix_edits: bool = False) -> Tuple[str, str]:
    """(key, identity): the key changes with anything that changes results; the identity names
    the bucket's owner (config file and fix policy), so a superseded bucket can be pruned.

    ``rules``: the selected rule classes, or (with the ``fingerprint`` of their source, from
    svcmod.registry.index) their records."""
    policy_part = [policy.apply, policy.unsafe, sorted(policy.only) if policy.only is not None else None,
                   sorted(only_codes) if only_codes is not None else None, fix_edits]
    identity = json.dumps([str(config.path), config.select, config.extend_select, config.ignore, policy_part])
    where = os.path.realpath(directory) if directory is not None else None  # never shared across directories
    key_data = json.dumps([FORMAT, __version__, list(sys.version_info[:2]),
                           fingerprint or code_fingerprint(rules),
                           config.fingerprint(), [r.code for r in rules], identity, where])
    key = hashlib.sha256(key_data.encode()).hexdigest()[:24]
    return key, hashlib.sha256(identity.encode()).hexdigest()[:24]


class Bucket:
    """Results of one (configuration, rules, policy) combination, per absolute path."""

    def __init__(self, cache: "Cache", key: str, identity: str, fix_edits: bool = False) -> None:
        self.cache = cache
        self.fix_edits = fix_edits  # its findings carry their fix.edits
        self.key = key
        self.identity = identity
        self.path = cache.directory / f"svcmod-{key}.json"
        self.entries: Dict[str, list] = _load(self.path, key)
        self.touched: Dict[str, list] = {}
        self.changed = False

    def lookup(self, path: str, filename: str) -> Optional[FileResult]:
        """The stored results of ``path`` if the file has not changed since, else None."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        try:
            info = os.stat(path)
        except OSError:
            return None
        mtime, size, content_hash, trusted = entry[0], entry[1], entry[2], entry[3]
        if not (trusted and info.st_mtime_ns == mtime and info.st_size == size):
            if info.st_size != size:
                return None
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                return None
            if digest(data) != content_hash:
                return None
            entry = self._entry((info.st_mtime_ns, info.st_size, content_hash), entry[4:])
            self.changed = True
        elif entry[-1] != _today():
            entry = entry[:-1] + [_today()]
            self.changed = True
        self.touched[path] = entry
        return _result(filename, entry)

    def store(self, path: str, stamp: Stamp, result: FileResult) -> None:
        if result.fixed is not None or result.written or result.edits:
            return  # only results that a later run with the same policy would reproduce unchanged
        if any(f.code == "SVC902" for f in result.findings):
            return  # a refused write depends on the moment, not on the file
        findings = [[getattr(f, name) for name in _FINDING_FIELDS] for f in result.findings]
        self.touched[path] = self._entry(stamp, [result.lines, result.parsed, result.skipped, findings,
                                                       result.index, 0])
        self.changed = True

    def _entry(self, stamp: Stamp, rest: list) -> list:
        mtime, size, content_hash = stamp
        trusted = (time.time_ns() - mtime) > RACY_SECONDS * 1e9
        rest = list(rest)
        rest[-1] = _today()  # day of last use, for pruning
        return [mtime, size, content_hash, trusted] + rest

    def save(self) -> None:
        if not self.changed:
            return  # nothing new: a warm run writes nothing
        merged = _load(self.path, self.key)  # what another process may have written since we read it
        today = _today()
        for path, entry in list(merged.items()):
            if path not in self.touched and (today - entry[-1] > STALE_DAYS or not os.path.exists(path)):
                del merged[path]
        merged.update(self.touched)
        signed = {path: entry + [_authenticator(self.key, path, entry)] for path, entry in merged.items()}
        _write_atomic(self.path, json.dumps({"format": FORMAT, "identity": self.identity,
                                             "files": signed}, separators=(",", ":")).encode())


class Cache:
    """The cache directory: its buckets, created on first use with CACHEDIR.TAG and .gitignore.

    Raises CacheDirectoryError when ``directory`` exists and is not a cache svcmod created."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.buckets: Dict[str, Bucket] = {}
        self.rule_index: Optional[bytes] = None  # svcmod.registry.index's record, to write on save
        problem = ownership_problem(directory)
        if problem is not None:
            raise CacheDirectoryError(f"{directory}: {problem}; choose another --cache-dir "
                                      "(or cache-dir = in the configuration), or run with --no-cache")

    def bucket(self, config: Config, rules: Sequence[Any], policy: FixPolicy,
               only_codes: Optional[Iterable[str]], fingerprint: Optional[str] = None,
               fix_edits: bool = False) -> Bucket:
        key, identity = bucket_key(config, rules, policy, only_codes, fingerprint, self.directory, fix_edits)
        found = self.buckets.get(key)
        if found is None:
            found = self.buckets[key] = Bucket(self, key, identity, fix_edits)
        return found

    def save(self) -> None:
        """Write what this run learned; prune superseded and stale buckets. Never raises: a cache
        that cannot be written only makes the next run slower."""
        try:
            if not self._create():
                return
            for bucket in self.buckets.values():
                bucket.save()
            if self.rule_index is not None:
                _write_atomic(self.directory / RULE_INDEX, self.rule_index)
            self._prune()
        except OSError:
            pass

    def _create(self) -> bool:
        """Make the directory svcmod's own if it does not exist; False if it is not ours (it may
        have appeared, or changed, since the run started)."""
        try:
            self.directory.mkdir(parents=True)
        except FileExistsError:
            return ownership_problem(self.directory) is None
        for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "# created by svcmod\n*\n")):
            _write_atomic(self.directory / name, text.encode())
        return True

    def _prune(self) -> None:
        current = {b.path.name for b in self.buckets.values()}
        identities = {b.identity for b in self.buckets.values()}
        cutoff = time.time() - STALE_DAYS * 86400
        with os.scandir(self.directory) as entries:
            candidates = [e for e in entries if BUCKET_FILE.fullmatch(e.name) and e.name not in current]
        for candidate in candidates:
            try:
                info = candidate.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    continue  # a bucket file is always a regular file: this one is not ours
                if info.st_mtime < cutoff:
                    os.unlink(candidate.path)
                    continue
                with open(candidate.path, "rb") as handle:
                    head = handle.read(200)
            except OSError:
                continue
            # a bucket of the same config and policy with another key was made by older rules or
            # settings: it can never be used again
            if any(f'"identity":"{identity}"'.encode() in head for identity in identities):
                try:
                    os.unlink(candidate.path)
                except OSError:
                    pass


def ownership_problem(directory: Path) -> Optional[str]:
    """Why ``directory`` is not a cache svcmod may write and clean up, or None if it is (or does
    not exist yet, and so will be made by svcmod)."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return None
    except OSError:
        return None  # e.g. a parent is a file: the cache cannot be written, which only costs speed
    if stat.S_ISLNK(info.st_mode):
        return "the cache directory is a symbolic link, and svcmod writes and deletes only in a directory of its own"
    if not stat.S_ISDIR(info.st_mode):
        return "exists and is not a directory"
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(directory / "CACHEDIR.TAG", flags)
        with os.fdopen(fd, "rb") as handle:
            tag = handle.read(4096)
    except OSError:
        tag = b""
    if OWNER_MARK.encode() not in tag:
        return ("exists and was not created by svcmod (no CACHEDIR.TAG of svcmod's in it), and svcmod "
                "deletes old cache files in its cache directory")
    return None


def _today() -> int:
    return int(time.time() // 86400)


def _load(path: Path, key: str) -> Dict[str, list]:
    """The entries of a bucket file that svcmod wrote for this user: any other entry is left out."""
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
        return {}
    entries = {}
    for name, entry in data["files"].items():
        if (isinstance(name, str) and isinstance(entry, list) and len(entry) == 11 and isinstance(entry[10], str)
                and hmac.compare_digest(entry[10], _authenticator(key, name, entry[:10])) and _well_formed(entry)):
            entries[name] = entry[:10]
    return entries


#: A rule code as svcmod's rules and plugins have them; anything else in a cache entry is planted.
_ENTRY_CODE = re.compile(r"[A-Z]{1,4}[0-9]{1,4}")
#: Terminal control characters (ANSI escapes start with ESC) have no place in a stored finding.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _well_formed(entry: list) -> bool:
    """Exactly the shape ``Bucket.store`` writes: a bad entry is a miss, never a crash."""
    mtime, size, content_hash, trusted, lines, parsed, skipped, findings, _index, day = entry[:10]
    if not (_whole(mtime) and _whole(size) and isinstance(content_hash, str) and isinstance(trusted, bool)
            and _whole(lines) and isinstance(parsed, bool) and (skipped is None or _text(skipped))
            and _whole(day) and isinstance(findings, list)):
        return False
    for values in findings:
        if not isinstance(values, list) or len(values) != len(_FINDING_FIELDS):
            return False
        row = dict(zip(_FINDING_FIELDS, values))
        if not (isinstance(row["code"], str) and _ENTRY_CODE.fullmatch(row["code"])
                and all(_text(row[k]) for k in ("name", "message", "source_line"))
                and all(_whole(row[k]) for k in ("line", "column", "end_line", "end_column"))
                and row["fix_applicability"] in (None, "safe", "unsafe")
                and (row["fix_message"] is None or _text(row["fix_message"]))
                and (row["fix_edits"] is None or _well_formed_edits(row["fix_edits"]))):
            return False
    return True


def _well_formed_edits(edits: Any) -> bool:
    """A finding's fix.edits as svcmod.run.fix_edits makes them: content (any text: it is code, and
    is written to JSON escaped), location and end location."""
    if not isinstance(edits, list):
        return False
    for edit in edits:
        if not (isinstance(edit, dict) and set(edit) == {"content", "location", "end_location"}
                and isinstance(edit["content"], str) and len(edit["content"]) < 10_000_000):
            return False
        for place in (edit["location"], edit["end_location"]):
            if not (isinstance(place, dict) and set(place) == {"row", "column"}
                    and _whole(place["row"]) and _whole(place["column"])):
                return False
    return True


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 63


def _text(value: Any) -> bool:
    return isinstance(value, str) and len(value) < 100_000 and not _CONTROL.search(value)


def _authenticator(key: str, path: str, entry: list) -> str:
    """HMAC of an entry (without its day of last use, the last item, which changes) under the user's key."""
    return sign(json.dumps([key, path, entry[:-1]], separators=(",", ":")).encode("utf-8", "surrogateescape"))


def _result(filename: str, entry: List[Any]) -> FileResult:
    lines, parsed, skipped, findings = entry[4], entry[5], entry[6], entry[7]
    index = entry[8] if isinstance(entry[8], dict) else None
    result = FileResult(filename, lines=lines, parsed=parsed, skipped=skipped, index=index)
    result.findings = [Finding(filename=filename, **dict(zip(_FINDING_FIELDS, values))) for values in findings]
    return result


def _write_atomic(target: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=str(target.parent))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise

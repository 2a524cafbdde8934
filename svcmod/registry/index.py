"""A record of the installed rules' codes and options, so a run whose files are all cached need not import them.

Importing the rules means importing LibCST (about half a second). A warm run needs of them only what
validates the configuration (codes, option names, types and choices) and what keys the cache (the
codes and a digest of their source). The first run that imports the rules records that in
``rules-index.json`` next to the cache's buckets; a later run uses the record only when it is
provably current: same svcmod and Python version, same ``svcmod.rules`` entry points, and the same
digest of every source file in the directories the rules were loaded from (so editing, adding or
removing a rule, or installing another pack, makes it stale, and the rules are imported again).

The record sits in a directory that may have been committed, copied or planted, and it decides
which codes and options are valid and which modules the rules look for. So it is trusted only if
it carries an HMAC under the user's own key (svcmod.project.user_key, as the cache's entries do)
and has exactly the shape ``record`` writes; anything else is ignored and the rules are imported
(the next run that saves the cache writes a new record).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from svcmod import __version__
from svcmod.project.user_key import sign, signed
from svcmod.settings import Setting

FILE_NAME = "rules-index.json"
FORMAT = 3  # 3: signed with the user's key
#: Larger than any record of real rules: a bigger file is not read.
MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class FastPathRecord:
    """The modules a rule's fast path looks for (what the project index follows)."""

    imports: Tuple[str, ...]
    part_imports: Tuple[str, ...]


@dataclass(frozen=True)
class RuleRecord:
    """What the run needs of a rule class without importing it: the same ``code``, ``options`` (a
    default of the same kind as the real one), ``choices`` and ``fast_path`` (its modules) attributes."""

    code: str
    options: Mapping[str, Any]
    choices: Mapping[str, Sequence[Any]]
    fast_path: FastPathRecord


@dataclass(frozen=True)
class RuleIndex:
    rules: Tuple[RuleRecord, ...]
    fingerprint: str  # the digest of the rules' source, as svcmod.run.cache keys buckets with it


_FINGERPRINTS: Dict[Tuple[str, ...], str] = {}


def source_fingerprint(directories: Iterable[str]) -> str:
    """A digest of every ``.py`` file under ``directories`` (their paths and bytes); computed once
    per process, which also imports each rule once."""
    key = tuple(sorted(set(directories)))
    found = _FINGERPRINTS.get(key)
    if found is None:
        found = _FINGERPRINTS[key] = _digest_sources(key)
    return found


def _digest_sources(directories: Tuple[str, ...]) -> str:
    files = []
    for directory in directories:
        for root, dirs, names in os.walk(directory):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            files.extend(os.path.join(root, n) for n in names if n.endswith(".py"))
    hasher = hashlib.blake2b(digest_size=16)
    for path in sorted(set(files)):
        try:
            with open(path, "rb") as handle:
                hasher.update(path.encode("utf-8", "surrogateescape") + b"\0" + handle.read() + b"\0")
        except OSError:
            hasher.update(path.encode("utf-8", "surrogateescape") + b"\0missing\0")
    return hasher.hexdigest()


def _environment() -> list:
    """What decides which rules are installed, apart from their source."""
    from svcmod.registry.rules import entry_points
    points = sorted([entry.name, entry.value, _distribution(entry)] for entry in entry_points("svcmod.rules"))
    return [FORMAT, __version__, list(sys.version_info[:2]), points]


def _distribution(entry: Any) -> List[str]:
    dist = getattr(entry, "dist", None)
    if dist is None:
        return []
    return [str(dist.metadata["Name"]), str(dist.version), str(dist.locate_file(""))]


def _stand_in(default: Any) -> Any:
    """A JSON value of the kind of ``default`` that svcmod.registry.rules validates alike."""
    if isinstance(default, Setting) or (isinstance(default, (int, float)) and not isinstance(default, bool)):
        return 1.0
    if isinstance(default, (bool, str)):
        return default
    if isinstance(default, (list, tuple)):
        return []
    return None


def load(directory: str) -> Optional[RuleIndex]:
    """The record in ``directory`` if this user's svcmod wrote it, unchanged, and it is current;
    else None (then the rules must be imported)."""
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(os.path.join(directory, FILE_NAME), flags)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None  # a FIFO or device planted under the name: never read
            signed_data = json.loads(handle.read(MAX_BYTES + 1))
        body = signed_data["record"]
        if not (isinstance(body, str) and signed(body.encode(), signed_data["signature"])):
            return None
        data = json.loads(body)
        if not _well_formed(data) or data["environment"] != _environment():
            return None
        fingerprint = source_fingerprint(data["directories"])
        if fingerprint != data["fingerprint"]:
            return None
        rules = tuple(RuleRecord(code, dict(options), {k: list(v) for k, v in choices.items()},
                                 FastPathRecord(tuple(imports), tuple(part_imports)))
                      for code, options, choices, imports, part_imports in data["rules"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    return RuleIndex(rules, fingerprint)


#: A rule code as the registry accepts it.
_CODE = re.compile(r"[A-Z]{1,4}[0-9]{1,4}")


def _well_formed(data: Any) -> bool:
    """Exactly the shape ``record`` writes (checked even though signed: a bad record is ignored,
    never a crash)."""
    if not (isinstance(data, dict) and set(data) == {"environment", "directories", "fingerprint", "rules"}
            and isinstance(data["fingerprint"], str) and isinstance(data["directories"], list)
            and all(isinstance(d, str) and os.path.isabs(d) and "\0" not in d for d in data["directories"])
            and isinstance(data["rules"], list)):
        return False
    for entry in data["rules"]:
        if not (isinstance(entry, list) and len(entry) == 5):
            return False
        code, options, choices, imports, part_imports = entry
        if not (isinstance(code, str) and _CODE.fullmatch(code) and isinstance(options, dict)
                and all(isinstance(k, str) and _plain(v) for k, v in options.items())
                and isinstance(choices, dict)
                and all(isinstance(k, str) and isinstance(v, list) and all(map(_plain, v)) for k, v in choices.items())
                and _names(imports) and _names(part_imports)):
            return False
    return True


def _plain(value: Any) -> bool:
    """A JSON scalar or a list of them: what ``_stand_in`` and rule choices are."""
    if isinstance(value, list):
        return all(v is None or isinstance(v, (bool, int, float, str)) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def record(rules: Sequence[Any], directories: Sequence[str], fingerprint: str) -> Optional[bytes]:
    """The bytes of ``rules-index.json`` for the imported ``rules`` (classes), or None when a rule's
    choices are not plain JSON values (then warm runs import the rules, as before)."""
    entries = []
    for rule in rules:
        options: Dict[str, Any] = {key: _stand_in(value) for key, value in rule.options.items()}
        choices = {key: list(values) for key, values in rule.choices.items()}
        fast_path = rule.fast_path
        entries.append([rule.code, options, choices, list(fast_path.imports), list(fast_path.part_imports)])
    try:
        text = json.dumps({"environment": _environment(), "directories": sorted(directories),
                           "fingerprint": fingerprint, "rules": entries})
    except (TypeError, ValueError):
        return None
    if json.loads(text)["rules"] != entries or not _well_formed(json.loads(text)):
        return None  # e.g. a tuple among the choices would come back as a list: not the same rule
    return json.dumps({"record": text, "signature": sign(text.encode())}).encode()

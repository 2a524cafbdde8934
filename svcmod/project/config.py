"""``[tool.svcmod]`` configuration: finding the file that applies, validating it, selecting rules."""
from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from svcmod.settings import SETTINGS

CONFIG_FILES = ("svcmod.toml", "pyproject.toml")
#: black's and ruff's default, for a project whose configuration does not say.
DEFAULT_LINE_LENGTH = 88


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


# key -> (expected type(s), description of what is expected)
_KEYS: Dict[str, Tuple[tuple, str]] = {
    "extend": ((str,), "a path to another configuration file"),
    "select": ((list,), "a list of rule codes or prefixes"),
    "extend-select": ((list,), "a list of rule codes or prefixes"),
    "ignore": ((list,), "a list of rule codes or prefixes"),
    "extend-ignore": ((list,), "a list of rule codes or prefixes"),
    "fixable": ((list,), "a list of rule codes or prefixes"),
    "unfixable": ((list,), "a list of rule codes or prefixes"),
    "exclude": ((list,), "a list of gitignore-style patterns"),
    "extend-exclude": ((list,), "a list of gitignore-style patterns"),
    "per-file-ignores": ((dict,), "a table of pattern = [codes]"),
    "default-timeout": ((int, float), "a number of seconds"),
    "max-attempts": ((int,), "a whole number of attempts"),
    "backoff-max": ((int, float), "a number of seconds"),
    "jitter": ((int, float), "a number of seconds"),
    "connect-timeout": ((int, float), "a number of seconds"),
    "subprocess-timeout": ((int, float), "a number of seconds"),
    "max-file-size": ((int,), "a size in bytes"),
    "check-generated": ((bool,), "true or false"),
    "respect-gitignore": ((bool,), "true or false"),
    "projects": ((list,), "a list of glob patterns of project directories"),
    "rules": ((dict,), "a table of rule code = table of options"),
    "deprecations": ((list,), "an array of tables ([[tool.svcmod.deprecations]])"),
    "clients": ((list,), "an array of tables ([[tool.svcmod.clients]])"),
    "migrations": ((dict,), "a table of migration name = table"),
    "cache-dir": ((str,), "a directory path"),
    "check-time-limit": ((int, float), "a number of seconds"),
    "check-memory-limit": ((int,), "a number of MiB"),
    "target-version": ((str,), "the project's lowest Python version, named as ruff names it ('py39')"),
}

#: Largest ``max-file-size``: LibCST needs about 2,000 times a file's size in memory to parse it.
MAX_FILE_SIZE_LIMIT = 64 * 1024 * 1024
#: Bounds of the per-file limits (``check-time-limit`` seconds, ``check-memory-limit`` MiB).
MAX_TIME_LIMIT = 24 * 3600
MAX_MEMORY_LIMIT = 1024 * 1024
#: How many ``extend`` hops a configuration may take (a longer chain is a mistake, or an attack).
MAX_EXTEND_DEPTH = 32
#: Keys whose strings are paths or path patterns, and so may not hold a NUL byte.
_PATH_KEYS = ("extend", "cache-dir", "exclude", "extend-exclude", "projects", "per-file-ignores")

_CODE = re.compile(r"^[A-Z]{1,3}[0-9]{0,3}$")


def did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=3)
    if not close:
        return ""
    # codes often tie on similarity (SVC1O1 is as close to SVC311 as to SVC101): among the best,
    # prefer the one that differs from the word in the fewest places
    def distance(candidate: str):
        ratio = round(difflib.SequenceMatcher(None, word, candidate).ratio(), 6)
        differing = sum(a != b for a, b in zip(word, candidate)) + abs(len(word) - len(candidate))
        return (-ratio, differing)
    return f" (did you mean '{min(close, key=distance)}'?)"


@dataclass
class Config:
    """The settings that apply to the files below one configuration file."""

    path: Optional[Path] = None  # the file it was read from; None for defaults
    root: Path = field(default_factory=Path.cwd)  # the directory patterns are relative to
    select: Tuple[str, ...] = ("SVC",)
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    fixable: Tuple[str, ...] = ("SVC",)
    unfixable: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = ()
    extend_exclude: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    settings: Dict[str, Any] = field(default_factory=lambda: dict(SETTINGS))
    max_file_size: int = 2_000_000
    check_generated: bool = False
    respect_gitignore: bool = True
    projects: Tuple[str, ...] = ()
    rule_options: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    deprecations: Tuple[Mapping[str, Any], ...] = ()
    #: in-house objects that behave as a library's: ``{"name": "acme.web.Request.http", "like": "requests.Session"}``
    clients: Tuple[Mapping[str, str], ...] = ()
    migrations: Dict[str, Mapping[str, Any]] = field(default_factory=dict)
    cache_dir: Optional[str] = None
    check_time_limit: float = 60.0  # seconds one file may take before it is reported as not checked
    check_memory_limit: int = 2048  # MiB of memory one file may take, above what a worker holds at start
    #: The project's line length, from its ruff, black or flake8 settings: fixes keep to it.
    line_length: int = DEFAULT_LINE_LENGTH
    #: ``[tool.svcmod] target-version`` as written ("py39"); None: take the project's own (below).
    declared_target_version: Optional[str] = None
    #: The lowest Python the project runs on, ``(3, 9)``: the declared one, else ruff's
    #: ``target-version``, else the lowest ``requires-python`` admits; None when nothing says.
    #: Fixes use no syntax older versions reject (parenthesised ``with`` items need 3.9).
    target_version: Optional[Tuple[int, int]] = None

    def fingerprint(self) -> str:
        """A stable digest of every setting that can change results (for the cache)."""
        data = {k: v for k, v in self.__dict__.items() if k not in ("path", "root")}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def with_cli(self, select: Sequence[str] = (), extend_select: Sequence[str] = (),
                 ignore: Sequence[str] = ()) -> "Config":
        """This configuration with command-line selections on top (they win, as in ruff)."""
        from dataclasses import replace
        changes: Dict[str, Any] = {}
        if select:
            changes["select"] = tuple(select)
            changes["extend_select"] = ()
        if extend_select:
            changes["extend_select"] = self.extend_select + tuple(extend_select)
        if ignore:
            changes["ignore"] = self.ignore + tuple(ignore)
        return replace(self, **changes) if changes else self


def _matches(code: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector that is a prefix of ``code`` (0: none)."""
    best = 0
    for selector in selectors:
        if selector == "ALL":
            best = max(best, 1)
        elif code.startswith(selector):
            best = max(best, len(selector) + 1)
    return best


def is_selected(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """As ruff: the more specific of a select and an ignore prefix wins; a tie goes to ignore."""
    chosen = _matches(code, select)
    return chosen > 0 and chosen > _matches(code, ignore)


def check_codes(codes: Iterable[str], known: Iterable[str], where: str) -> None:
    """Every selector must be a prefix of some known code (or ``ALL``)."""
    known = list(known)
    for code in codes:
        if code == "ALL":
            continue
        if not isinstance(code, str) or not _CODE.match(code) or not any(k.startswith(code) for k in known):
            raise ConfigError(f"{where}: unknown rule code or prefix '{code}'{did_you_mean(str(code), known)}")


def read_toml(path: Path) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None


def section_of(path: Path, data: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        if not isinstance(tool, dict):
            return None
        return tool.get("svcmod")
    return data.get("tool", {}).get("svcmod", data) if "tool" in data else data


def load_config(path: Path, known_codes: Optional[Iterable[str]] = None, _seen: Tuple[Path, ...] = ()) -> Config:
    """Read and validate the svcmod section of ``path`` (``extend`` chains followed)."""
    path = path.resolve()
    if path in _seen:
        raise ConfigError(f"{path}: 'extend' makes a cycle")
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    section = section_of(path, read_toml(path))
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.svcmod] must be a table")
    where = lambda key: f"{path}: [tool.svcmod] {key}"  # noqa: E731
    for key, value in section.items():
        if key not in _KEYS:
            raise ConfigError(f"{path}: unknown key '{key}' in [tool.svcmod]{did_you_mean(key, _KEYS)}")
        types, expected = _KEYS[key]
        if isinstance(value, bool) and bool not in types:
            raise ConfigError(f"{where(key)}: expected {expected}, got {value!r}")
        if not isinstance(value, types):
            raise ConfigError(f"{where(key)}: expected {expected}, got {type(value).__name__} {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{where(key)}: expected {expected}, got {value!r} (not a finite number)")
        if key in _PATH_KEYS and _holds_nul(value):
            raise ConfigError(f"{where(key)}: a path cannot contain a NUL character (\\u0000)")
    if "extend" in section:
        if len(_seen) >= MAX_EXTEND_DEPTH:
            raise ConfigError(f"{where('extend')}: more than {MAX_EXTEND_DEPTH} configuration files "
                              f"extend one another")
        base = load_config((path.parent / section["extend"]), known_codes, _seen + (path,))
    else:
        base = Config()
    config = Config(**{k: v for k, v in base.__dict__.items()})
    config.path = path
    config.root = path.parent
    config.settings = dict(base.settings)
    config.rule_options = {k: dict(v) for k, v in base.rule_options.items()}
    config.migrations = dict(base.migrations)

    def codes(key: str) -> Tuple[str, ...]:
        value = section[key]
        for item in value:
            if not isinstance(item, str):
                raise ConfigError(f"{where(key)}: expected rule codes as strings, got {item!r}")
        return tuple(value)

    def strings(key: str) -> Tuple[str, ...]:
        value = section[key]
        for item in value:
            if not isinstance(item, str):
                raise ConfigError(f"{where(key)}: expected strings, got {item!r}")
        return tuple(value)

    if "select" in section:
        config.select = codes("select")
        config.extend_select = ()
    if "extend-select" in section:
        config.extend_select = config.extend_select + codes("extend-select")
    if "ignore" in section:
        config.ignore = codes("ignore")
    if "extend-ignore" in section:
        config.ignore = config.ignore + codes("extend-ignore")
    if "fixable" in section:
        config.fixable = codes("fixable")
    if "unfixable" in section:
        config.unfixable = codes("unfixable")
    if "exclude" in section:
        config.exclude = strings("exclude")
    if "extend-exclude" in section:
        config.extend_exclude = config.extend_exclude + strings("extend-exclude")
    if "projects" in section:
        config.projects = strings("projects")
    if "per-file-ignores" in section:
        entries = []
        for pattern, value in section["per-file-ignores"].items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where('per-file-ignores')}.\"{pattern}\": expected a list of rule codes")
            entries.append((pattern, tuple(value)))
        config.per_file_ignores = tuple(entries)
    for key in SETTINGS:
        if key in section:
            value = section[key]
            if value <= 0:
                raise ConfigError(f"{where(key)}: expected a positive number, got {value!r}")
            config.settings[key] = value
    if "max-file-size" in section:
        config.max_file_size = _bounded(section["max-file-size"], 1, MAX_FILE_SIZE_LIMIT, where("max-file-size"))
    if "check-time-limit" in section:
        config.check_time_limit = _bounded(section["check-time-limit"], 0, MAX_TIME_LIMIT, where("check-time-limit"),
                                           above_low=True)
    if "check-memory-limit" in section:
        config.check_memory_limit = _bounded(section["check-memory-limit"], 1, MAX_MEMORY_LIMIT,
                                             where("check-memory-limit"))
    if "target-version" in section:
        config.declared_target_version = section["target-version"]
        if python_version(section["target-version"]) is None:
            raise ConfigError(f"{where('target-version')}: expected a Python version named as ruff names it "
                              f"('py38', 'py39', ...), got {section['target-version']!r}")
        config.target_version = python_version(section["target-version"])
    if "check-generated" in section:
        config.check_generated = section["check-generated"]
    if "respect-gitignore" in section:
        config.respect_gitignore = section["respect-gitignore"]
    if "cache-dir" in section:
        config.cache_dir = str((path.parent / section["cache-dir"]))
    if "rules" in section:
        for code, options in section["rules"].items():
            if not isinstance(options, dict):
                raise ConfigError(f"{where('rules')}.{code}: expected a table of options")
            config.rule_options.setdefault(code, {}).update(options)
    if "deprecations" in section:
        entries = []
        for index, entry in enumerate(section["deprecations"]):
            if not isinstance(entry, dict):
                raise ConfigError(f"{where('deprecations')}[{index}]: expected a table")
            entries.append(dict(entry, __source__=f"{path}: [[tool.svcmod.deprecations]] #{index + 1}"))
        config.deprecations = base.deprecations + tuple(entries)
    if "clients" in section:
        config.clients = base.clients + tuple(_clients(section["clients"], path))
    if "migrations" in section:
        for name, value in section["migrations"].items():
            if not isinstance(value, dict):
                raise ConfigError(f"{where('migrations')}.{name}: expected a table")
            config.migrations[name] = dict(value, __source__=str(path))
    return config


_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_CLIENT_KEYS = ("name", "like")


def _clients(entries: list, path: Path) -> List[Dict[str, str]]:
    """``[[tool.svcmod.clients]]``: each a ``name`` (an attribute, a function whose return value or
    a class whose instances are meant) and what it is ``like`` (``requests.Session``,
    ``tenacity.retry``), both dotted names."""
    found = []
    for number, entry in enumerate(entries, 1):
        where = f"{path}: [[tool.svcmod.clients]] #{number}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a table with keys 'name' and 'like'")
        for key in entry:
            if key not in _CLIENT_KEYS:
                raise ConfigError(f"{where}: unknown key '{key}'{did_you_mean(key, _CLIENT_KEYS)}")
        for key in _CLIENT_KEYS:
            value = entry.get(key)
            if value is None:
                raise ConfigError(f"{where}: missing key '{key}'")
            if not isinstance(value, str) or not _DOTTED.fullmatch(value) or "." not in value:
                raise ConfigError(f"{where}: key '{key}': expected a qualified name such as "
                                  f"'{'acme.web.Request.http' if key == 'name' else 'requests.Session'}', got {value!r}")
        found.append({"name": entry["name"], "like": entry["like"]})
    return found


def _holds_nul(value: Any) -> bool:
    """Whether a string, or a string inside a list or table (keys too), holds a NUL character."""
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _bounded(value: Any, low: float, high: float, where: str, above_low: bool = False) -> Any:
    """``value`` if it lies in [low, high] (``above_low``: (low, high]), else a ConfigError naming the key."""
    if value > high or value < low or (above_low and value == low):
        low_text = f"more than {low}" if above_low else f"at least {low}"
        raise ConfigError(f"{where}: expected {low_text} and at most {high:,}, got {value!r}")
    return value


def has_section(path: Path) -> bool:
    """True when ``path`` is a config file svcmod should use (pyproject.toml needs [tool.svcmod])."""
    if path.name == "svcmod.toml":
        return True
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return False
    if b"tool.svcmod" not in raw:
        return False
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return True  # let load_config report the error with the file named
    return section_of(path, data) is not None


def _toml_in(directory: Path, name: str) -> Dict[str, Any]:
    """The TOML file ``name`` of ``directory`` as read by the tools that own it (ruff, black,
    packaging); missing, unreadable or unparsable: empty (those tools report it, not svcmod)."""
    candidate = directory / name
    if not candidate.is_file():
        return {}
    try:
        with open(candidate, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def line_length_in(directory: Path) -> Optional[int]:
    """The line length a project states in ``directory``: ruff's ``line-length`` (ruff.toml,
    .ruff.toml, ``[tool.ruff]``), else black's ``[tool.black] line-length``, else flake8's
    ``max-line-length`` (setup.cfg, tox.ini, .flake8); None when none is set there. A file that
    cannot be read or parsed states nothing (those tools report it, not svcmod)."""
    import configparser

    def toml(name: str) -> Dict[str, Any]:
        return _toml_in(directory, name)

    def positive(value: Any) -> Optional[int]:
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None

    pyproject = toml("pyproject.toml").get("tool", {})
    found = [toml("ruff.toml").get("line-length"), toml(".ruff.toml").get("line-length"),
             pyproject.get("ruff", {}).get("line-length"), pyproject.get("black", {}).get("line-length")]
    for value in found:
        if positive(value):
            return value
    for name in ("setup.cfg", "tox.ini", ".flake8"):
        candidate = directory / name
        if not candidate.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(candidate, encoding="utf-8")
            text = parser.get("flake8", "max-line-length", fallback=None) \
                or parser.get("flake8", "max_line_length", fallback=None)
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        if text is not None and text.strip().isdigit() and int(text) > 0:
            return int(text)
    return None


_RUFF_VERSION = re.compile(r"py3([0-9]{1,2})")


def python_version(name: Any) -> Optional[Tuple[int, int]]:
    """``(3, 9)`` for ruff's name ``"py39"``; None for anything else."""
    found = _RUFF_VERSION.fullmatch(name) if isinstance(name, str) else None
    return (3, int(found.group(1))) if found else None


def lowest_python(requires_python: Any) -> Optional[Tuple[int, int]]:
    """The lowest Python 3 minor version a ``requires-python`` specifier admits (any of its
    releases: ``>=3.8.1`` admits 3.8); None when it is not a valid specifier or admits none."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    if not isinstance(requires_python, str):
        return None
    try:
        specifiers = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return None
    for minor in range(0, 40):
        releases = [f"3.{minor}"] + [f"3.{minor}.{micro}" for micro in range(0, 30)]
        if any(specifiers.contains(release, prereleases=True) for release in releases):
            return (3, minor)
    return None


def target_version_in(directory: Path) -> Optional[Tuple[int, int]]:
    """The lowest Python a project states in ``directory``, as ruff reads it: its ``target-version``
    (ruff.toml, .ruff.toml, ``[tool.ruff]``), else ``[project] requires-python``; None when
    neither is set there. A file that cannot be read or parsed states nothing."""
    def toml(name: str) -> Dict[str, Any]:
        return _toml_in(directory, name)

    pyproject = toml("pyproject.toml")
    tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), dict) else {}
    ruff = tool.get("ruff") if isinstance(tool.get("ruff"), dict) else {}
    for value in (toml("ruff.toml").get("target-version"), toml(".ruff.toml").get("target-version"),
                  ruff.get("target-version")):
        if python_version(value) is not None:
            return python_version(value)
    project = pyproject.get("project") if isinstance(pyproject.get("project"), dict) else {}
    return lowest_python(project.get("requires-python"))


class ConfigFinder:
    """Nearest configuration file above each checked file, each read once."""

    def __init__(self, explicit: Optional[Path] = None, fallback: Optional[Config] = None) -> None:
        self.explicit = load_config(explicit) if explicit is not None else None
        self.fallback = fallback or Config()
        self._by_dir: Dict[Path, Config] = {}
        self._by_file: Dict[Path, Config] = {}
        self._by_written_dir: Dict[str, Config] = {}
        self._line_length: Dict[Path, int] = {}
        self._target_version: Dict[Path, Optional[Tuple[int, int]]] = {}
        self._sized: Dict[Tuple[int, int, Optional[Tuple[int, int]]], Config] = {}

    def for_path(self, path: Path, is_dir: Optional[bool] = None) -> Config:
        """The configuration for ``path`` (``is_dir``: what it is, when the caller knows)."""
        if is_dir is None:
            is_dir = path.is_dir()
        directory = path if is_dir else path.parent
        # resolve() costs a system call per path component: once per directory as written, not per file
        key = str(directory)
        found = self._by_written_dir.get(key)
        if found is None:
            if self.explicit is not None:  # its settings, with the line length of where the file is
                found = self._with_line_length(self.explicit, directory.resolve())
            else:
                found = self.for_directory(directory.resolve())
            self._by_written_dir[key] = found
        return found

    def for_directory(self, directory: Path) -> Config:
        found = self._by_dir.get(directory)
        if found is not None:
            return found
        config = None
        for name in CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file() and has_section(candidate):
                config = self._by_file.get(candidate)
                if config is None:
                    config = load_config(candidate)
                    self._by_file[candidate] = config
                break
        if config is None:
            parent = directory.parent
            config = self.fallback if parent == directory else self.for_directory(parent)
        config = self._with_line_length(config, directory)
        self._by_dir[directory] = config
        return config

    def line_length(self, directory: Path) -> int:
        """The line length that applies in ``directory``: stated there or in a directory above."""
        found = self._line_length.get(directory)
        if found is None:
            stated = line_length_in(directory)
            parent = directory.parent
            if stated is not None:
                found = stated
            else:
                found = DEFAULT_LINE_LENGTH if parent == directory else self.line_length(parent)
            self._line_length[directory] = found
        return found

    def target_version(self, directory: Path) -> Optional[Tuple[int, int]]:
        """The lowest Python stated in ``directory`` or a directory above (None: nowhere)."""
        if directory in self._target_version:
            return self._target_version[directory]
        found = target_version_in(directory)
        parent = directory.parent
        if found is None and parent != directory:
            found = self.target_version(parent)
        self._target_version[directory] = found
        return found

    def _with_line_length(self, config: Config, directory: Path) -> Config:
        """``config`` with the line length and lowest Python of the project ``directory`` is in
        (a ``[tool.svcmod] target-version`` wins over the project's own)."""
        length = self.line_length(directory)
        target = python_version(config.declared_target_version) or self.target_version(directory)
        if config.line_length == length and config.target_version == target:
            return config
        key = (id(config), length, target)
        sized = self._sized.get(key)
        if sized is None:
            from dataclasses import replace
            sized = self._sized[key] = replace(config, line_length=length, target_version=target)
        return sized

    def all_configs(self) -> List[Config]:
        seen = list(self._by_file.values())
        if self.explicit is not None:
            seen.append(self.explicit)
        return seen

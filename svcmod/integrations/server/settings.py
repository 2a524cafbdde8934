"""The server's settings, from ``initializationOptions`` and ``workspace/didChangeConfiguration``."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, List, Mapping, Optional, Tuple

#: setting -> (field, what it must be); the names are the ones documented in the README.
_KEYS = {
    "enable": ("enable", bool),
    "select": ("select", list),
    "ignore": ("ignore", list),
    "unsafeFixes": ("unsafe_fixes", bool),
    "config": ("config", str),
    "logLevel": ("log_level", str),
    "lintDelay": ("lint_delay", (int, float)),
}
LOG_LEVELS = ("error", "warning", "info", "debug")


@dataclass(frozen=True)
class Settings:
    enable: bool = True
    select: Tuple[str, ...] = ()  # as --select: replaces the configuration's selection
    ignore: Tuple[str, ...] = ()  # as --ignore: added to the configuration's
    unsafe_fixes: bool = False  # fix-all applies unsafe fixes too (quick fixes always offer them)
    config: Optional[str] = None  # as --config: this file for every document
    log_level: str = "info"
    #: milliseconds: edits closer together than this are linted once, after the last of them
    lint_delay: float = 150

    def updated(self, raw: Any) -> Tuple["Settings", List[str]]:
        """These settings with those in ``raw`` on top, and what was wrong in it.

        Accepted shapes: ``{"svcmod": {...}}`` (VS Code, Neovim), ``{"settings": {...}}`` (ruff's
        initializationOptions), or the settings themselves; ``None`` or ``{}`` changes nothing.
        """
        if not isinstance(raw, Mapping):
            return self, ([] if raw is None else [f"settings: expected an object, got {type(raw).__name__}"])
        for wrapper in ("svcmod", "settings"):
            if isinstance(raw.get(wrapper), Mapping):
                raw = raw[wrapper]
                break
        changes: dict = {}
        problems: List[str] = []
        for key, value in raw.items():
            if key not in _KEYS:
                problems.append(f"settings: unknown setting '{key}' (known: {', '.join(_KEYS)})")
                continue
            name, expected = _KEYS[key]
            if value is None and name == "config":
                changes[name] = None
                continue
            if not isinstance(value, expected) or (expected != bool and isinstance(value, bool)):
                problems.append(f"settings: {key}: expected {_kind(expected)}, got {value!r}")
                continue
            if expected is list:
                if not all(isinstance(item, str) for item in value):
                    problems.append(f"settings: {key}: expected a list of rule codes, got {value!r}")
                    continue
                value = tuple(code.strip().upper() for item in value for code in item.split(",") if code.strip())
            if name == "log_level" and value not in LOG_LEVELS:
                problems.append(f"settings: logLevel: expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
                continue
            changes[name] = value
        return replace(self, **changes), problems

    def engine_key(self) -> tuple:
        """What, when it changes, needs the configurations and rules built again."""
        return (self.select, self.ignore, self.config)


def split_folders(raw: Any) -> Tuple[Any, Mapping[str, Any]]:
    """``raw`` without its ``folders`` (workspace folder URI or path -> that folder's settings),
    and those, in any shape ``Settings.updated`` accepts."""
    if not isinstance(raw, Mapping):
        return raw, {}
    inner = raw
    for wrapper in ("svcmod", "settings"):
        if isinstance(raw.get(wrapper), Mapping):
            inner = raw[wrapper]
            break
    folders = inner.get("folders")
    if not isinstance(folders, Mapping):
        return raw, {}
    return {key: value for key, value in inner.items() if key != "folders"}, folders


def _kind(expected: Any) -> str:
    if expected is bool:
        return "true or false"
    if expected is list:
        return "a list of rule codes"
    if expected is str:
        return "a string"
    return "a number"



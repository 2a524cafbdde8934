"""Project-wide settings that rule options default to, apart from the rule contract so that reading a
configuration does not load LibCST."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict


@dataclass(frozen=True)
class Setting:
    """A rule option whose default is a project-wide setting (``default-timeout``, ``max-attempts``…)."""

    key: str


#: Project-wide settings and their built-in defaults; rules refer to them with ``Setting(key)``.
SETTINGS: Dict[str, Any] = {
    "default-timeout": 10,
    "max-attempts": 5,
    "backoff-max": 30,
    "jitter": 1,
}

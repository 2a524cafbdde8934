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
#: Deadlines come per family: network calls (``default-timeout``), database connects
#: (``connect-timeout``, else ``default-timeout``) and subprocesses (``subprocess-timeout``: no
#: default, as no network default suits a process; SVC106 offers no fix until it is set).
SETTINGS: Dict[str, Any] = {
    "default-timeout": 10,
    "connect-timeout": None,
    "subprocess-timeout": None,
    "max-attempts": 5,
    "backoff-max": 30,
    "jitter": 1,
}
#: A setting left unset (None) takes the value of another one.
FALLBACKS: Dict[str, str] = {"connect-timeout": "default-timeout"}

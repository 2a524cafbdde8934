"""Which fixes a run applies: none, safe ones, or unsafe ones too, limited to some codes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Optional

from svcmod.project.config import Config, is_selected
from svcmod.results import UNSAFE


@dataclass(frozen=True)
class FixPolicy:
    """Which fixes to apply: none, safe ones, or unsafe ones too, limited to some codes."""

    apply: bool = False
    unsafe: bool = False
    only: Optional[FrozenSet[str]] = None  # a migration's own list of codes

    def allows(self, code: str, safety: str, config: Config) -> bool:
        if not self.apply:
            return False
        if safety == UNSAFE and not self.unsafe:
            return False
        if self.only is not None:
            return code in self.only
        return is_selected(code, config.fixable, config.unfixable)

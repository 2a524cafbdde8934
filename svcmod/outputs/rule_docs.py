"""Where a rule's documentation lives: the link in outputs (SARIF ``helpUri``, JSON ``url``)."""
from __future__ import annotations

import re
from typing import Optional, Type

from svcmod import HOMEPAGE, __version__
from svcmod.rule import Rule

#: The rule table of svcmod's README at this version; ``--rule-docs-url`` points elsewhere (in-house docs).
DEFAULT_TEMPLATE = HOMEPAGE + "/blob/v" + __version__ + "/README.md#rules"
_URL = re.compile(r"https?://[^\s)>\]]+")


def references_link(rule: Type[Rule]) -> Optional[str]:
    """The first link of the rule's ``References`` section, if any."""
    doc = rule.__doc__ or ""
    references = doc.split("## References", 1)
    if len(references) < 2:
        return None
    match = _URL.search(references[1])
    return match.group(0).rstrip(".,") if match else None


def rule_url(code: str, name: str, template: Optional[str] = None) -> str:
    """``template`` with ``{code}`` and ``{name}`` filled in; without one, svcmod's own rule table."""
    if template:
        return template.replace("{code}", code).replace("{name}", name)
    return DEFAULT_TEMPLATE

"""Where a rule's documentation lives: the link in outputs (SARIF ``helpUri``, JSON ``url``, the
language server's ``codeDescription``)."""
from __future__ import annotations

import re
from typing import Optional

from svcmod import HOMEPAGE, __version__

#: svcmod's own documentation at this version: README's rule table and sections. Every link is made
#: from ``svcmod.HOMEPAGE`` (which pyproject's [project.urls] repeat); ``--rule-docs-url`` points
#: elsewhere (in-house docs).
DOCS = HOMEPAGE + "/blob/v" + __version__ + "/README.md"
#: built-in rule families and engine codes: each has a row in README's rule table (or, SVC9xx, an
#: anchor beside it) whose id is the code in lower case
_OWN = re.compile(r"SVC[1239]\d\d")
#: the README section on declared deprecations, which SVC4xx codes are
DECLARED_ANCHOR = "declared-deprecations"
RULES_ANCHOR = "rules"


def anchor(code: str) -> str:
    """The id in README.md that ``code``'s link points to."""
    if _OWN.fullmatch(code):
        return code.lower()
    if re.fullmatch(r"SVC4\d\d", code):
        return DECLARED_ANCHOR
    return RULES_ANCHOR  # a plugin's rule: not in svcmod's table (--rule-docs-url links its pack's docs)


def rule_url(code: str, name: str, template: Optional[str] = None) -> str:
    """``template`` with ``{code}`` and ``{name}`` filled in; without one, the rule's place in
    svcmod's own documentation."""
    if template:
        return template.replace("{code}", code).replace("{name}", name)
    return f"{DOCS}#{anchor(code)}"

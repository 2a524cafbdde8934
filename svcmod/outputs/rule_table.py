"""The rule table of ``svcmod rules --format markdown``, and the README's copy of it kept current."""
from __future__ import annotations

from typing import Sequence, Type

from svcmod.outputs.rule_docs import anchor
from svcmod.rule import Rule

#: The README's table sits between these lines; what is between them is replaced, nothing else.
BEGIN = "<!-- rules:begin"
END = "<!-- rules:end -->"
COMMAND = "svcmod rules --format markdown --write README.md"


class NoPlaceForTable(ValueError):
    """The document lacks the marker lines that say where the table goes."""


def markdown_table(rules: Sequence[Type[Rule]]) -> str:
    """One row per rule: code, name, fix class (or ``report``), the first line of its docs."""
    lines = ["| code | name | fix | what it finds |", "|---|---|---|---|"]
    for rule in rules:
        summary = rule.summary().replace("|", "\\|")
        # the id is what outputs link to (``rule_docs.anchor``): one anchor per rule, as ruff has a page
        lines.append(f"| <a id=\"{anchor(rule.code)}\"></a>{rule.code} | `{rule.name}` | "
                     f"{rule.fix_safety or 'report'} | {summary} |")
    return "\n".join(lines) + "\n"


def with_table(document: str, table: str) -> str:
    """``document`` with the lines between its marker lines replaced by ``table``."""
    begin = document.find(BEGIN)
    end = document.find(END)
    if begin < 0 or end < 0:
        raise NoPlaceForTable(f"no '{BEGIN} -->' and '{END}' lines to put the rule table between")
    start = document.find("\n", begin)
    if start < 0 or start >= end:
        raise NoPlaceForTable(f"'{END}' must be on a line after '{BEGIN} -->'")
    return document[:start + 1] + table + document[end:]


def table_in(document: str) -> str:
    """The table currently between the marker lines of ``document``."""
    begin = document.find(BEGIN)
    end = document.find(END)
    if begin < 0 or end < 0:
        raise NoPlaceForTable(f"no '{BEGIN} -->' and '{END}' lines to put the rule table between")
    return document[document.find("\n", begin) + 1:end]

"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, TextIO, Type
from urllib.parse import quote

from svcmod import __version__
from svcmod.outputs.baseline import fingerprints, relative_file
from svcmod.registry.rules import builtin_rules
from svcmod.results import ENGINE_CODES, Finding, RunResult
from svcmod.rule import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: The key of svcmod's own fingerprint in ``partialFingerprints`` (the one ``--baseline`` uses).
FINGERPRINT_KEY = "svcmod/v1"
FAMILIES = {"SVC1": "deadline", "SVC2": "retry", "SVC3": "deprecation", "SVC4": "deprecation", "SVC9": "engine"}
_URL = re.compile(r"https?://[^\s)>\]]+")


def help_uri(rule: Type[Rule]) -> Optional[str]:
    """The first link of the rule's ``References`` section (else of its docstring), if any."""
    doc = rule.__doc__ or ""
    references = doc.split("## References", 1)
    match = _URL.search(references[1] if len(references) > 1 else doc)
    return match.group(0).rstrip(".,") if match else None


def rule_descriptor(code: str, example: Finding) -> Dict[str, Any]:
    known = {r.code: r for r in builtin_rules()}
    rule = known.get(code)
    descriptor: Dict[str, Any] = {"id": code}
    if rule is not None:
        summary = rule.summary()
        documentation = rule.documentation()
        descriptor.update(
            name=rule.name,
            shortDescription={"text": rule.message},
            fullDescription={"text": summary},
            help={"text": documentation, "markdown": documentation},
        )
        uri = help_uri(rule)
        if uri:
            descriptor["helpUri"] = uri
    else:
        # engine codes and rules declared in a project's config
        name, description = ENGINE_CODES.get(code, (example.name, example.message))
        descriptor.update(
            name=name,
            shortDescription={"text": description},
            fullDescription={"text": description},
            help={"text": f"{code} {name}: {description}", "markdown": f"**{code}** `{name}`: {description}"},
        )
    descriptor["defaultConfiguration"] = {"level": "error"}
    family = FAMILIES.get(code[:4])
    if family:
        descriptor["properties"] = {"tags": [family]}
    return descriptor


def artifact_uri(filename: str) -> Dict[str, str]:
    """Relative to the working directory (the repository root in CI), as code scanning expects."""
    relative = relative_file(filename, Path.cwd())
    if relative.startswith("../"):
        return {"uri": Path(filename).absolute().as_uri()}
    return {"uri": quote(relative, errors="surrogateescape"), "uriBaseId": "%SRCROOT%"}


def sarif_log(result: RunResult) -> Dict[str, Any]:
    findings = result.findings
    codes = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(codes)}
    example = {f.code: f for f in findings}
    prints = fingerprints(findings, Path.cwd())
    results: List[Dict[str, Any]] = []
    for finding in findings:
        region = {"startLine": finding.line, "startColumn": finding.column,
                  "endLine": max(finding.end_line, finding.line), "endColumn": finding.end_column}
        entry: Dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": "error",
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": {"artifactLocation": artifact_uri(finding.filename),
                                                "region": region}}],
            "partialFingerprints": {FINGERPRINT_KEY: prints[id(finding)]},
        }
        if finding.fix_applicability is not None:
            entry["properties"] = {"fix": {"applicability": finding.fix_applicability,
                                           "message": finding.fix_message}}
        results.append(entry)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "svcmod", "version": __version__, "semanticVersion": __version__,
                                "rules": [rule_descriptor(code, example[code]) for code in codes]}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(result: RunResult, stream: TextIO, **_: object) -> None:
    json.dump(sarif_log(result), stream, indent=2)
    stream.write("\n")

"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Paths are relative to the repository root (the git top level above the working directory, or
``--project-root``), named by ``originalUriBaseIds`` as ``%SRCROOT%``: code scanning places them
whatever directory svcmod ran in. Every rule has a ``helpUri`` (``--rule-docs-url`` for in-house docs).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, TextIO, Type
from urllib.parse import quote

from svcmod import __version__
from svcmod.outputs.baseline import fingerprints
from svcmod.outputs.rule_docs import rule_url
from svcmod.registry.rules import builtin_rules
from svcmod.results import ENGINE_CODES, Finding, RunResult
from svcmod.rule import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: The key of svcmod's own fingerprint in ``partialFingerprints`` (the one ``--baseline`` uses).
FINGERPRINT_KEY = "svcmod/v1"
FAMILIES = {"SVC1": "deadline", "SVC2": "retry", "SVC3": "deprecation", "SVC4": "deprecation", "SVC9": "engine"}


def help_uri(rule: Type[Rule]) -> Optional[str]:
    """The rule's documentation (its row in svcmod's README), as ``helpUri`` links it."""
    return rule_url(rule.code, rule.name)


def rule_descriptor(code: str, example: Finding, docs_url: Optional[str] = None) -> Dict[str, Any]:
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
    else:
        # engine codes and rules declared in a project's config
        name, description = ENGINE_CODES.get(code, (example.name, example.message))
        descriptor.update(
            name=name,
            shortDescription={"text": description},
            fullDescription={"text": description},
            help={"text": f"{code} {name}: {description}", "markdown": f"**{code}** `{name}`: {description}"},
        )
    descriptor["helpUri"] = rule_url(code, descriptor["name"], docs_url)
    descriptor["defaultConfiguration"] = {"level": "error"}
    family = FAMILIES.get(code[:4])
    if family:
        descriptor["properties"] = {"tags": [family]}
    return descriptor


def repository_root(start: Optional[Path] = None) -> Path:
    """The git top level above ``start`` (the working directory), else ``start`` itself."""
    here = Path(os.path.abspath(start or Path.cwd()))
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


def artifact_uri(path: str, root: Path) -> Dict[str, str]:
    """``path`` (its real bytes, percent-encoded) relative to ``root``; a file outside it by absolute URI."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, root)
    if relative.startswith(".."):  # the root may be reached through a symbolic link
        relative = os.path.relpath(os.path.realpath(absolute), os.path.realpath(root))
    if relative == ".." or relative.startswith(".." + os.sep) or os.path.isabs(relative):
        return {"uri": "file://" + quote(os.fsencode(absolute).replace(os.sep.encode(), b"/"))}
    return {"uri": quote(os.fsencode(relative).replace(os.sep.encode(), b"/")), "uriBaseId": "%SRCROOT%"}


def sarif_log(result: RunResult, root: Optional[Path] = None, docs_url: Optional[str] = None) -> Dict[str, Any]:
    root = Path(os.path.abspath(root)) if root is not None else repository_root()
    findings = result.findings
    codes = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(codes)}
    example = {f.code: f for f in findings}
    prints = fingerprints(findings, root)
    results: List[Dict[str, Any]] = []
    for finding in findings:
        region = {"startLine": finding.line, "startColumn": finding.column,
                  "endLine": max(finding.end_line, finding.line), "endColumn": finding.end_column}
        entry: Dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": "error",
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": {"artifactLocation": artifact_uri(
                result.paths.get(finding.filename, finding.filename), root),
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
                                "rules": [rule_descriptor(code, example[code], docs_url) for code in codes]}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri().rstrip("/") + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(result: RunResult, stream: TextIO, project_root: Optional[Path] = None, docs_url: Optional[str] = None,
           **_: object) -> None:
    json.dump(sarif_log(result, project_root, docs_url), stream, indent=2)
    stream.write("\n")

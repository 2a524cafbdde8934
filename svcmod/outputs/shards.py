"""Joining the outputs of sharded jobs: refused when a shard is missing, doubled or from another run.

A lint shard is ``svcmod lint --shard K/N --format json`` output, an object
``{"svcmod_shard": identity, "findings": [...]}``; a migrate shard is ``svcmod migrate --shard K/N
--report-json`` output, whose ``"shard"`` key holds the identity (``svcmod.run.sharding.shard_identity``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

from svcmod.outputs import json_input
from svcmod.outputs.json_input import JSONInputError
from svcmod.results import FileResult, Finding, RunResult

#: Fields every shard of one run must agree on, and what a difference means.
_SAME = {"n": "number of shards", "svcmod": "svcmod version", "config_digest": "configuration",
         "all_files_digest": "file list (another checkout or other paths)"}


class ShardError(Exception):
    """A shard cannot be merged; the message starts with the file it is about."""


@dataclass
class Shard:
    path: str
    kind: str  # "lint" or "migrate"
    identity: Dict[str, Any]
    data: Any  # lint: the findings (dicts); migrate: the whole report


def read_shard(path: str) -> Shard:
    try:
        data = json_input.load(path)
    except OSError as error:
        raise ShardError(f"{path}: cannot read: {error.strerror or error}") from None
    except JSONInputError as error:
        raise ShardError(f"{path}: {error}") from None
    if isinstance(data, dict) and "svcmod_shard" in data:
        kind, identity, body = "lint", data["svcmod_shard"], data.get("findings")
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise ShardError(f"{path}: 'findings' is not a list of findings")
    elif isinstance(data, dict) and "migration" in data and "projects" in data:
        kind, identity, body = "migrate", data.get("shard"), data
        if identity is None:
            raise ShardError(f"{path}: a migrate report made without --shard K/N: nothing to merge it with")
        if not isinstance(data["projects"], list) or not all(isinstance(p, dict) for p in data["projects"]):
            raise ShardError(f"{path}: 'projects' is not a list of projects")
    elif isinstance(data, list):
        raise ShardError(f"{path}: a lint output made without --shard K/N (run `svcmod lint --shard K/N "
                         f"--format json` in each job)")
    else:
        raise ShardError(f"{path}: not a shard output of svcmod lint --format json or svcmod migrate --report-json")
    if not isinstance(identity, dict):
        raise ShardError(f"{path}: the shard identity is not an object")
    for key in ("k", "n", "files", "all_files"):
        try:
            identity[key] = json_input.number(identity.get(key), f"shard.{key}")
        except JSONInputError as error:
            raise ShardError(f"{path}: {error}") from None
    return Shard(path, kind, identity, body)


def check_complete(shards: Sequence[Shard]) -> None:
    """Raises ShardError unless the shards are exactly 1..N of one run."""
    if not shards:
        raise ShardError("no shard outputs given")
    first = shards[0]
    taken: Dict[int, Shard] = {}
    for shard in shards:
        name = f"shard {shard.identity['k']}/{shard.identity['n']}"
        if shard.kind != first.kind:
            raise ShardError(f"{shard.path}: a {shard.kind} shard cannot be merged with the {first.kind} "
                             f"shard {first.path}")
        for key, meaning in _SAME.items():
            if shard.identity.get(key) != first.identity.get(key):
                raise ShardError(f"{shard.path}: {name} is from another run than {first.path} "
                                 f"(different {meaning}: {shard.identity.get(key)} vs {first.identity.get(key)})")
        if not 1 <= shard.identity["k"] <= shard.identity["n"]:
            raise ShardError(f"{shard.path}: {name} is not a shard of {shard.identity['n']}")
        if shard.identity["k"] in taken:
            raise ShardError(f"{shard.path}: {name} is given twice (also {taken[shard.identity['k']].path})")
        taken[shard.identity["k"]] = shard
    n = first.identity["n"]
    missing = [k for k in range(1, n + 1) if k not in taken]
    if missing:
        names = ", ".join(f"{k}/{n}" for k in missing)
        raise ShardError(f"shard{'s' * (len(missing) > 1)} {names} missing (given: "
                         f"{', '.join(s.path for s in shards)})")
    counted = sum(s.identity["files"] for s in shards)
    if counted != first.identity["all_files"]:
        raise ShardError(f"{first.path}: the shards hold {counted} files, their run had "
                         f"{first.identity['all_files']}")


def finding_from_dict(item: Dict[str, Any], where: str) -> Finding:
    """A finding of ``--format json`` read back (for the other formats of a merged report)."""
    try:
        location, end = item["location"], item.get("end_location") or item["location"]
        fix = item.get("fix") or {}
        finding = Finding(
            str(item["code"]), str(item.get("name", "")), str(item.get("message", "")), str(item["filename"]),
            json_input.number(location["row"], f"{where}.location.row"),
            json_input.number(location["column"], f"{where}.location.column"),
            json_input.number(end["row"], f"{where}.end_location.row"),
            json_input.number(end["column"], f"{where}.end_location.column"),
            fix.get("applicability") if isinstance(fix, dict) else None,
            fix.get("message") if isinstance(fix, dict) else None,
            item.get("project") if isinstance(item.get("project"), str) else None,
        )
    except JSONInputError:
        raise
    except (KeyError, TypeError, AttributeError):
        raise JSONInputError(f"{where}: not a finding (needs code, filename, location.row/column)") from None
    return finding


def merged_lint(shards: Sequence[Shard]) -> RunResult:
    """One run's result from its shards: files in the order one run lists them, findings as each shard did."""
    by_file: Dict[str, FileResult] = {}
    for shard in shards:
        for index, item in enumerate(shard.data):
            try:
                finding = finding_from_dict(item, f"findings[{index}]")
            except JSONInputError as error:
                raise ShardError(f"{shard.path}: {error}") from None
            by_file.setdefault(finding.filename, FileResult(finding.filename)).findings.append(finding)
    result = RunResult(files=[by_file[name] for name in sorted(by_file)])
    for file_result in result.files:
        for finding in file_result.findings:
            if finding.project:
                result.projects[file_result.filename] = finding.project
    return result


def merged_fix_edits(shards: Sequence[Shard]) -> Dict[Tuple[str, str, int, int], List[Dict[str, Any]]]:
    """The ``fix.edits`` of the shards' findings, by (filename, code, row, column), as
    ``json_format`` writes them again."""
    edits: Dict[Tuple[str, str, int, int], List[Dict[str, Any]]] = {}
    for shard in shards:
        for item in shard.data:
            fix = item.get("fix") if isinstance(item, dict) else None
            if isinstance(fix, dict) and isinstance(fix.get("edits"), list):
                location = item["location"]
                edits[(str(item["filename"]), str(item["code"]), location["row"], location["column"])] = fix["edits"]
    return edits


def merged_migrate(shards: Sequence[Shard]) -> Dict[str, Any]:
    """One ``--report-json`` document from the reports of migrate shards (a project is in one shard)."""
    first = shards[0].data
    projects: List[Dict[str, Any]] = sorted((p for s in shards for p in s.data["projects"]),
                                            key=lambda p: str(p.get("name", "")))
    names = [p.get("name") for p in projects]
    doubled = sorted({n for n in names if names.count(n) > 1}, key=str)
    if doubled:
        raise ShardError(f"project {doubled[0]} is in more than one shard")
    totals: Dict[str, Any] = {}
    for shard in shards:
        for key, value in (shard.data.get("totals") or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value
    totals["projects"] = len(projects)
    if "seconds" in totals:
        totals["seconds"] = round(totals["seconds"], 3)
    merged = {key: value for key, value in first.items() if key != "shard"}
    merged.update(projects=projects, totals=totals, shards=len(shards))
    return merged

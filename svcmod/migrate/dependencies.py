"""The migration's last step: each project's dependency manifests brought in line with its migrated code."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Tuple

from svcmod.migrate.manifests import plan_changes
from svcmod.outputs.reports import FileChange, FollowUp

if TYPE_CHECKING:  # pragma: no cover
    from svcmod.migrate.migration import MigrationOutcome
    from svcmod.rule import Requires


def update_manifests(outcome: "MigrationOutcome", requires: Mapping[str, Tuple["Requires", ...]],
                     *, write: bool, force: bool = False) -> None:
    """Edit (``write``; read-only or hard-linked manifests only when ``force``) or plan the manifest
    edits of every project whose migration needs them; the
    edits join the project's report (its dependencies, its changes and so its patch), and what
    cannot be edited safely joins its follow-ups."""
    from svcmod.check.names import imported_modules
    from svcmod.run.source import WriteRefused, write_if_unchanged

    result = outcome.result
    files_of: Dict[str, List] = {}
    for file_result in result.files:
        project = result.projects.get(file_result.filename)
        if project is not None:
            files_of.setdefault(project, []).append(file_result)
    for report in outcome.projects:
        needed: List[Tuple[str, "Requires"]] = []
        names: Dict[str, str] = {}
        for edit in report.edits:
            names.setdefault(edit.code, edit.name)
            for each in requires.get(edit.code, ()):
                if (edit.code, each) not in needed:
                    needed.append((edit.code, each))
        if not needed:
            continue
        sources = files_of.get(report.name, [])
        imports: Dict[str, frozenset] = {}

        def still_imported(module: str) -> bool:
            for file_result in sources:
                modules = imports.get(file_result.filename)
                if modules is None:
                    data = file_result.fixed if file_result.fixed is not None else _read(file_result.filename)
                    modules = imports[file_result.filename] = imported_modules(data)
                if module in modules:
                    return True
            return False

        changes = plan_changes(report.directory, needed, still_imported)
        report.dependencies.extend(changes.edits)
        for item in changes.manual:
            report.follow_ups.append(FollowUp(item.code, names.get(item.code, ""),
                                              f"dependency manifest: {item.message}", item.file, item.line, 0,
                                              str(report.directory / item.file)))
        for path, (before, after) in changes.files.items():
            relative = path.relative_to(report.directory).as_posix()
            if write:
                try:
                    write_if_unchanged(path, before, after, force=force)
                except (OSError, WriteRefused) as error:
                    report.errors.append(FollowUp("SVC902", "fix-not-verified", f"not written: {error}",
                                                  relative, 1, 0, str(path)))
                    continue
            outcome.manifests[path] = (before, after)
            report.changes.append(FileChange(relative, _shown(path), before, after))


def _read(filename: str) -> bytes:
    try:
        return Path(filename).read_bytes()
    except OSError:
        return b""


def _shown(path: Path) -> str:
    """The path as the run shows file names: relative to the working directory when below it."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)

"""``--report-md``: a pull-request body per project: what changed, what changes behaviour, what is left."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from svcmod import __version__
from svcmod.outputs.reports import ProjectReport, patch_filename

# what can start formatting, a link, HTML or a table cell in the middle of a line
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def escape(text: str) -> str:
    """Plain text safe in Markdown: characters that could format are backslash-escaped."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return _SPECIAL.sub(r"\\\1", text)


def prose(text: str) -> str:
    """A rule's message or fix description: its `code spans` kept, everything else escaped."""
    out, position = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(escape(text[position:match.start()]))
        out.append(code(match.group(2)))
        position = match.end()
    out.append(escape(text[position:]))
    return "".join(out)


def code(text: str) -> str:
    """``text`` as an inline code span whose fence is longer than any backtick run inside it."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def project_body(report: ProjectReport, migration: str, mode: str, patch: Optional[str] = None,
                 apply: Optional[Tuple[str, str]] = None) -> str:
    """The Markdown body of a pull request for one project; ``apply``: where and how to apply
    ``patch`` when already known (read back from a JSON report), else worked out here."""
    lines: List[str] = []
    edits, follow_ups = report.edits, report.follow_ups
    would = mode in ("check", "diff")
    lines.append(f"## svcmod migrate {escape(migration)}: {code(report.name)}")
    lines.append("")
    lines.append(
        f"{'Would apply' if would else 'Applied'} the {code(migration)} migration (svcmod {escape(__version__)}): "
        f"**{len(edits)} edit{'s' * (len(edits) != 1)}** in {len(report.changes)} of {report.files_scanned} "
        f"file{'s' * (report.files_scanned != 1)}, **{len(report.behaviour_changing)} changing behaviour**; "
        f"**{len(follow_ups)} manual follow-up{'s' * (len(follow_ups) != 1)}** ({report.seconds:.1f} s)."
    )
    lines.append("")
    lines.append("### What changed")
    lines.append("")
    if edits:
        lines.append("| rule | edits | behaviour |")
        lines.append("|---|---:|---|")
        for rule_code, items in report.edits_by_rule().items():
            changing = sum(1 for e in items if e.changes_behaviour)
            behaviour = f"**changes** ({changing})" if changing else "kept"
            lines.append(f"| {rule_code} {escape(items[0].name)} | {len(items)} | {behaviour} |")
        lines.append("")
        for file in report.files_changed:
            lines.append(f"- {code(file)}")
            for edit in sorted((e for e in edits if e.file == file), key=lambda e: (e.line, e.code)):
                mark = " — **changes behaviour**" if edit.changes_behaviour else ""
                lines.append(f"  - line {edit.line}: {edit.code} {prose(edit.description)}{mark}")
    else:
        lines.append("Nothing to change.")
    lines.append("")
    if report.dependencies:
        lines.append("### Dependencies")
        lines.append("")
        lines.append("The migrated code needs these in the project's dependency manifests:")
        lines.append("")
        for item in sorted(report.dependencies, key=lambda d: (d.file, d.line)):
            lines.append(f"- {code(f'{item.file}:{item.line}')} {code(item.description)} (for {item.code})")
        lines.append("")
    changing = report.behaviour_changing
    if changing:
        lines.append("### Edits that change behaviour")
        lines.append("")
        lines.append("Review these: a call that used to wait forever now times out, a retry that "
                     "used to go on forever now stops, waits now have jitter.")
        lines.append("")
        for edit in sorted(changing, key=lambda e: (e.file, e.line)):
            lines.append(f"- {code(f'{edit.file}:{edit.line}')} {edit.code} {escape(edit.name)}: "
                         f"{prose(edit.description)}")
        lines.append("")
    lines.append("### Manual follow-ups")
    lines.append("")
    if follow_ups:
        for item in sorted(follow_ups, key=lambda f: (f.file, f.line, f.code)):
            lines.append(f"- [ ] {code(f'{item.file}:{item.line}')} {item.code} {escape(item.name)}: "
                         f"{prose(item.message)}")
    else:
        lines.append("None.")
    lines.append("")
    if report.errors:
        lines.append("### Not checked or not fixed")
        lines.append("")
        for item in report.errors:
            lines.append(f"- {code(f'{item.file}:{item.line}')} {item.code}: {prose(item.message)}")
        lines.append("")
    if patch and report.changes:
        from svcmod.outputs.reports.patches import apply_command
        place, command = apply or apply_command(report, patch)
        lines.append("### Apply")
        lines.append("")
        lines.append(f"From {place}:")
        lines.append("")
        lines.append("```sh")
        lines.append(command)
        lines.append("```")
        lines.append("")
    return "\n".join(lines)


def render(reports: List[ProjectReport], *, migration: str, mode: str,
           patches: Optional[Dict[str, str]] = None, applying: Optional[Dict[str, Tuple[str, str]]] = None) -> str:
    """All projects in one document, each section ready to paste as its own pull-request body."""
    patches, applying = patches or {}, applying or {}
    sections = [project_body(r, migration, mode, patches.get(r.name), applying.get(r.name)) for r in reports]
    return "\n---\n\n".join(sections) if sections else "No Python files found.\n"


def write(reports: List[ProjectReport], target: Union[str, Path], *, migration: str, mode: str,
          patches: Optional[Dict[str, str]] = None, applying: Optional[Dict[str, Tuple[str, str]]] = None
          ) -> List[Path]:
    """Write to ``target``: one file for all projects, or one ``<project>.md`` each if it is a
    directory (an existing one, or a name ending with a slash)."""
    patches, applying = patches or {}, applying or {}
    as_directory = str(target).endswith(("/", "\\"))
    target = Path(target)
    if as_directory or target.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for report in reports:
            path = target / (patch_filename(report.name)[:-len(".patch")] + ".md")
            path.write_text(project_body(report, migration, mode, patches.get(report.name), applying.get(report.name)),
                            encoding="utf-8",
                            errors="backslashreplace")  # a file name that is not UTF-8 must not crash
            written.append(path)
        return written
    target.write_text(render(reports, migration=migration, mode=mode, patches=patches, applying=applying),
                      encoding="utf-8",
                      errors="backslashreplace")
    return [target]

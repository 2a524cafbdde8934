"""``svcmod lint``: report (and with --fix, fix) problems; the CI gate and the pre-commit hook."""
from __future__ import annotations

import difflib
import sys
from collections import Counter
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import click

from svcmod.cli.options import (
    codes_option,
    fail,
    interrupted,
    output_stream,
    plural,
    progress_bar,
    require_paths,
    use_color,
    writable_file,
)
from svcmod.outputs.formats import FORMATS
from svcmod.project.config import ConfigError
from svcmod.run.stopping import Interrupted


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, allow_dash=True, readable=False))
@click.option("--select", multiple=True, metavar="CODES", help="Only these rule codes or prefixes (comma-separated).")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Add these codes to the selection.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Do not report these codes or prefixes.")
@click.option("--fix", is_flag=True, help="Apply safe fixes.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change behaviour (with --fix or --diff).")
@click.option("--diff", is_flag=True, help="Print the fixes as a diff; write nothing.")
@click.option("--force-write", is_flag=True, help="With --fix: write read-only files too (they stay read-only) "
              "and files with several hard links, in place, so that every name sees the fix.")
@click.option("--format", "--output-format", "output_format", default="text", show_default=True,
              type=click.Choice(list(FORMATS)), help="Output format (--output-format as ruff).")
@click.option("--output", "--output-file", "-o", "output_file", type=click.Path(dir_okay=False),
              help="Write the report to FILE (--output-file as ruff).")
@click.option("--show-fixes", is_flag=True, help="With --fix: list each fix applied (on stderr).")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="With --fix: exit 1 when files were fixed, even if "
              "no finding remains (as ruff).")
@click.option("--add-noqa", is_flag=True, help="Add a `# noqa: CODE` comment on each line with findings "
              "(to switch on a rule in old code); writes the files.")
@click.option("--project-root", type=click.Path(file_okay=False, path_type=Path),
              help="SARIF paths are relative to this directory (default: the git top level).")
@click.option("--rule-docs-url", metavar="TEMPLATE", help="Rule documentation links in SARIF and JSON, "
              "e.g. https://docs.example.com/svcmod/{code} ({code} and {name} are filled in).")
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of each finding.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Report only findings not recorded in this file (see `svcmod baseline`).")
@click.option("--changed-since", metavar="GITREF", help="Only check files changed since GITREF (and untracked ones).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings and nothing else (no summary, no progress).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Use this configuration file for every file.")
@click.option("--stdin-filename", metavar="NAME", help="The name of the file read from stdin (PATH '-').")
@click.option("--force-exclude", is_flag=True, help="Apply excludes to files named on the command line too.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the results cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Keep the results cache here (default: .svcmod_cache at the configuration's root).")
@click.option("--no-fast-path", is_flag=True, help="Parse every file whole and run every selected rule on it "
              "(slow; the reference to use when reporting a suspected miss). No cache.")
@click.option("--shard", metavar="K/N", help="Check only the K-th of N parts of the files (split by path; "
              "merge the JSON outputs with `svcmod report merge`).")
def lint(paths: Tuple[Path, ...], select: Tuple[str, ...], extend_select: Tuple[str, ...],
         ignore: Tuple[str, ...], fix: bool, unsafe_fixes: bool, diff: bool, output_format: str,
         output_file: Optional[str], statistics: bool, exit_zero: bool, jobs: Optional[int],
         config_file: Optional[Path], stdin_filename: Optional[str], force_exclude: bool,
         baseline_file: Optional[Path] = None, changed_since: Optional[str] = None,
         no_cache: bool = False, cache_dir: Optional[Path] = None, shard: Optional[str] = None,
         quiet: bool = False, no_fast_path: bool = False, show_fixes: bool = False,
         exit_non_zero_on_fix: bool = False, add_noqa: bool = False, project_root: Optional[Path] = None,
         rule_docs_url: Optional[str] = None, force_write: bool = False) -> None:
    """Report (and with --fix, fix) problems in PATHS (default: the current directory)."""
    from svcmod.check.policy import FixPolicy
    from svcmod.run.engine import RunOptions, run

    shard_part = None
    if shard is not None:
        from svcmod.run.sharding import parse_shard
        try:
            shard_part = parse_shard(shard)
        except ValueError as error:
            raise fail(f"--shard: {error}")

    require_paths(paths)
    writable_file(output_file, "--output")
    if add_noqa and (fix or diff):
        raise fail("--add-noqa cannot be combined with --fix or --diff")
    stdin = None
    if stdin_filename is not None and not paths:
        paths = (Path("-"),)
    if any(str(p) == "-" for p in paths):
        stdin = (stdin_filename or "-", sys.stdin.buffer.read())
    options = RunOptions(
        paths=paths or (Path("."),),
        select=codes_option(select), extend_select=codes_option(extend_select), ignore=codes_option(ignore),
        fix=FixPolicy(apply=fix or diff, unsafe=unsafe_fixes),
        write=fix and not diff, force_write=force_write,
        keep_sources=diff or stdin is not None,
        jobs=jobs, config_file=config_file, stdin=stdin, force_exclude=force_exclude,
        cache=not no_cache, cache_dir=cache_dir, shard=shard_part, fast_path=not no_fast_path,
        fix_edits=output_format == "json" and not statistics,
    )
    try:
        if changed_since is not None:
            options.files = _changed_files(changed_since, options.paths, config_file, force_exclude)
        baseline = _load_baseline(baseline_file)
        with progress_bar(output_format == "text" and output_file is None and not quiet) as progress:
            result = run(options, progress=progress)  # type: ignore[arg-type]
    except ConfigError as error:
        raise fail(str(error))
    except Interrupted as stop:
        raise interrupted(stop)
    if baseline is not None:
        _report_stale(baseline.apply(result), statistics)
    for problem in result.problems:
        click.echo(f"svcmod: warning: {problem.path}: {problem.message}", err=True)

    if add_noqa:
        _add_noqa(result)
        sys.exit(0)
    if diff:
        changed = _print_diffs(result)
        if not quiet:
            _summary_fixed(result, diff=True)
        sys.exit(1 if changed and not exit_zero else 0)
    if show_fixes:
        _list_fixes(result)
    shown = dict(unsafe=unsafe_fixes, project_root=project_root, docs_url=rule_docs_url)
    if options.fix_edits:  # made by the workers with the findings (svcmod/run/fix_edits.py)
        shown["fix_edits"] = {(f.filename, f.code, f.line, f.column): f.fix_edits
                              for f in result.findings if f.fix_edits is not None}
    if stdin is not None and fix:
        for file_result in result.files:
            if file_result.filename == stdin[0]:
                sys.stdout.buffer.write(file_result.fixed or stdin[1])
        _print_findings(result, "text", None, statistics, to_stderr=True, **shown)
    else:
        _print_findings(result, output_format, output_file, statistics, **shown)
    if output_format == "text" and not quiet:
        _summary(result, fix, unsafe_fixes)
    remaining = len(result.findings)
    fixed_files = any(r.written or (stdin is not None and r.fixed is not None) for r in result.files)
    sys.exit(1 if (remaining or (exit_non_zero_on_fix and fixed_files)) and not exit_zero else 0)


def _changed_files(ref: str, paths: Sequence[Path], config_file: Optional[Path], force_exclude: bool) -> List[Path]:
    from svcmod.project.git import GitError, files_changed_since
    try:
        return files_changed_since(ref, [p for p in paths if str(p) != "-"], config_file, force_exclude)
    except GitError as error:
        raise fail(str(error))


def _load_baseline(path: Optional[Path]):
    if path is None:
        return None
    from svcmod.outputs.baseline import Baseline, BaselineError
    try:
        return Baseline.load(path)
    except BaselineError as error:
        raise fail(str(error))


def _report_stale(stale, statistics: bool) -> None:
    """Baseline entries whose finding is gone: a count always, the list with --statistics."""
    if not stale:
        return
    click.echo(f"svcmod: {plural(len(stale), 'baseline entry', 'baseline entries')} no longer found "
               f"(fixed or edited); `svcmod baseline` writes a fresh one.", err=True)
    if statistics:
        for entry in stale:
            click.echo(f"  stale: {entry.file}:{entry.line}: {entry.code} {entry.text}", err=True)


def _add_noqa(result) -> None:
    from svcmod.run.noqa import WriteRefused, add_noqa
    lines = files = 0
    for file_result in result.files:
        if not file_result.findings or file_result.filename == "-":
            continue
        path = Path(result.paths.get(file_result.filename, file_result.filename))
        try:
            added = add_noqa(path, file_result.findings)
        except (WriteRefused, OSError) as error:
            reason = str(error) if isinstance(error, WriteRefused) else error.strerror or str(error)
            click.echo(f"svcmod: warning: {file_result.filename}: no noqa added: {reason}", err=True)
            continue
        lines += added
        files += bool(added)
    click.echo(f"Added {plural(lines, 'noqa directive')} in {plural(files, 'file')}.", err=True)


def _list_fixes(result) -> None:
    for file_result in result.files:
        if file_result.written or file_result.fixed is not None:
            for edit in file_result.edits:
                click.echo(f"Fixed {file_result.filename}:{edit.line}: {edit.code} {edit.description}", err=True)


def _print_findings(result, output_format: str, output_file: Optional[str], statistics: bool,
                    to_stderr: bool = False, **shown) -> None:
    from svcmod.outputs.formats import renderer
    if statistics:
        counts = Counter((f.code, f.name, f.fix_applicability == "safe") for f in result.findings)
        with output_stream(output_file) as stream:
            for (code, name, fixable), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
                stream.write(f"{count:>5}\t{code}\t{'[*] ' if fixable else ''}{name}\n")
        return
    if to_stderr:
        renderer("text")(result, sys.stderr, color=use_color(sys.stderr), **shown)
        return
    color = output_file is None and output_format == "text" and use_color(sys.stdout)
    with output_stream(output_file) as stream:
        renderer(output_format)(result, stream, color=color, **shown)


def _print_diffs(result) -> bool:
    changed = False
    out = sys.stdout
    for file_result in result.files:
        if file_result.fixed is None or file_result.original is None:
            continue
        changed = True
        old = _diff_lines(file_result.original.decode("utf-8", errors="surrogateescape"))
        new = _diff_lines(file_result.fixed.decode("utf-8", errors="surrogateescape"))
        name = file_result.filename
        for line in difflib.unified_diff(old, new, f"a/{name}", f"b/{name}"):
            out.write(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return changed


def _diff_lines(text: str) -> list:
    """Lines cut at LF only, each with its ending, as git and patch cut them (``splitlines`` would
    also cut at a form feed and print a diff that does not apply)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _summary(result, fixing: bool, unsafe_fixes: bool = False) -> None:
    findings = result.findings
    fixed = sum(len(r.edits) for r in result.files if r.written or (r.fixed is not None))
    safe = sum(1 for f in findings if f.fix_applicability == "safe")
    unsafe = sum(1 for f in findings if f.fix_applicability == "unsafe")
    parts = []
    if fixing and fixed:
        parts.append(f"Fixed {plural(fixed, 'finding')} in {plural(sum(1 for r in result.files if r.edits), 'file')}.")
    if findings:
        hints = []
        if unsafe_fixes and safe + unsafe:  # --unsafe-fixes given: --fix alone applies both
            hints.append(f"{safe + unsafe} fixable with --fix")
        else:
            if safe:
                hints.append(f"{safe} fixable with --fix")
            if unsafe:
                hints.append(f"{unsafe} {'more ' if safe else ''}with --unsafe-fixes")
        extra = f" ({', '.join(hints)})" if hints else ""
        parts.append(f"Found {plural(len(findings), 'finding')}{extra}.")
    elif not (fixing and fixed):
        parts.append(f"All checks passed ({plural(len(result.files), 'file')}).")
    click.echo(" ".join(parts), err=True)


def _summary_fixed(result, diff: bool) -> None:
    changed = sum(1 for r in result.files if r.fixed is not None)
    edits = sum(len(r.edits) for r in result.files)
    click.echo(f"Would fix {plural(edits, 'finding')} in {plural(changed, 'file')}.", err=True)



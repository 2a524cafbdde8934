"""``svcmod migrate NAME [PATHS]...`` and ``svcmod migrate --list``: options in, ``migrate()`` does the work."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, Optional, Tuple

import click

from svcmod.cli.options import (
    fail,
    interrupted,
    output_stream,
    progress_bar,
    require_paths,
    use_color,
    writable_directory,
    writable_file,
)
from svcmod.project.config import ConfigError
from svcmod.run.stopping import Interrupted


@click.command("migrate")
@click.argument("name", required=False)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option("--list", "list_migrations", is_flag=True, help="List the migrations and their steps.")
@click.option("--diff", is_flag=True, help="Print the changes as a unified diff; write nothing.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the migration would change files.")
@click.option("--report-json", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the per-project report as JSON.")
@click.option("--report-md", type=click.Path(), metavar="FILE",
              help="Write a pull-request body per project (a directory: one FILE per project).")
@click.option("--patch-dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write one git-apply-able patch per project into DIR.")
@click.option("--force-write", is_flag=True, help="Write read-only files too (they stay read-only) and files with "
              "several hard links, in place, so that every name sees the change.")
@click.option("--shard", metavar="K/N", help="Migrate only the projects of the K-th of N parts (split by project; "
              "merge the --report-json outputs with `svcmod report merge`).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Use this configuration file for every file.")
def migrate(name: Optional[str], paths: Tuple[Path, ...], list_migrations: bool, diff: bool, check: bool,
                    report_json: Optional[Path], report_md: Optional[str], patch_dir: Optional[Path],
                    jobs: Optional[int], config_file: Optional[Path], shard: Optional[str] = None,
                    force_write: bool = False) -> None:
    """Apply migration NAME to PATHS (default: the current directory; several paths: several repos).

    Fixes are applied as the migration names them (behaviour-changing ones included: running the
    migration is the opt-in); findings without a mechanical fix are listed as manual follow-ups.
    """
    if list_migrations:
        _list(name, paths, config_file)
        return
    if name is None:
        raise fail("missing migration NAME (see svcmod migrate --list)")
    if diff and check:
        raise fail("--diff and --check cannot be combined")
    if force_write and (diff or check):
        raise fail("--force-write writes files; it cannot be combined with --diff or --check")
    require_paths(paths)
    shard_part = None
    if shard is not None:
        from svcmod.run.sharding import parse_shard
        try:
            shard_part = parse_shard(shard)
        except ValueError as error:
            raise fail(f"--shard: {error}")
    writable_file(report_json, "--report-json")
    if report_md is not None and (report_md.endswith(("/", "\\")) or os.path.isdir(report_md)):
        writable_directory(report_md, "--report-md")
    else:
        writable_file(report_md, "--report-md")
    writable_directory(patch_dir, "--patch-dir")
    from svcmod.migrate import migration as migrations
    mode = "diff" if diff else "check" if check else "write"
    try:
        with progress_bar(True, f"Migrating ({name})") as progress:
            outcome = migrations.migrate(name, list(paths) or [Path(".")], mode=mode, jobs=jobs,
                                         config_file=config_file, progress=progress,  # type: ignore[arg-type]
                                         shard=shard_part, force_write=force_write)
    except ConfigError as error:
        raise fail(str(error))
    except Interrupted as stop:
        raise interrupted(stop)
    except Exception as error:  # exit 1 means "changes pending": a crash must not look like that
        import traceback
        traceback.print_exc()
        raise fail(f"internal error: {type(error).__name__}: {error}")
    for problem in outcome.result.problems:
        click.echo(f"svcmod: warning: {problem.path}: {problem.message}", err=True)
    for plan in outcome.plans:
        if plan.missing:
            click.echo(f"svcmod: note: migration {name}: no installed rule for {', '.join(plan.missing)}", err=True)

    if diff:
        _print_diff(outcome)
    _write_reports(outcome, report_json, report_md, patch_dir)
    from svcmod.outputs.reports import terminal
    stream = sys.stderr if diff else sys.stdout
    terminal.render(outcome.projects, stream, mode=mode, color=use_color(stream))
    # files that could not be read, parsed or written are not migrated: the run did not do its job
    errors = any(report.errors for report in outcome.projects)
    sys.exit(1 if errors or (mode != "write" and outcome.pending) else 0)


def _write_reports(outcome, report_json: Optional[Path], report_md: Optional[str],
                   patch_dir: Optional[Path]) -> None:
    from svcmod.outputs.reports import json_report, markdown, patches
    written: Dict[str, str] = {}
    try:
        if patch_dir is not None:
            written = {k: str(v) for k, v in patches.write_patches(outcome.projects, patch_dir).items()}
        if report_json is not None:
            with output_stream(report_json) as stream:  # whole or not at all
                stream.write(json_report.render(outcome.projects, migration=outcome.name, mode=outcome.mode,
                                                elapsed=outcome.result.elapsed, plans=outcome.plans,
                                                patches=written, shard=outcome.result.shard))
        if report_md is not None:
            markdown.write(outcome.projects, report_md, migration=outcome.name, mode=outcome.mode, patches=written)
    except OSError as error:
        raise fail(f"cannot write report: {error.filename or ''}: {error.strerror or error}")


def _print_diff(outcome) -> None:
    from svcmod.outputs.reports import FileChange
    from svcmod.outputs.reports.patches import file_patch
    sys.stdout.flush()
    out = sys.stdout.buffer
    for file_result in outcome.changed_files:
        name = file_result.filename
        real = outcome.result.paths.get(name)
        real_name = os.path.relpath(real) if real else ""
        out.write(file_patch(FileChange(name, name, file_result.original, file_result.fixed, real_name),
                             relative=False))
    for report in outcome.projects:  # the dependency manifests the migration edits
        for change in report.changes:
            if (report.directory / change.file) in outcome.manifests:
                out.write(file_patch(FileChange(change.filename, change.filename, change.original, change.fixed),
                                     relative=False))
    out.flush()


def _list(name: Optional[str], paths: Tuple[Path, ...], config_file: Optional[Path]) -> None:
    from svcmod.migrate.migration import available, resolve
    from svcmod.project.config import ConfigFinder
    where = (paths[0] if paths else Path(".")).absolute()
    try:
        finder = ConfigFinder(config_file)
        config = finder.for_path(where / "x.py" if where.is_dir() else where)
        migrations = available(config)
        names = [name] if name else sorted(migrations)
        for each in names:
            plan = resolve(each, config)
            migration = plan.migration
            click.echo(f"{migration.name}  ({migration.origin}): {migration.description}")
            for number, step in enumerate(plan.steps, 1):
                click.echo(f"  {number}. {step.title}: {', '.join(step.codes) or '-'}")
            click.echo(f"  follow-ups: {', '.join(plan.follow_ups) or '-'}")
            if plan.missing:
                click.echo(f"  not installed: {', '.join(plan.missing)}")
    except ConfigError as error:
        raise fail(str(error))

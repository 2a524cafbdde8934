"""``svcmod baseline``: record the findings of today so that ``lint --baseline`` fails only on new ones."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import click

from svcmod.cli.options import codes_option, fail, interrupted, output_stream, plural, progress_bar, require_paths, writable_file
from svcmod.project.config import ConfigError
from svcmod.run.stopping import Interrupted


@click.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option("--output", "-o", "output_file", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The baseline file to write (e.g. .svcmod-baseline.json).")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rule codes or prefixes.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Leave these codes out.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Use this configuration file for every file.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the results cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Keep the results cache here (default: .svcmod_cache at the configuration's root).")
def baseline_command(paths: Tuple[Path, ...], output_file: Path, select: Tuple[str, ...],
                     ignore: Tuple[str, ...], config_file: Optional[Path], jobs: Optional[int],
                     no_cache: bool = False, cache_dir: Optional[Path] = None) -> None:
    """Write the current findings in PATHS to a baseline file for `svcmod lint --baseline`."""
    from svcmod.outputs.baseline import Baseline
    from svcmod.run.engine import RunOptions, run

    require_paths(paths)
    writable_file(output_file, "--output")
    options = RunOptions(paths=paths or (Path("."),), select=codes_option(select), ignore=codes_option(ignore),
                         jobs=jobs, config_file=config_file, write=False, cache=not no_cache, cache_dir=cache_dir)
    try:
        # the same cache as `svcmod lint` (a baseline is usually written right after a lint run)
        with progress_bar(True) as progress:
            result = run(options, progress=progress)  # type: ignore[arg-type]
    except ConfigError as error:
        raise fail(str(error))
    except Interrupted as stop:
        raise interrupted(stop)
    for problem in result.problems:
        click.echo(f"svcmod: warning: {problem.path}: {problem.message}", err=True)
    baseline = Baseline.of(result.findings, output_file)
    with output_stream(output_file) as stream:
        stream.write(baseline.text())
    click.echo(f"Wrote {plural(len(baseline.entries), 'finding')} from {plural(len(result.files), 'file')} "
               f"to {output_file}.", err=True)

"""What the commands share: code lists, errors as exit 2, output files, the progress bar."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence, TextIO, Tuple

import click


def codes_option(value: Sequence[str]) -> Tuple[str, ...]:
    """``--select SVC1,SVC201 --select SVC3`` → ("SVC1", "SVC201", "SVC3")."""
    return tuple(code.strip().upper() for item in value for code in item.split(",") if code.strip())


def fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"svcmod: error: {message}", err=True)
    return click.exceptions.Exit(2)


def require_paths(paths: Iterable[Path]) -> None:
    """A mistyped path is an error, not an empty run that passes (as ruff's E902)."""
    for path in paths:
        if str(path) != "-" and not os.path.lexists(path):
            raise fail(f"{path}: no such file or directory")


@contextmanager
def output_stream(path: Optional[str]) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            yield handle


@contextmanager
def progress_bar(enabled: bool, description: str = "Checking") -> Iterator[Optional[object]]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    progress = Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)
    task = progress.add_task(description, total=None)
    with progress:
        yield lambda done, total: progress.update(task, completed=done, total=total)



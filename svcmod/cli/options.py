"""What the commands share: code lists, errors as exit 2, output files, the progress bar."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence, TextIO, Tuple, Union

import click


def codes_option(value: Sequence[str]) -> Tuple[str, ...]:
    """``--select SVC1,SVC201 --select SVC3`` → ("SVC1", "SVC201", "SVC3")."""
    return tuple(code.strip().upper() for item in value for code in item.split(",") if code.strip())


def plural(count: int, noun: str, many: str = "") -> str:
    """``1 file``, ``2 files``; ``many`` for irregular nouns (entry, entries)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def use_color(stream: TextIO) -> bool:
    """As the conventions say: NO_COLOR (no-color.org) turns colour off even on a terminal,
    FORCE_COLOR (force-color.org) turns it on even in a pipe; else colour on terminals only."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"svcmod: error: {message}", err=True)
    return click.exceptions.Exit(2)


def require_paths(paths: Iterable[Path]) -> None:
    """A mistyped path is an error, not an empty run that passes (as ruff's E902)."""
    for path in paths:
        if str(path) != "-" and not os.path.lexists(path):
            raise fail(f"{path}: no such file or directory")


def writable_file(path: Optional[Union[str, Path]], option: str) -> None:
    """Checked before any work: a report that cannot be written must not come after files were rewritten."""
    if path is None:
        return
    text = str(path)
    if os.path.isdir(text) or text.endswith(("/", os.sep)):
        raise fail(f"{text}: {option} names a directory, expected a file")
    if os.path.exists(text):
        if not os.access(text, os.W_OK):
            raise fail(f"{text}: {option}: permission denied")
        return
    writable_directory(os.path.dirname(text) or ".", option, create=False, shown=text)


def writable_directory(path: Optional[Union[str, Path]], option: str, create: bool = True,
                       shown: Optional[str] = None) -> None:
    """A directory that exists (or, with ``create``, can be made below an existing one) and is writable."""
    if path is None:
        return
    text = os.path.abspath(str(path))
    shown = shown or str(path)
    while not os.path.exists(text):
        if not create:
            raise fail(f"{shown}: {option}: directory {os.path.dirname(shown) or '.'} does not exist")
        text = os.path.dirname(text)
    if not os.path.isdir(text):
        raise fail(f"{shown}: {option}: {text} is not a directory")
    if not os.access(text, os.W_OK | os.X_OK):
        raise fail(f"{shown}: {option}: permission denied")


def interrupted(stop) -> "click.exceptions.Exit":
    """A run stopped by SIGINT/SIGTERM (``svcmod.run.stopping.Interrupted``): say which files were
    already written, exit 130 / 143 as a shell expects."""
    written = stop.written
    if written:
        click.echo(f"svcmod: interrupted ({stop}); {len(written)} file{'s' * (len(written) != 1)} "
                   f"written before the stop:", err=True)
        for name in written:
            click.echo(f"  {name}", err=True)
    else:
        click.echo(f"svcmod: interrupted ({stop}); no file was written", err=True)
    return click.exceptions.Exit(stop.exit_code)


@contextmanager
def output_stream(path: Optional[Union[str, Path]]) -> Iterator[TextIO]:
    """stdout, or ``path`` written whole or not at all (a temporary file beside it, then renamed)."""
    if path is None:
        yield sys.stdout
        return
    import tempfile
    directory = os.path.dirname(os.path.abspath(str(path)))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".svcmod-", suffix=".tmp", dir=directory)
    except OSError as error:
        raise fail(f"{path}: cannot write: {error.strerror or error}")
    try:
        with open(handle, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, str(path))
    except OSError as error:
        raise fail(f"{path}: cannot write: {error.strerror or error}")
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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



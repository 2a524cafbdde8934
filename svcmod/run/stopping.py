"""Ctrl-C and SIGTERM during a run: stop checking, write nothing more, say what was written; twice: at once."""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Iterator, List, Optional


class Interrupted(Exception):
    """The run was stopped by a signal; ``written`` lists the files already written (display names)."""

    def __init__(self, signum: int, written: Optional[List[str]] = None) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.written = list(written or [])

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # what a shell reports for a process a signal ended: 130, 143


class StopRequest:
    """Set by the first SIGINT/SIGTERM; the run looks at it between files."""

    def __init__(self) -> None:
        self.signum: Optional[int] = None

    def __call__(self) -> bool:
        return self.signum is not None

    def check(self, written: Optional[List[str]] = None) -> None:
        if self.signum is not None:
            raise Interrupted(self.signum, written)


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """While inside, SIGINT and SIGTERM ask the run to stop (a second one ends the process at once,
    workers included: they die with it). Outside the main thread signals cannot be caught: the
    request then never comes (an editor's language server stops its own way)."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handle(signum, frame) -> None:
        if request.signum is not None:
            os._exit(128 + signum)
        request.signum = signum

    previous = {number: signal.signal(number, handle) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)

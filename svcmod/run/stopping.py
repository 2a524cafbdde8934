"""Ctrl-C and SIGTERM: during a run, stop checking, write nothing more, say what was written; twice: at once."""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Iterator, List, Optional


class Interrupted(BaseException):
    """The run was stopped by a signal; ``written`` lists the files already written (display names).

    A BaseException, as KeyboardInterrupt is: no ``except Exception`` on the way takes it for an error."""

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
        if request.signum is not None or _FIRST[0]:
            _end_at_once(signum)
            return
        request.signum = _FIRST[0] = signum

    previous = {number: signal.signal(number, handle) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


#: The first SIGINT/SIGTERM the process got (0: none yet): any later one ends it at once.
_FIRST: List[int] = [0]
#: While a file is being written: [0], or the exit code a second signal asked for meanwhile.
_WRITING: List[int] = []


def _end_at_once(signum: int, frame: object = None) -> None:
    if _WRITING:
        _WRITING[0] = 128 + signum  # the file being written is finished first: never half of one
        return
    os._exit(128 + signum)


@contextmanager
def whole_write() -> Iterator[None]:
    """A second Ctrl-C that comes while a file is written ends the process once the write is done
    (milliseconds), so that the file is whole and no temporary file is left behind."""
    if _WRITING:
        yield
        return
    _WRITING.append(0)
    try:
        yield
    finally:
        code = _WRITING.pop()
        if code:
            os._exit(code)


@contextmanager
def interrupt_anywhere() -> Iterator[None]:
    """Outside a run (reading configuration, finding files): SIGINT and SIGTERM raise Interrupted
    where the program is, so the command ends with its own message and exit code, not click's
    "Aborted!" or no message at all. Inside a run, ``stop_on_signals`` takes over."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum, frame) -> None:
        if _FIRST[0]:
            _end_at_once(signum)
            return
        _FIRST[0] = signum
        raise Interrupted(signum)

    previous = {number: signal.signal(number, handle) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            # once stopping, the process is about to end: another signal must not raise in its way out
            signal.signal(number, _end_at_once if _FIRST[0] else handler)

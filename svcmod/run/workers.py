"""Worker processes that check files so that no single file can crash, hang or exhaust the run.

Files are checked in worker processes: LibCST's native parser can segfault on valid code (9,000
``elif`` branches), take minutes (a 20,000-term ``+`` chain) or gigabytes. Only a run of a few
small, shallow files (a commit hook's) is checked in the main process (``run_here``; the engine
decides which runs can). A worker that dies costs the file it was on (reported, not checked) and is replaced; a
file that takes longer than its time limit has its worker killed; each file runs under a memory
limit (``RLIMIT_AS``). Workers never write files: the main process writes each result as it
arrives, so everything written has been accounted for, and a stop (Ctrl-C, SIGTERM) ends the
workers without any further write.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Deque, List, Optional, Sequence, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.connection import Connection

#: How often the main process looks at whether it was asked to stop, at most (seconds).
POLL_SECONDS = 0.2
#: Jobs sent to a worker and not answered yet, at most.
AHEAD = 2
#: What a worker sends, in place of a job's index, once it is set up.
READY = -1
#: A job that does not finish within this many times its processor time limit of wall-clock time
#: is stopped too (a worker blocked without using the processor).
WALL_FACTOR = 10


@dataclass(frozen=True)
class Job:
    """One file's work: what the worker gets, and the limits it runs under."""

    payload: Any
    seconds: float  # processor time limit (a busy machine does not make a file go over it)
    memory_mib: int  # memory limit above what the worker held when it started


@dataclass(frozen=True)
class Lost:
    """Why a job gave no result."""

    reason: str  # "crashed", "time", "memory", "error"
    detail: str = ""


#: The main process's ends of every worker's pipe: a forked worker closes the copies it inherits,
#: so that a worker notices when the main process goes away.
_MAIN_ENDS: List[Connection] = []


def _context():
    # imported here: a commit hook's run checks its files in this process (run_here) and never
    # needs it (10 ms of its start)
    import multiprocessing
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform != "darwin" else None)


class _Worker:
    def __init__(self, context, work: Callable[[Any], Any], init: Callable[..., None], init_args: tuple) -> None:
        self.conn, child = context.Pipe(duplex=True)
        _MAIN_ENDS.append(self.conn)
        self.process = context.Process(target=_serve, args=(child, work, init, init_args), daemon=True)
        self.process.start()
        child.close()
        self.queue: Deque[int] = deque()  # indexes of the jobs sent and not answered, in order
        self.started = time.monotonic()  # when the job at the head of the queue started
        self.ready = False  # set up (the time limits apply from then on)

    def send(self, index: int, job: Job) -> None:
        self.conn.send((index, job))
        if not self.queue:
            self.started = time.monotonic()
        self.queue.append(index)

    def end(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(timeout=None if kill else 5)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        self.conn.close()
        if self.conn in _MAIN_ENDS:
            _MAIN_ENDS.remove(self.conn)


def run_jobs(jobs: Sequence[Job], work: Callable[[Any], Any], init: Callable[..., None], init_args: tuple,
             processes: int, done: Callable[[int, Any], None], lost: Callable[[int, Lost], None],
             stop: Callable[[], bool] = lambda: False) -> bool:
    """Run ``work(job.payload)`` for every job in up to ``processes`` workers (each set up by
    ``init(*init_args)``), calling ``done(index, result)`` or ``lost(index, why)`` in the main
    process as each finishes. Returns False if ``stop()`` became true (the workers are then ended
    at once and the remaining jobs left undone)."""
    if not jobs:
        return True
    from multiprocessing.connection import wait
    context = _context()
    pending: Deque[int] = deque(range(len(jobs)))
    workers: List[_Worker] = []
    try:
        for _ in range(max(1, min(processes, len(jobs)))):
            workers.append(_Worker(context, work, init, init_args))
        while pending or any(w.queue for w in workers):
            if stop():
                return False
            # one job running and one waiting in each worker: no pause between files, and a slow
            # file holds back at most one other; a job each before a second one to any
            for depth in range(1, AHEAD + 1):
                for worker in workers:
                    if pending and len(worker.queue) < depth:
                        index = pending.popleft()
                        try:
                            worker.send(index, jobs[index])
                        except OSError:
                            pending.appendleft(index)  # it died: its sentinel says so below
            now = time.monotonic()
            deadlines = [w.started + jobs[w.queue[0]].seconds * WALL_FACTOR for w in workers if w.queue and w.ready]
            timeout = max(0.0, min([POLL_SECONDS, *(d - now for d in deadlines)]))
            ready = wait([w.conn for w in workers] + [w.process.sentinel for w in workers], timeout)
            for worker in list(workers):
                replace = False
                if worker.conn in ready or worker.process.sentinel in ready:
                    replace = not _receive(worker, jobs, done, lost)
                elif (worker.queue and worker.ready
                      and time.monotonic() > worker.started + jobs[worker.queue[0]].seconds * WALL_FACTOR):
                    worker.process.kill()
                    late = worker.queue.popleft()
                    lost(late, Lost("time", f"{jobs[late].seconds:g}"))
                    replace = True
                if replace:
                    pending.extendleft(reversed(worker.queue))  # unstarted jobs go to the next worker
                    worker.queue.clear()
                    worker.end(kill=True)
                    workers[workers.index(worker)] = _Worker(context, work, init, init_args)
        return True
    finally:
        stopping = stop()
        for worker in workers:
            worker.end(kill=stopping or bool(worker.queue))


def run_here(jobs: Sequence[Job], work: Callable[[Any], Any], init: Callable[..., None], init_args: tuple,
             done: Callable[[int, Any], None], lost: Callable[[int, Lost], None],
             stop: Callable[[], bool] = lambda: False) -> bool:
    """``run_jobs`` in this process, for jobs the caller judged unable to crash it (no fork, no
    pipe: a few files at a commit hook's pace). No time or memory limit applies here."""
    init(*init_args)
    for index, job in enumerate(jobs):
        if stop():
            return False
        try:
            result = work(job.payload)
        except MemoryError:
            lost(index, Lost("memory", f"{job.memory_mib}"))
            continue
        except Exception as error:  # the work reports its own errors; this is a last resort
            lost(index, Lost("error", f"{type(error).__name__}: {error}"))
            continue
        done(index, result)
    return not stop()


def _receive(worker: _Worker, jobs: Sequence[Job], done: Callable[[int, Any], None],
             lost: Callable[[int, Lost], None]) -> bool:
    """Take every answer the worker has sent; False if it has died (its current job is then lost)."""
    alive = worker.process.is_alive()  # before reading: a dead worker's last answers are all in the pipe
    try:
        while worker.conn.poll():
            index, (status, value) = worker.conn.recv()
            worker.started = time.monotonic()
            if index == READY:
                worker.ready = True
                continue
            worker.queue.popleft()
            if status == "done":
                done(index, value)
            else:
                lost(index, Lost(status, value))
    except (EOFError, OSError):
        pass
    if alive:
        return True
    worker.process.join()
    if worker.queue:
        code = worker.process.exitcode or 0
        index = worker.queue.popleft()
        if code == -getattr(signal, "SIGXCPU", -1):  # the processor time limit, set by _limit
            lost(index, Lost("time", f"{jobs[index].seconds:g}"))
        else:
            lost(index, Lost("crashed", _signal_name(-code) if code < 0 else f"exit code {code}"))
    return False


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# -- in the worker --------------------------------------------------------------------------
def _serve(conn: Connection, work: Callable[[Any], Any], init: Callable[..., None], init_args: tuple) -> None:
    _become_worker(conn)
    init(*init_args)
    base = _address_space()
    try:
        conn.send((READY, ("ready", None)))  # the first file's time starts now, not before set-up
    except (OSError, ValueError):
        return
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, job = message
        _limit(base, job)
        try:
            answer: Tuple[str, Any] = ("done", work(job.payload))
        except MemoryError:
            answer = ("memory", f"{job.memory_mib}")
        except Exception as error:  # the work reports its own errors; this is a last resort
            answer = ("error", f"{type(error).__name__}: {error}")
        finally:
            _limit(base, None)
        try:
            conn.send((index, answer))
        except (OSError, ValueError):
            return
        except Exception as error:  # e.g. a result that cannot be pickled
            conn.send((index, ("error", f"{type(error).__name__}: {error}")))


def _become_worker(conn: Connection) -> None:
    """Ignore Ctrl-C (the main process decides), die with the main process, hold no other pipe,
    and die quietly: a worker that crashes costs one file, reported as SVC901 (which says how it
    died), so a faulthandler inherited from the parent (pytest turns it on) must not print the
    worker's stack on stderr. One the user asked for (``-X faulthandler``, ``PYTHONFAULTHANDLER``)
    stays on."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    asked = "faulthandler" in getattr(sys, "_xoptions", {}) or os.environ.get("PYTHONFAULTHANDLER")
    if not asked and "faulthandler" in sys.modules:
        sys.modules["faulthandler"].disable()
    for other in _MAIN_ENDS:
        if other is not conn:
            try:
                other.close()
            except OSError:
                pass
    _MAIN_ENDS.clear()
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() == 1:
        os._exit(0)  # the main process is already gone


def _address_space() -> Optional[int]:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def _limit(base: Optional[int], job: Optional[Job]) -> None:
    """Limits for one job (None: lift them): address space above ``base``, and processor time from
    now (going over it, the kernel ends the worker with SIGXCPU)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    for kind, amount in ((resource.RLIMIT_AS, _memory_limit(base, job)), (resource.RLIMIT_CPU, _cpu_limit(job))):
        try:
            soft, hard = resource.getrlimit(kind)
            limit = hard if amount is None else amount if hard == resource.RLIM_INFINITY else min(amount, hard)
            if limit != soft:
                resource.setrlimit(kind, (limit, hard))
        except (ValueError, OSError):
            pass


def _memory_limit(base: Optional[int], job: Optional[Job]) -> Optional[int]:
    return None if job is None or base is None else base + job.memory_mib * 1024 * 1024


def _cpu_limit(job: Optional[Job]) -> Optional[int]:
    if job is None:
        return None
    import math
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return math.ceil(usage.ru_utime + usage.ru_stime + job.seconds)

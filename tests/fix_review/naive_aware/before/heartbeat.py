"""Marks workers dead when their heartbeat is too old; the scheduler library stores naive times."""

from datetime import datetime, timedelta

DEAD_AFTER = timedelta(minutes=2)


def is_dead(worker) -> bool:
    return datetime.utcnow() - worker.last_heartbeat > DEAD_AFTER


def next_run(interval_seconds: int) -> datetime:
    now = datetime.utcnow()
    return now + timedelta(seconds=interval_seconds)


def overdue(job) -> bool:
    deadline = datetime.utcfromtimestamp(job.created) + timedelta(hours=1)
    return deadline < datetime.utcnow()

"""The job-queue worker: waits in BLPOP for jobs, for minutes when idle."""

import os

import redis
from rq import Queue, Worker

connection = redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0"))
cache = redis.Redis(host=os.environ.get("CACHE_HOST", "localhost"), db=1)


def main() -> None:
    queues = [Queue(name, connection=connection) for name in ("high", "default")]
    Worker(queues, connection=connection).work()

"""Fans out events from a redis stream; a pub/sub channel tells it to reload."""

import redis


class Notifier:
    def __init__(self, url: str) -> None:
        self.events = redis.Redis.from_url(url, socket_connect_timeout=10)
        self.control = redis.Redis.from_url(url, db=2, socket_connect_timeout=10)
        self.stats = redis.Redis.from_url(
            url, db=3, socket_timeout=10, socket_connect_timeout=10
        )

    def next_batch(self, last_id: str):
        return self.events.xread({"events": last_id}, count=100, block=5000)

    def wait_for_reload(self) -> None:
        channel = self.control.pubsub()
        channel.subscribe("reload")
        for message in channel.listen():
            if message["type"] == "message":
                return

    def count(self, key: str) -> None:
        self.stats.incr(key)

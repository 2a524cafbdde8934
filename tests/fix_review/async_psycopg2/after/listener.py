"""LISTEN/NOTIFY bridge: an asynchronous connection polled from the event loop."""

import psycopg2


def connect_async(dsn: str):
    return psycopg2.connect(dsn, async_=True)


def connect_admin(dsn: str):
    return psycopg2.connect(dsn, application_name="bridge-admin", connect_timeout=5)

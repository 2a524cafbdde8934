"""Pushes ledger batches to the bank; written for a 79-column project."""

from tenacity import (
    retry,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_fixed,
    wait_random,
)
from tenacity import retry as tenacity_retry


class TransientBankError(Exception):
    pass


def _is_transient(error):
    return isinstance(error, TransientBankError)


@retry(
    stop=stop_after_attempt(4),
    wait=wait_exponential(multiplier=0.2, max=1) + wait_random(0, 1),
    retry=retry_if_exception_type() & retry_if_exception(_is_transient),
    reraise=True,
)
def push_batch(client, batch):
    return client.push(batch)


@retry(
    stop=stop_after_attempt(3),
    wait=wait_fixed(0.25) + wait_random(0, 1),
    reraise=True,
)
def fetch_statement(client, day):
    return client.statement(day)


@tenacity_retry(
    stop=stop_after_attempt(5),
    wait=wait_exponential(max=8) + wait_random(0, 1),
)
def confirm(client, batch_id):
    return client.confirm(batch_id)

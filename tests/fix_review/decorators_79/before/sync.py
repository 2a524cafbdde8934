"""Pushes ledger batches to the bank; written for a 79-column project."""

from retrying import retry
from tenacity import retry as tenacity_retry
from tenacity import stop_after_attempt, wait_exponential


class TransientBankError(Exception):
    pass


def _is_transient(error):
    return isinstance(error, TransientBankError)


@retry(
    stop_max_attempt_number=4,
    wait_exponential_multiplier=100,
    wait_exponential_max=1000,
    retry_on_exception=_is_transient,
)
def push_batch(client, batch):
    return client.push(batch)


@retry(stop_max_attempt_number=3, wait_fixed=250)
def fetch_statement(client, day):
    return client.statement(day)


@tenacity_retry(stop=stop_after_attempt(5), wait=wait_exponential(max=8))
def confirm(client, batch_id):
    return client.confirm(batch_id)

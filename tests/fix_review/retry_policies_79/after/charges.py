"""Charges cards through the processor; a 79-column project whose retry
policies live in another module (the migration cannot see what they are)."""

from tenacity import (
    retry,
    retry_if_exception,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_fixed,
    wait_random_exponential,
    wait_random,
)

from payments import policies
from payments.policies import RETRYABLE


@retry(
    stop=stop_after_attempt(3),
    retry=(
        retry_if_exception_type(RETRYABLE)
        if isinstance(RETRYABLE, tuple)
        else retry_if_exception_type() & retry_if_exception(RETRYABLE)
    ),
    reraise=True,
    wait=wait_random_exponential(multiplier=0.5, max=2),
)
def capture(client, charge_id):
    return client.capture(charge_id)


class Refunds:
    @retry(
        stop=stop_after_attempt(5),
        wait=wait_fixed(0.5) + wait_random(0, 1),
        retry=(
            retry_if_exception_type(policies.is_declined_soft)
            if isinstance(policies.is_declined_soft, tuple)
            else retry_if_exception_type()
            & retry_if_exception(policies.is_declined_soft)
        ),
        reraise=True,
    )
    def refund(self, client, charge_id):
        return client.refund(charge_id)


@retry(
    retry=(
        retry_if_exception_type(RETRYABLE)
        if isinstance(RETRYABLE, tuple)
        else retry_if_exception_type() & retry_if_exception(RETRYABLE)
    )
    | retry_if_result(lambda r: r is None),
    reraise=True,
    stop=stop_after_attempt(5),
    wait=wait_random_exponential(multiplier=0.5, max=2),
)
def lookup(client, charge_id):
    return client.lookup(charge_id)

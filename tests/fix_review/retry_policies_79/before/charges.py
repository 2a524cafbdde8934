"""Charges cards through the processor; a 79-column project whose retry
policies live in another module (the migration cannot see what they are)."""

from retrying import retry

from payments import policies
from payments.policies import RETRYABLE


@retry(stop_max_attempt_number=3, retry_on_exception=RETRYABLE)
def capture(client, charge_id):
    return client.capture(charge_id)


class Refunds:
    @retry(
        stop_max_attempt_number=5,
        wait_fixed=500,
        retry_on_exception=policies.is_declined_soft,
    )
    def refund(self, client, charge_id):
        return client.refund(charge_id)


@retry(retry_on_exception=RETRYABLE, retry_on_result=lambda r: r is None)
def lookup(client, charge_id):
    return client.lookup(charge_id)

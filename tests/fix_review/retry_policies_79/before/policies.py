"""Which errors of the card processor are worth another attempt."""

RETRYABLE = (ConnectionError, TimeoutError)


def is_declined_soft(error):
    return getattr(error, "code", None) in ("try_again", "busy")

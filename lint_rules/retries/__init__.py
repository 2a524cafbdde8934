"""Retries (SVC2xx): unbounded, un-jittered, non-idempotent and nested retries."""

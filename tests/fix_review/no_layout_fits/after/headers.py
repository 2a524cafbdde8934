"""Lookups whose calls sit in `if`, `elif` and `while` headers, which no layout breaks."""

import requests


def wait_until_ready(url, params_of_the_readiness_check, attempts_left):
    while requests.get(url, params=params_of_the_readiness_check).status_code != 200:
        attempts_left -= 1
    if attempts_left:
        return requests.get(url, params=params_of_the_readiness_check, timeout=10)
    elif requests.head(url, params=params_of_the_readiness_check).status_code == 404:
        return None
    return attempts_left

"""Readiness probes whose calls sit in match, case and for headers."""

import requests


def classify(url, params_of_the_readiness_probe):
    match requests.get(url, params=params_of_the_readiness_probe).status_code:
        case 200:
            return "ready"
        case 503 if requests.head(url, params=params_of_the_probe).ok:
            return "starting"
    return "down"


def first_ready(urls, params_for_each_url_of_probe):
    for url in requests.get(urls, params=params_for_each_url_of_probe).json():
        return url
    else:
        return requests.get(
            urls, params=params_for_each_url_of_probe, timeout=10
        )

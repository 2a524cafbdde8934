"""Lookups awaited or yielded, laid out as ruff lays them out."""

import requests


async def ready(client, url, params_of_the_readiness_probe_for_this_url):
    await requests.get(
        url, params=params_of_the_readiness_probe_for_this_url, timeout=10
    )
    status = await requests.get(
        url, params=params_of_the_readiness_probe, timeout=10
    )
    return status


def pages(url, params_of_the_readiness_probe_for_this_url_and_page):
    yield requests.get(
        url, params=params_of_the_readiness_probe_for_this_url, timeout=10
    )
    yield from requests.get(
        url, params=params_of_the_readiness_probe, timeout=10
    ).json()

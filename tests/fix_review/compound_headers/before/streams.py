"""Lookups awaited or yielded, laid out as ruff lays them out."""

import requests


async def ready(client, url, params_of_the_readiness_probe_for_this_url):
    await requests.get(url, params=params_of_the_readiness_probe_for_this_url)
    status = await requests.get(url, params=params_of_the_readiness_probe)
    return status


def pages(url, params_of_the_readiness_probe_for_this_url_and_page):
    yield requests.get(url, params=params_of_the_readiness_probe_for_this_url)
    yield from requests.get(url, params=params_of_the_readiness_probe).json()

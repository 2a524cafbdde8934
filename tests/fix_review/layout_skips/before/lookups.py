"""Catalog lookups: a comment, a with of two items, returns that break."""

import requests


def fetch(order_id):
    response = requests.get(f"{BASE}/orders/{order_id}", headers=H)  # hot path
    return response


def fetch_noqa(order_id):
    response = requests.get(f"{BASE}/orders/{order_id}", headers=HDR)  # noqa: S113
    return response


def download(url, path):
    with requests.get(url, stream=True) as response, open(path, "wb") as out:
        out.write(response.content)


def lookup(key):
    return cached.get(key) or requests.get(f"{BASE}/items/{key}", headers=H)


def lookup2(key):
    return cached.get(key) or fallback.value or requests.get(f"{BASE}/i/{k}")


def total(key):
    return base_amount_for_customer + requests.get(f"{BASE}/{key}").json()

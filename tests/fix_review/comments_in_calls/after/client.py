"""Order lookups: calls holding comments, and a backslash."""

import requests


def comment_inside(url, order_headers_for_the_lookup_of_one):
    r = requests.get(url, params={"a": 1,  # page size
        "b": 2}, headers=order_headers_for_the_lookup_of_one, allow_redirects=False,
        timeout=10)
    return r


def comment_after_last(url, order_headers):
    r = requests.get(url, headers=order_headers, allow_redirects=False,  # no hops
        timeout=10
    )
    return r


def comment_before_close(url, order_headers_for_the_lookup_of_a_customers_of_x):
    r = requests.get(url, params={"a": 1,  # page size
        "b": 2}, headers=order_headers_for_the_lookup_of_a_customers_of_x,  # auth
        timeout=10,
    )
    return r


def backslash(cache, url, order_headers_for_the_lookup_of_a_customer_order):
    r = cache.get(url) or \
        requests.get(url, headers=order_headers_for_the_lookup_of_a_customer_order,
        timeout=10)
    return r

"""A lookup whose call no layout keeps within 88 columns once it has a timeout."""

import requests


def no_layout_fits(url, params):
    r = requests.get(url,  # auth
        params).json()["the_key_of_the_order_that_is_long_enough_to_fill_the_line_up"]
    return r

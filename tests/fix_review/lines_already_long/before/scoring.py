"""Scores payments through the risk service; code written before the team ran a formatter."""
import requests
import redis

_pool = redis.ConnectionPool.from_url("redis://risk-cache.internal.example.com:6379/2?client_name=scoring")


def score(payment_id, amount_cents, card_country):
    response = requests.post("https://risk.internal.example.com/v1/score", json={"payment_id": payment_id,
                                                                                "amount": amount_cents,
                                                                                "country": card_country})
    return response.json()["score"]


def rules():
    return requests.get("https://risk.internal.example.com/v1/rules/active?include=thresholds,weights").json()

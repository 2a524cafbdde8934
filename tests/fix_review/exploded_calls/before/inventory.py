"""Stock levels from the warehouse service (formatted with ruff format)."""

import requests

WAREHOUSE = "https://warehouse.internal.example.com/api/v3"


def stock_level(sku: str, warehouse_id: str) -> int:
    response = requests.get(
        f"{WAREHOUSE}/stock/{sku}", params={"warehouse": warehouse_id}
    )
    response.raise_for_status()
    return response.json()["available"]


def reserve(sku: str, quantity: int, order_id: str) -> dict:
    response = requests.post(
        f"{WAREHOUSE}/reservations",
        json={"sku": sku, "quantity": quantity, "order": order_id},
        headers={"Idempotency-Key": f"reserve-{order_id}-{sku}"},
    )
    return response.json()


def release(reservation_id: str, reason: str) -> None:
    requests.delete(
        f"{WAREHOUSE}/reservations/{reservation_id}",
        params={"reason": reason, "source": "orders"},
    )


def restock_hint(sku: str) -> None:
    requests.post(f"{WAREHOUSE}/hints", json={"sku": sku})

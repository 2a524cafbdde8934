"""Billing client: calls the invoicing API."""

import requests

BASE = "https://billing.internal.example.com"


def create_invoice(customer_id, lines):
    response = requests.post(
        f"{BASE}/invoices",
        json={"customer": customer_id, "lines": lines},
        headers={"Accept": "application/json"},
    )
    return response.json()


def list_invoices(customer_id):
    return requests.get(
        f"{BASE}/invoices", params={"customer": customer_id}
    ).json()


def legacy_export(path):
    return requests.get(f"{BASE}/export/{path}",
                        verify=False
    )


def void_invoice(invoice_id, reason):
    return requests.post(
        f"{BASE}/invoices/{invoice_id}/void",
        json={"reason": reason},  # shown to the customer
        allow_redirects=False,
        # the API answers 303 on success
    )


def ping():
    return requests.head(BASE).ok


def download_statement(customer_id, month):
    return requests.get(f"{BASE}/statements/{customer_id}/{month}.pdf", stream=True)

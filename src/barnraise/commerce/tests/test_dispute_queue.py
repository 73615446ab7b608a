"""Every open dispute reaches the operators' queue in the admin (issue #17, item 24), whatever
the version of the deal's process."""

from typing import Any

import pytest
from django.test import Client

from barnraise.accounts.services import operator_create
from barnraise.commerce.models import Dispute, Transaction

pytestmark = pytest.mark.django_db


def support_page() -> Client:
    operator = operator_create(
        email="ops@example.com", name="Ops", password="pw-123456789", groups=["support"]
    )
    page = Client()
    page.force_login(operator)
    return page


def completed_v1_purchase(customer: Any, listing: Any) -> Transaction:
    """A purchase that started on version 1 (no money steps), as the demo's older ones did."""
    item = listing("sale")
    return Transaction.objects.create(
        process="purchase",
        process_version=1,
        state="completed",
        listing=item,
        customer=customer.user,
        provider=item.author,
        currency="EUR",
    )


def test_a_dispute_on_a_version_1_deal_is_in_the_operators_queue(customer: Any, listing: Any) -> None:
    # given a completed purchase on version 1 of its process
    tx = completed_v1_purchase(customer, listing)
    # when the customer disputes it through the API
    opened = customer.call("POST", f"transactions/{tx.pk}/disputes", json={"reason": "It never came"})
    # then the dispute is recorded, and the support operator's queue lists it as open
    assert opened.status_code == 201, opened.content
    assert (opened.json()["status"], opened.json()["opened_as"]) == ("open", "customer")
    queue = support_page().get("/admin/commerce/dispute/")
    assert queue.status_code == 200
    html = queue.content.decode()
    assert str(tx.pk) in html and "1 dispute" in html
    dispute = Dispute.objects.get()
    assert (dispute.reason, dispute.opened_by_id, dispute.status) == (
        "It never came",
        customer.user.pk,
        "open",
    )

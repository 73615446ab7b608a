"""Receipts and invoices, as the parties get them: through the API, as PDF and as numbers.

A €200.00 bike with VAT at 20% of the price (a tax line the test adds to the pricing until the
taxes land; see `vat`): the customer pays €200.00 + €40.00 VAT + €10.50 service fee = €250.50;
the seller's commission is €20.00.
"""

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import ANY

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from barnraise.commerce.models import TaxRate
from barnraise.conftest import after_commit
from barnraise.eventlog.models import Event
from barnraise.ledger import paperwork
from barnraise.ledger.models import DocumentCounter, PaperworkPolicy
from barnraise.ledger.payments import provider_calls_sweep
from barnraise.ledger.tests.conftest import book, buy, numbers, papers, pdf_text, step, sweep_at
from barnraise.money import Money
from barnraise.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_the_customer_gets_a_receipt_and_the_seller_a_fee_invoice(customer, provider, listing, api_as, vat):
    bike = listing("sale", stock=2)
    business = {"business_name": "Cam's Cycles", "tax_number": "BE0123456789"}
    assert customer.call("PATCH", "me", json=business).json()["tax_number"] == "BE0123456789"
    tx = buy(customer, bike)
    assert tx["total"]["amount_minor"] == 25260  # €200 + €10.50 fee + 20% VAT on each
    assert papers(customer) == []  # a hold is no payment: nothing yet
    # when the seller accepts, the money is taken, and the customer has a receipt
    step(provider, tx["id"], "accept")
    (receipt,) = papers(customer, transaction_id=tx["id"])
    year = timezone.now().year
    assert (receipt["kind"], receipt["number"]) == ("receipt", f"BR-{year}-000001")
    assert receipt["total"] == Money(25260, "EUR").as_json()
    assert receipt["taxes"] == Money(4210, "EUR").as_json()
    assert receipt["subtotal"]["amount_minor"] == 21050
    assert sorted((line["label"], line["amount"]["amount_minor"]) for line in receipt["lines"]) == sorted(
        [(receipt["lines"][0]["label"], 20000), ("Service fee", 1050), ("VAT 20%", 4000), ("VAT 20%", 210)]
    )
    assert {p["role"]: (p["name"], p["tax_number"]) for p in receipt["parties"]}["To"] == (
        "Cam's Cycles",
        "BE0123456789",
    )
    # its PDF shows the number, the taxes and the total
    pdf = customer.get(receipt["pdf_url"], headers={"Authorization": f"Bearer {customer.token}"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for shown in (f"BR-{year}-000001", "€252.60", "€42.10", "VAT 20%", "Cam's Cycles", "BE0123456789"):
        assert shown in text, (shown, text)
    # the customer was told, in words, with a link; the log has the event
    told = Notification.objects.get(recipient=customer.user, kind="document_ready")
    assert told.url == receipt["html_url"] and f"BR-{year}-000001" in told.title
    assert Event.objects.filter(type="ledger:document:issued", subject_id=receipt["id"]).exists()
    # nobody else reads it
    stranger = api_as(name="Sam Stranger")
    assert stranger.call("GET", f"paperwork/{receipt['id']}").status_code == 404
    assert (
        stranger.get(receipt["pdf_url"], headers={"Authorization": f"Bearer {stranger.token}"}).status_code
        == 404
    )
    assert papers(stranger) == []
    # when the deal completes, the seller gets the invoice for the commission, next in the series
    step(provider, tx["id"], "mark_shipped", tracking="BE1")
    step(customer, tx["id"], "confirm_receipt")
    (invoice,) = [p for p in papers(provider) if p["kind"] == "fee_invoice"]
    assert invoice["number"] == f"BR-{year}-000002"
    assert invoice["total"] == Money(2400, "EUR").as_json()  # the commission and its VAT
    assert invoice["taxes"] == Money(400, "EUR").as_json()
    assert customer.call("GET", f"paperwork/{invoice['id']}").status_code == 404
    assert "€20.00" in pdf_text(
        provider.get(invoice["pdf_url"], headers={"Authorization": f"Bearer {provider.token}"}).content
    )


def test_every_refund_gets_a_refund_receipt(customer, provider, listing):
    room = listing()
    tx = book(customer, room).json()
    step(provider, tx["id"], "accept")
    # when the provider cancels after the money was taken, all of it goes back, with a receipt
    step(provider, tx["id"], "cancel_by_provider", reason="Double-booked")
    kinds = {p["kind"]: p for p in papers(customer, transaction_id=tx["id"])}
    assert set(kinds) == {"receipt", "refund_receipt"}
    assert kinds["refund_receipt"]["total"]["amount_minor"] == tx["total"]["amount_minor"]
    # nothing kept, nothing to invoice the provider; the numbers follow one another
    assert papers(provider) == []
    assert numbers() == [1, 2]


def test_providers_invoice_in_a_series_of_their_own_when_the_operator_lets_them(
    customer, provider, listing, api_as
):
    PaperworkPolicy.objects.create(providers_issue_invoices=True)
    bike = listing("sale", stock=3)
    for _ in range(2):
        step(provider, buy(customer, bike)["id"], "accept")
    invoices = [p for p in papers(customer) if p["kind"] == "provider_invoice"]
    year = timezone.now().year
    assert sorted(p["number"] for p in invoices) == [f"INV-{year}-000001", f"INV-{year}-000002"]
    # the provider issued them, so they read them; the fee is the marketplace's, not theirs
    assert {p["id"] for p in papers(provider)} == {p["id"] for p in invoices}
    assert all("Service fee" not in [line["label"] for line in p["lines"]] for p in invoices)
    assert invoices[0]["total"]["amount_minor"] == 20000
    assert numbers(paperwork.provider_series(provider.user.pk)) == [1, 2]
    assert numbers() == [1, 2]  # the receipts keep the marketplace's series


def test_an_included_vat_is_shown_never_added_and_the_fee_s_tax_is_not_the_provider_s(
    customer, provider, listing
):
    # given VAT of 21% included in prices and fees, and providers who invoice their customers
    TaxRate.objects.create(label="VAT", country="BE", percent=Decimal(21), inclusive=True)
    PaperworkPolicy.objects.create(providers_issue_invoices=True)
    tx = buy(customer, listing("sale", stock=1))
    # when the seller accepts
    step(provider, tx["id"], "accept")
    # then the receipt's total is what was paid, the VAT inside it shown as included
    mine = papers(customer, transaction_id=tx["id"])
    (receipt,) = [p for p in mine if p["kind"] == "receipt"]
    assert receipt["total"] == tx["total"]
    included = [line for line in receipt["lines"] if line["label"].endswith("included in the price")]
    assert len(included) == 2 and receipt["taxes"]["amount_minor"] == sum(
        line["amount"]["amount_minor"] for line in included
    )
    # and the provider's invoice is their price, its VAT inside it: no fee, nor the fee's VAT
    (invoice,) = [p for p in mine if p["kind"] == "provider_invoice"]
    assert invoice["total"]["amount_minor"] == 20000
    assert [line["label"] for line in invoice["lines"]][1:] == ["VAT 21%, included in the price"]


def test_a_payment_that_fails_and_rolls_back_leaves_no_gap(customer, provider, listing, monkeypatch):
    bike = listing("sale", stock=3)
    first, second, third = (buy(customer, bike)["id"] for _ in range(3))
    step(provider, first, "accept")
    # when the capture's transaction fails after its receipt was numbered, all of it rolls back
    real_send = paperwork.notification_send

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("the notification could not be written")

    monkeypatch.setattr(paperwork, "notification_send", broken)
    step(provider, second, "accept")
    assert numbers() == [1]
    assert DocumentCounter.objects.get(series=paperwork.MARKETPLACE_SERIES).last == 1
    monkeypatch.setattr(paperwork, "notification_send", real_send)
    # the next payment takes the next number, and the failed one its own when it is reported again
    step(provider, third, "accept")
    assert numbers() == [1, 2]
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        after_commit(provider_calls_sweep)
    assert numbers() == [1, 2, 3]
    assert {p["transaction_id"] for p in papers(customer)} == {first, second, third}


def test_the_pages_show_and_print_the_documents_to_their_parties_only(customer, provider, listing, api_as):
    bike = listing("sale", stock=2)
    tx = buy(customer, bike)
    step(provider, tx["id"], "accept")
    (receipt,) = papers(customer)
    page = Client()
    page.force_login(customer.user)
    # the deal page and the wallet list the receipt, with its PDF
    for url in (f"/transactions/{tx['id']}/", "/wallet/"):
        shown = page.get(url).content.decode()
        assert receipt["number"] in shown and f"/paperwork/{receipt['id']}/pdf/" in shown, url
    # its page shows the parties, the lines and the total, printable
    detail = page.get(receipt["html_url"])
    assert detail.status_code == 200
    text = detail.content.decode()
    for shown in (
        receipt["number"],
        "€210.50",
        "Service fee",
        "Cam Customer",
        "Pat Provider",
        "paperwork.css",
    ):
        assert shown in text, shown
    pdf = page.get(f"/paperwork/{receipt['id']}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and receipt["number"] in pdf_text(pdf.content)
    # the seller sees the deal, but not the customer's receipt; a stranger sees nothing
    seller = Client()
    seller.force_login(provider.user)
    assert receipt["number"] not in seller.get(f"/transactions/{tx['id']}/").content.decode()
    stranger = Client()
    stranger.force_login(api_as(name="Sam Stranger").user)
    for client in (seller, stranger):
        assert client.get(receipt["html_url"]).status_code == 404
        assert client.get(f"/paperwork/{receipt['id']}/pdf/").status_code == 404


def test_the_data_export_has_the_deals_the_money_the_papers_and_the_reviews_received(
    customer, provider, listing
):
    bike = listing("sale", stock=2)
    sold = buy(customer, bike)
    step(provider, sold["id"], "accept")
    step(provider, sold["id"], "mark_shipped", tracking="BE1")
    step(customer, sold["id"], "confirm_receipt")
    review = {"rating": 5, "text": "Smooth and friendly."}
    for client in (customer, provider):
        url = f"transactions/{sold['id']}/reviews"
        assert after_commit(lambda c=client, u=url: c.call("POST", u, json=review)).status_code == 201
    room = book(customer, listing()).json()
    step(provider, room["id"], "accept")
    step(provider, room["id"], "cancel_by_provider", reason="Double-booked")
    sweep_at(timezone.now() + timedelta(days=9))  # the sale's dispute window closed
    assert (
        after_commit(lambda: provider.call("POST", "me/payouts", json={"currency": "EUR"})).status_code == 201
    )
    # the customer's export, through the API and the page alike
    body = customer.call("GET", "me/export").json()
    page = Client()
    page.force_login(customer.user)
    assert json.loads(page.get("/account/export/").content) == body
    assert {d["id"] for d in body["deals"]} == {sold["id"], room["id"]}
    assert body["deals"][0]["total"] == Money(21050, "EUR").as_json()
    assert {p["transaction"] for p in body["payments"]} == {sold["id"], room["id"]}
    assert body["refunds"] == [
        {"transaction": room["id"], "amount": Money(3200, "EUR").as_json(), "created_at": ANY}
    ]
    kinds = sorted(p["kind"] for p in body["receipts_and_invoices"])
    assert kinds == ["receipt", "receipt", "refund_receipt"]
    assert [r["rating"] for r in body["reviews_received"]] == [5]
    # the provider's: their payout and their fee invoice
    mine = provider.call("GET", "me/export").json()
    assert [p["amount"] for p in mine["payouts"]] == [Money(18000, "EUR").as_json()]
    assert [p["kind"] for p in mine["receipts_and_invoices"]] == ["fee_invoice"]
    assert mine["receipts_and_invoices"][0]["total"] == Money(2000, "EUR").as_json()

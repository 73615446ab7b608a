"""Credit notes, as the parties get them: a refund that follows an invoice credits its refunded
share, through the console, the API, the pages, the PDF, the notifications and the export.

The bike of test_paperwork.py: €200.00 with VAT at 20% on the price and on the marketplace's
fees; the customer pays €252.60, the seller's fee invoice is €24.00 (a €20.00 commission and
€4.00 VAT on it).
"""

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.accounts.services import operator_create
from barnraise.commerce.models import FeeRule
from barnraise.conftest import after_commit
from barnraise.ledger import paperwork
from barnraise.ledger.models import Document, PaperworkPolicy
from barnraise.ledger.tests.conftest import book, buy, completed_booking, numbers, papers, pdf_text, step
from barnraise.money import Money
from barnraise.notifications.models import Notification, OutgoingEmail

pytestmark = pytest.mark.django_db


def finance_page() -> Client:
    client = Client()
    client.force_login(
        operator_create(email="fin@example.com", name="Fin Ance", password="", groups=["finance"])
    )
    return client


def refund(finance: Client, deal_id: str, amount: str) -> None:
    """A finance operator refunds `amount` of a completed deal on its console page."""
    url = f"/console/deals/{deal_id}/refund/"
    response = after_commit(lambda: finance.post(url, {"amount": amount, "reason": "The bell was broken."}))
    assert response.status_code in (302, 303), response.content.decode()[:500]


def sold(customer, provider) -> str:
    """A bike bought, shipped and received: the seller has their fee invoice."""
    deal = buy(customer, provider.bike)
    step(provider, deal["id"], "accept")
    step(provider, deal["id"], "mark_shipped", tracking="BE1")
    step(customer, deal["id"], "confirm_receipt")
    return str(deal["id"])


@pytest.fixture
def bike(provider, listing):
    provider.bike = listing("sale", stock=3)
    return provider.bike


def amounts(paper) -> list[int]:
    return [line["amount"]["amount_minor"] for line in paper["lines"]]


@pytest.mark.usefixtures("vat", "bike")
def test_refunds_after_the_fee_invoice_credit_the_provider_its_share_in_gapless_notes(customer, provider):
    business = {"business_name": "Pat's Bikes", "tax_number": "BE0999999999"}
    assert provider.call("PATCH", "me", json=business).status_code == 200
    deal = sold(customer, provider)
    year = timezone.now().year
    (invoice,) = [p for p in papers(provider) if p["kind"] == "fee_invoice"]
    assert (invoice["number"], invoice["total"]["amount_minor"]) == (f"BR-{year}-000002", 2400)
    # when finance refunds a quarter of the €252.60 on the console
    finance = finance_page()
    refund(finance, deal, "63.15")
    # then the seller has a credit note for a quarter of the commission and of its VAT
    (note,) = [p for p in papers(provider) if p["kind"] == "credit_note"]
    assert note["number"] == f"CN-{year}-000001"
    assert note["invoice"] == {"id": invoice["id"], "number": invoice["number"]}
    assert sorted(amounts(note)) == [-500, -100]
    assert (note["total"], note["taxes"]) == (Money(-600, "EUR").as_json(), Money(-100, "EUR").as_json())
    parties = {p["role"]: (p["name"], p["tax_number"]) for p in note["parties"]}
    assert parties["To"] == ("Pat's Bikes", "BE0999999999") and parties["From"][0] == "Barnraise"
    # its PDF says what it credits, its tax and total, its number and the invoice's
    pdf = provider.get(note["pdf_url"], headers={"Authorization": f"Bearer {provider.token}"})
    text = pdf_text(pdf.content)
    for shown in (
        f"CN-{year}-000001",
        f"invoice BR-{year}-000002",
        "Commission",
        "-€5.00",
        "-€1.00",
        "-€6.00",
        "Pat's Bikes",
        "BE0999999999",
    ):
        assert shown in text, (shown, text)
    # the customer has their refund receipt, not the seller's credit note
    assert [p["kind"] for p in papers(customer)].count("refund_receipt") == 1
    assert customer.call("GET", f"paperwork/{note['id']}").status_code == 404
    # the seller was told, by a notification and an email that name both numbers
    told = Notification.objects.get(recipient=provider.user, url=note["html_url"])
    assert note["number"] in told.title and invoice["number"] in told.body
    assert OutgoingEmail.objects.filter(notification=told, to=provider.user.email).exists()
    # when finance refunds another quarter, then the rest, the notes follow one another and
    # add up to the invoice exactly
    refund(finance, deal, "63.15")
    refund(finance, deal, "126.30")
    notes = sorted((p for p in papers(provider) if p["kind"] == "credit_note"), key=lambda p: p["number"])
    assert [p["number"] for p in notes] == [f"CN-{year}-{n:06d}" for n in (1, 2, 3)]
    assert [p["total"]["amount_minor"] for p in notes] == [-600, -600, -1200]
    assert sum(p["total"]["amount_minor"] for p in notes) == -invoice["total"]["amount_minor"]
    assert numbers(paperwork.MARKETPLACE_CREDIT_SERIES) == [1, 2, 3]
    assert numbers() == [1, 2, 3, 4, 5]  # the receipt, the fee invoice and three refund receipts
    # the deal page and the wallet list them; the page shows the invoice it credits
    page = Client()
    page.force_login(provider.user)
    for url in (f"/transactions/{deal}/", "/wallet/"):
        shown = page.get(url).content.decode()
        assert all(p["number"] in shown for p in notes), url
    detail = page.get(notes[0]["html_url"]).content.decode()
    assert f"For invoice BR-{year}-000002" in detail and "-€6.00" in detail
    # and the seller's data export has them, with their invoice
    exported = provider.call("GET", "me/export").json()["receipts_and_invoices"]
    assert [(p["kind"], p["invoice"]) for p in exported if p["kind"] == "credit_note"] == [
        ("credit_note", invoice["number"])
    ] * 3


@pytest.mark.usefixtures("bike")
def test_no_credit_note_when_the_refund_gives_no_commission_back(customer, provider):
    deal = sold(customer, provider)
    # a refund of one cent gives back a share of the commission that rounds to nothing
    refund(finance_page(), deal, "0.01")
    assert [p["kind"] for p in papers(customer) if p["kind"] == "refund_receipt"] == ["refund_receipt"]
    assert not Document.objects.filter(kind__in=paperwork.CREDIT_NOTES).exists()
    assert [p["kind"] for p in papers(provider)] == ["fee_invoice"]


@pytest.mark.usefixtures("bike")
def test_no_credit_note_when_no_commission_was_invoiced(customer, provider):
    FeeRule.objects.update(provider_commission_percent=0)
    deal = sold(customer, provider)
    assert papers(provider) == []  # nothing to invoice the seller
    refund(finance_page(), deal, "50")
    assert papers(provider) == []
    assert not Document.objects.filter(kind__in=paperwork.CREDIT_NOTES).exists()


def test_a_dispute_refunded_after_release_credits_the_commission(customer, provider, listing, api_as):
    tx = completed_booking(customer, provider, listing())  # €30.00 + €2.00 fee; commission €3.00
    step(customer, tx["id"], "dispute", reason="The room was not clean")
    finance = api_as(operator_create(email="fin@example.com", name="Fin", password="", groups=["finance"]))
    step(finance, tx["id"], "resolve", refund={"amount_minor": 1600, "currency": "EUR"})
    (note,) = [p for p in papers(provider) if p["kind"] == "credit_note"]
    assert note["total"]["amount_minor"] == -150 and note["invoice"]["number"].startswith("BR-")


def test_a_cancellation_after_capture_is_credited_on_the_provider_s_own_invoice(customer, provider, listing):
    # given providers who invoice their customers, and a booking paid, then cancelled under the
    # moderate policy with 3 days' notice: half of the €32.00 goes back
    PaperworkPolicy.objects.create(providers_issue_invoices=True)
    tx = book(customer, listing(), days=3).json()
    step(provider, tx["id"], "accept")
    step(customer, tx["id"], "cancel_by_customer", reason="Plans changed")
    year = timezone.now().year
    # the provider's invoice (€30.00, their price) gets their credit note for half, in a series
    # of its own; the customer receives it, the provider reads it as its issuer
    mine = {p["kind"]: p for p in papers(customer, transaction_id=tx["id"])}
    assert set(mine) == {"receipt", "provider_invoice", "refund_receipt", "provider_credit_note"}
    note = mine["provider_credit_note"]
    assert (note["number"], note["total"]["amount_minor"]) == (f"CN-{year}-000001", -1500)
    assert note["invoice"]["number"] == mine["provider_invoice"]["number"] == f"INV-{year}-000001"
    assert numbers(paperwork.provider_credit_series(provider.user.pk)) == [1]
    theirs = {p["kind"]: p for p in papers(provider)}
    assert note["id"] == theirs["provider_credit_note"]["id"]
    text = pdf_text(
        provider.get(note["pdf_url"], headers={"Authorization": f"Bearer {provider.token}"}).content
    )
    assert f"CN-{year}-000001" in text and f"invoice INV-{year}-000001" in text and "-€15.00" in text
    # the marketplace's fee invoice covers only the part kept (half the €3.00 commission): it
    # never charged the refunded part, so it needs no credit note
    assert theirs["fee_invoice"]["total"]["amount_minor"] == 150
    assert "credit_note" not in theirs


def test_a_refund_that_rolls_back_leaves_no_gap_in_the_credit_notes(customer, provider, listing, monkeypatch):
    first = completed_booking(customer, provider, listing())
    second = completed_booking(customer, provider, listing(title="Another room"))
    finance = finance_page()
    real_send = paperwork.notification_send

    def broken(**kwargs):
        if kwargs.get("context", {}).get("invoice"):
            raise RuntimeError("the notification could not be written")
        return real_send(**kwargs)

    monkeypatch.setattr(paperwork, "notification_send", broken)
    with pytest.raises(RuntimeError):
        finance.post(f"/console/deals/{first['id']}/refund/", {"amount": "10", "reason": "Cold."})
    assert not Document.objects.filter(kind__in=paperwork.CREDIT_NOTES).exists()
    assert Document.objects.filter(kind="refund_receipt").count() == 0  # all of it rolled back
    monkeypatch.setattr(paperwork, "notification_send", real_send)
    refund(finance, second["id"], "10")
    refund(finance, first["id"], "10")
    assert numbers(paperwork.MARKETPLACE_CREDIT_SERIES) == [1, 2]

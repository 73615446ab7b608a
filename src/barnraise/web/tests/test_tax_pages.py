"""Taxes on the pages (issue #20, "Taxes"): the quote and the deal show the tax lines, a business
customer sees the reverse charge, members give their business name and tax number in their
settings, and finance reads the tax report per period and place, and downloads it as CSV."""

import csv
import io
from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.accounts.services import operator_create
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import CommercePolicy, TaxRate, Transaction
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.timers import services as timers
from barnraise.web.tests.page_testing import assert_csp_clean

HTMX = {"HX-Request": "true"}


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rooms(db: Any) -> Category:
    return category_create(slug="rooms", name="Rooms", kinds=["rental"])


@pytest.fixture
def room(rooms: Category, make_user: Callable[..., User]) -> Listing:
    """€40.00 a night in Brussels; Belgian VAT 21% on the price and fees, the marketplace
    collecting it; reverse charge for business customers."""
    TaxRate.objects.create(label="VAT", country="BE", percent=Decimal("21"), reverse_charge=True)
    policy = CommercePolicy.objects.first() or CommercePolicy()
    policy.marketplace_facilitator = True
    policy.save()
    provider = payout_ready(make_user(email="pat@example.com", name="Pat Provider"))
    return listing_create(
        actor=provider,
        category=rooms,
        kind="rental",
        unit="night",
        title="Garden room",
        price_amount_minor=4000,
        currency="EUR",
        lat=50.85,
        lng=4.35,
        timezone="Europe/Brussels",
    )


def nights(first: int = 5, count: int = 2) -> dict[str, str]:
    day = timezone.localdate() + timedelta(days=first)
    return {"start": day.isoformat(), "end": (day + timedelta(days=count)).isoformat(), "seats": "1"}


def test_the_quote_shows_the_vat_lines_and_a_total_that_includes_them(client: Client, room: Listing) -> None:
    # two nights: €80.00; fee 5% + €0.50 = €4.50; VAT 21% of each: €16.80 and €0.95 (0.945, half to even)
    response = client.get(f"/listings/{room.public_id}/quote/", nights(), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("VAT 21%") == 2
    assert "on €80.00" in html and "€16.80" in html and "€0.94" in html
    assert "€102.24" in html  # 80.00 + 4.50 + 16.80 + 0.94


def test_a_business_customer_sees_the_reverse_charge_on_the_quote_and_the_deal(
    room: Listing, make_user: Callable[..., User]
) -> None:
    customer = make_user(email="biz@example.com", name="Biz Buyer")
    customer.business_name, customer.tax_number = "Biz BV", "BE0123456789"
    customer.save(update_fields=["business_name", "tax_number"])
    cam = as_user(customer)
    quote = cam.get(f"/listings/{room.public_id}/quote/", nights(), headers=HTMX).content.decode()
    assert "Reverse charge: the customer accounts for the VAT" in quote
    assert "€84.50" in quote  # nothing charged for the VAT
    after_commit(
        lambda: cam.post(
            f"/listings/{room.public_id}/deal/", {**nights(), "key": "k1", "payment_method": TEST_CARD}
        )
    )
    tx = Transaction.objects.get(customer=customer)
    assert tx.total_amount_minor == 8450
    page = cam.get(f"/transactions/{tx.pk}/")
    assert_csp_clean(page)
    assert "Reverse charge: the customer accounts for the VAT" in page.content.decode()


def test_members_give_a_business_name_and_a_tax_number_in_their_settings(
    make_user: Callable[..., User],
) -> None:
    member = make_user(email="ana@example.com", name="Ana")
    ana = as_user(member)
    page = ana.get("/account/")
    assert 'name="business_name"' in page.content.decode() and 'name="tax_number"' in page.content.decode()
    fields = {"name": "Ana", "bio": "", "location": ""}
    saved = ana.post(
        "/account/profile/", {**fields, "business_name": "  Ana  BV ", "tax_number": "be 0123.456.789"}
    )
    assert saved.status_code == 302
    member.refresh_from_db()
    assert (member.business_name, member.tax_number) == ("Ana BV", "BE 0123.456.789")
    refused = ana.post("/account/profile/", {**fields, "business_name": "X", "tax_number": "12<script>"})
    assert refused.status_code == 422 and "Give your tax number as printed" in refused.content.decode()
    member.refresh_from_db()
    assert (member.business_name, member.tax_number) == ("Ana BV", "BE 0123.456.789")  # nothing half-written


def test_the_api_profile_takes_and_checks_the_tax_number(api_as: Callable[..., Any]) -> None:
    member = api_as(name="Ana")
    ok = member.call("PATCH", "me", json={"business_name": "Ana BV", "tax_number": " de123456789 "})
    assert ok.status_code == 200
    assert (ok.json()["business_name"], ok.json()["tax_number"]) == ("Ana BV", "DE123456789")
    for bad in ("12", "DE 123; DROP", "x" * 41, "-1234"):
        refused = member.call("PATCH", "me", json={"tax_number": bad, "business_name": "Other"})
        assert refused.status_code == 422, bad
        assert "tax_number" in refused.json()["error"]["details"]
    unknown = member.call("PATCH", "me", json={"vat_id": "DE123456789"})
    assert unknown.status_code in (400, 422)
    me = member.call("GET", "me").json()
    assert (me["business_name"], me["tax_number"]) == ("Ana BV", "DE123456789")
    cleared = member.call("PATCH", "me", json={"tax_number": ""})
    assert cleared.json()["tax_number"] == ""


def _completed_deal(room: Listing, customer: User) -> Transaction:
    cam, pat = as_user(customer), as_user(room.author)
    dates = nights()
    after_commit(
        lambda: cam.post(
            f"/listings/{room.public_id}/deal/", {**dates, "key": "k1", "payment_method": TEST_CARD}
        )
    )
    tx = Transaction.objects.get(customer=customer)
    after_commit(lambda: pat.post(f"/transactions/{tx.id}/step/", {"name": "accept", "key": "a1"}))
    after_stay = datetime.combine(
        datetime.fromisoformat(dates["end"]).date() + timedelta(days=1), time(12), ZoneInfo("Europe/Brussels")
    )
    with time_machine.travel(after_stay, tick=False):
        after_commit(timers.sweep)
    tx.refresh_from_db()
    assert tx.state == "completed"
    return tx


def test_finance_reads_the_tax_report_for_a_period_and_downloads_it(
    room: Listing, make_user: Callable[..., User]
) -> None:
    tx = _completed_deal(room, make_user(email="cam@example.com", name="Cam"))
    # the deal page shows the VAT lines
    deal_page = as_user(tx.customer).get(f"/transactions/{tx.pk}/").content.decode()
    assert "VAT 21%" in deal_page and "€16.80" in deal_page
    # tax: 16.80 + 0.94 on the customer's side, 21% of the €8.00 commission = €1.68
    finance = as_user(operator_create(email="fin@example.com", name="Fin", password="", groups=["finance"]))
    day = timezone.now().date() + timedelta(days=8)
    period = {"start": (day - timedelta(days=30)).isoformat(), "end": (day + timedelta(days=1)).isoformat()}
    page = finance.get("/console/taxes/", period)
    assert_csp_clean(page)
    html = page.content.decode()
    assert page.status_code == 200 and "Belgium" in html and "€19.42" in html
    download = finance.get("/console/taxes/export.csv", period)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert len(rows) == 1
    assert rows[0]["jurisdiction"] == "BE" and rows[0]["currency"] == "EUR"
    assert (rows[0]["collected"], rows[0]["refunded"], rows[0]["net"]) == ("19.42", "0.00", "19.42")
    assert rows[0]["net_minor"] == str(tx.tax_payable_minor) == "1942"
    # a later period shows nothing; a bad period is refused
    later = {"start": (day + timedelta(days=40)).isoformat(), "end": (day + timedelta(days=41)).isoformat()}
    assert "No tax was posted" in finance.get("/console/taxes/", later).content.decode()
    assert finance.get("/console/taxes/", {"start": "2026-13-01", "end": "x"}).status_code == 400
    assert (
        finance.get("/console/taxes/export.csv", {"start": period["end"], "end": period["start"]}).status_code
        == 400
    )
    # and the report is finance's: support and members get a 404
    support = as_user(operator_create(email="sup@example.com", name="Sup", password="", groups=["support"]))
    assert support.get("/console/taxes/").status_code == 404
    assert as_user(tx.customer).get("/console/taxes/export.csv").status_code == 404

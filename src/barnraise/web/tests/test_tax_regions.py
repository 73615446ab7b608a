"""Taxes outside the United States, and the tax table's edits in the event log (issues #19 and
#20): a province's rate applies to a listing in that province, the report names the province,
and every add, change and switch-off made in the admin is an event shown on the tax page."""

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
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import CommercePolicy, FeeAmount, FeeRule, TaxRate, Transaction
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.eventlog.models import Event
from barnraise.timers import services as timers

ADD = "/admin/commerce/taxrate/add/"
BURLINGTON_ON = (43.3255, -79.7990)


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def finance(email: str = "fin@example.com") -> Client:
    return as_user(operator_create(email=email, name="Fin Ops", password="", groups=["finance"]))


def form(**fields: Any) -> dict[str, str]:
    """The admin's add/change form as a browser posts it: unticked boxes are left out."""
    values: dict[str, Any] = {
        "label": "HST",
        "country": "CA",
        "region": "",
        "category": "",
        "percent": "13",
        "applies_to_price": True,
        "applies_to_fees": True,
        "active": True,
        **fields,
    }
    return {k: ("on" if v is True else str(v)) for k, v in values.items() if v is not False}


def test_finance_adds_changes_and_switches_off_a_rate_in_the_admin_and_each_is_an_event(db: Any) -> None:
    fin = finance()
    # a region given by name is kept by its code, and shown by its name
    added = fin.post(ADD, form(region="Ontario"), follow=True)
    assert added.status_code == 200
    rate = TaxRate.objects.get()
    assert (rate.country, rate.region, rate.jurisdiction) == ("CA", "08", "CA-08")
    assert "Ontario" in fin.get("/admin/commerce/taxrate/").content.decode()
    created = Event.objects.get(subject_type="tax_rate")
    assert created.type == "commerce:tax_rate:created" and created.subject_id == str(rate.pk)
    assert created.actor is not None and created.actor.email == "fin@example.com"
    assert created.payload["fields"]["percent"] == "13" and created.payload["jurisdiction"] == "CA-08"
    # the change form shows the region by name; a changed percent is recorded before and after
    change = f"/admin/commerce/taxrate/{rate.pk}/change/"
    assert 'value="Ontario"' in fin.get(change).content.decode()
    fin.post(change, form(region="Ontario", percent="15"), follow=True)
    changed = Event.objects.filter(subject_type="tax_rate").latest("id")
    assert changed.type == "commerce:tax_rate:changed"
    assert changed.payload["changed"] == {"percent": ["13", "15"]}
    # saving with no change records nothing; switching it off is its own event
    fin.post(change, form(region="Ontario", percent="15"), follow=True)
    assert Event.objects.filter(subject_type="tax_rate").count() == 2
    fin.post(change, form(region="Ontario", percent="15", active=False), follow=True)
    off = Event.objects.filter(subject_type="tax_rate").latest("id")
    assert off.type == "commerce:tax_rate:deactivated" and not TaxRate.objects.get().active
    # operators read the edits on the tax page, newest first, in words
    page = fin.get("/console/taxes/").content.decode()
    assert "Changes to the tax rates" in page
    assert "Tax rate switched off: HST 15% in Ontario, Canada" in page
    assert "Tax rate changed: HST 15% in Ontario, Canada (percent: 13 → 15)" in page
    assert page.index("switched off") < page.index("Tax rate added")
    # rates are switched off, not deleted
    assert fin.post(f"/admin/commerce/taxrate/{rate.pk}/delete/", {"post": "yes"}).status_code == 403
    assert TaxRate.objects.count() == 1


def test_a_region_that_is_not_the_country_s_is_refused_clearly_and_nothing_is_written(db: Any) -> None:
    fin = finance()
    refused = fin.post(ADD, form(country="US", region="Ontario"))
    assert refused.status_code == 200  # the form again, with the error
    html = refused.content.decode()
    assert "United States has no region called “Ontario”" in html and "Alabama" in html
    assert fin.post(ADD, form(region="Atlantis")).status_code == 200
    assert "Canada has no region called “Atlantis”" in fin.post(ADD, form(region="Atlantis")).content.decode()
    assert not TaxRate.objects.exists() and not Event.objects.filter(subject_type="tax_rate").exists()
    # codes still work (the US states' are their postal codes), and so do names in any case
    fin.post(ADD, form(country="us", region="vermont", label="Sales tax", percent="6"), follow=True)
    fin.post(ADD, form(country="DE", region="bavaria", label="VAT", percent="19"), follow=True)
    assert sorted(TaxRate.objects.values_list("country", "region")) == [("DE", "02"), ("US", "VT")]
    # a category's rate names the category by its id in the event
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    fin.post(ADD, form(region="Ontario", label="Rooms tax", percent="4", category=rooms.pk), follow=True)
    event = Event.objects.filter(subject_type="tax_rate").latest("id")
    assert (event.payload["fields"]["category"], event.payload["label"]) == (str(rooms.pk), "Rooms tax")


@pytest.fixture
def ontario_room(db: Any, make_user: Callable[..., User]) -> Any:
    """CA$40.00 a night in Burlington, Ontario; Canada's 5% GST and Ontario's 13% HST in the
    table; the marketplace collecting them."""
    rule = FeeRule.objects.get(category=None, active=True)
    usd = FeeAmount.objects.get(rule=rule, currency="USD")
    usd.pk, usd.currency = None, "CAD"
    usd.save()
    fin = finance("tables@example.com")
    fin.post(ADD, form(label="GST", percent="5"), follow=True)
    fin.post(ADD, form(region="Ontario"), follow=True)
    assert TaxRate.objects.count() == 2
    policy = CommercePolicy.objects.first() or CommercePolicy()
    policy.marketplace_facilitator = True
    policy.save()
    provider = payout_ready(make_user(email="pat@example.com", name="Pat Provider"))
    return listing_create(
        actor=provider,
        category=category_create(slug="rooms", name="Rooms", kinds=["rental"]),
        kind="rental",
        unit="night",
        title="Lakeside room",
        price_amount_minor=4000,
        currency="CAD",
        lat=BURLINGTON_ON[0],
        lng=BURLINGTON_ON[1],
        timezone="America/Toronto",
    )


def test_a_listing_in_ontario_pays_ontario_s_rate_and_the_report_names_the_province(
    ontario_room: Any, make_user: Callable[..., User]
) -> None:
    customer = make_user(email="cam@example.com", name="Cam")
    cam, pat = as_user(customer), as_user(ontario_room.author)
    start = timezone.localdate() + timedelta(days=5)
    dates = {"start": start.isoformat(), "end": (start + timedelta(days=2)).isoformat(), "seats": "1"}
    after_commit(
        lambda: cam.post(
            f"/listings/{ontario_room.public_id}/deal/", {**dates, "key": "k1", "payment_method": TEST_CARD}
        )
    )
    tx = Transaction.objects.get(customer=customer)
    # the province's rate, not the country's: 13% of CA$80.00 on the price
    price_tax = next(line for line in tx.line_items if line.get("code") == "tax_price")
    assert (price_tax["label"], price_tax["jurisdiction"]) == ("HST 13%", "CA-08")
    assert (price_tax["amount_minor"], tx.tax_jurisdiction) == (1040, "CA-08")
    assert "HST 13%" in cam.get(f"/transactions/{tx.pk}/").content.decode()
    after_commit(lambda: pat.post(f"/transactions/{tx.id}/step/", {"name": "accept", "key": "a1"}))
    after_stay = datetime.combine(start + timedelta(days=3), time(12), ZoneInfo("America/Toronto"))
    with time_machine.travel(after_stay, tick=False):
        after_commit(timers.sweep)
    tx.refresh_from_db()
    assert tx.state == "completed" and tx.tax_payable_minor
    # the report lists the jurisdiction by name, on the page and in the CSV
    fin = finance()
    period = {"start": start.isoformat(), "end": (start + timedelta(days=10)).isoformat()}
    page = fin.get("/console/taxes/", period).content.decode()
    assert "Ontario, Canada" in page and tx.currency == "CAD"
    rows = list(csv.DictReader(io.StringIO(fin.get("/console/taxes/export.csv", period).content.decode())))
    assert [(r["jurisdiction"], r["place"], r["currency"]) for r in rows] == [
        ("CA-08", "Ontario, Canada", "CAD")
    ]
    assert rows[0]["net_minor"] == str(tx.tax_payable_minor)
    assert Decimal(rows[0]["net"]) * 100 == tx.tax_payable_minor

"""The ledger over HTTP: a member's balances and postings, the operators' trial balance, admin."""

import pytest
from django.test import Client

from barnraise.accounts.services import operator_create
from barnraise.ledger.journal import account_for, entry_post
from barnraise.ledger.models import AccountKind, JournalEntry, Posting
from barnraise.money import Money

pytestmark = pytest.mark.django_db


def _settle(member, amount_minor, currency, key):
    """Move `amount_minor` from the member's pending to available balance."""
    pending = account_for(AccountKind.MEMBER_PENDING, owner=member, currency=currency)
    available = account_for(AccountKind.MEMBER_AVAILABLE, owner=member, currency=currency)
    entry_post(
        kind="settle",
        reference=f"test:{key}",
        lines=[(pending, Money(amount_minor, currency)), (available, Money(-amount_minor, currency))],
        idempotency_key=key,
    )


def _earn(member, amount_minor, currency, key):
    """Credit the member's pending balance from funding (stands in for a release from escrow)."""
    pending = account_for(AccountKind.MEMBER_PENDING, owner=member, currency=currency)
    funding = account_for(AccountKind.EXTERNAL_FUNDING, currency=currency)
    entry_post(
        kind="release",
        reference=f"test:{key}",
        lines=[(funding, Money(amount_minor, currency)), (pending, Money(-amount_minor, currency))],
        idempotency_key=key,
    )


def test_balances_show_pending_and_available_per_currency(api_as):
    # given a member who earned 100.00 EUR (30.00 settled) and 5000 JPY
    client = api_as()
    _earn(client.user, 10000, "EUR", "e1")
    _settle(client.user, 3000, "EUR", "s1")
    _earn(client.user, 5000, "JPY", "e2")
    # when
    body = client.call("GET", "me/balances").json()
    # then
    assert body["next_cursor"] is None
    eur, jpy = body["results"]
    assert eur["currency"] == "EUR"
    assert eur["pending"]["amount_minor"] == 7000 and eur["available"]["amount_minor"] == 3000
    assert eur["available"]["formatted"] == "€30.00"
    assert jpy["pending"] == {"amount_minor": 5000, "currency": "JPY", "formatted": "¥5,000"}
    assert jpy["available"]["amount_minor"] == 0


def test_balances_are_private_and_need_a_token(api, api_as):
    other = api_as()
    _earn(other.user, 100, "EUR", "x")
    assert api_as().call("GET", "me/balances").json()["results"] == []
    assert api.call("GET", "me/balances").status_code == 401


def test_ledger_pages_the_callers_postings_newest_first(api_as):
    # given three entries touching the member: earn, earn, settle (settle touches two accounts)
    client = api_as()
    _earn(client.user, 100, "EUR", "a")
    _earn(client.user, 200, "EUR", "b")
    _settle(client.user, 50, "EUR", "c")
    _earn(api_as().user, 999, "EUR", "someone-else")
    # when paged two at a time
    first = client.call("GET", "me/ledger?limit=2").json()
    second = client.call("GET", f"me/ledger?limit=2&cursor={first['next_cursor']}").json()
    # then the four postings arrive newest first, with signs as the member sees them
    lines = first["results"] + second["results"]
    assert second["next_cursor"] is None and len(lines) == 4
    assert [line["id"] for line in lines] == sorted((line["id"] for line in lines), reverse=True)
    assert [(line["entry_kind"], line["account_kind"], line["amount"]["amount_minor"]) for line in lines] == [
        ("settle", "member_available", 50),
        ("settle", "member_pending", -50),
        ("release", "member_pending", 200),
        ("release", "member_pending", 100),
    ]
    assert lines[0]["reference"] == "test:c" and lines[0]["created_at"]


def test_ledger_refuses_a_bad_cursor(api_as):
    response = api_as().call("GET", "me/ledger?cursor=bm9wZQ")
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_cursor"


def test_ledger_query_count_does_not_grow_with_the_page(api_as, django_assert_max_num_queries):
    client = api_as()
    for n in range(10):
        _earn(client.user, 100 + n, "EUR", f"q{n}")
    with django_assert_max_num_queries(4):
        assert len(client.call("GET", "me/ledger?limit=20").json()["results"]) == 10


def test_trial_balance_is_for_finance_only(api_as, make_user):
    # given some money moved in two currencies
    member = make_user()
    _earn(member, 1000, "EUR", "t1")
    _earn(member, 70, "KWD", "t2")
    finance = operator_create(email="fin@example.com", name="F", password="pw-123456789", groups=["finance"])
    support = operator_create(email="sup@example.com", name="S", password="pw-123456789", groups=["support"])
    # when / then
    body = api_as(finance).call("GET", "ops/trial-balance").json()
    assert body["balanced"] is True
    assert [
        (
            row["currency"],
            (row["sum"]["amount_minor"], row["sum"]["currency"]),
            row["accounts"],
            {kind: (m["amount_minor"], m["currency"]) for kind, m in row["by_kind"].items()},
        )
        for row in body["results"]
    ] == [
        ("EUR", (0, "EUR"), 2, {"external_funding": (1000, "EUR"), "member_pending": (1000, "EUR")}),
        ("KWD", (0, "KWD"), 2, {"external_funding": (70, "KWD"), "member_pending": (70, "KWD")}),
    ]
    assert body["results"][0]["by_kind"]["member_pending"]["formatted"] == "€10.00"
    assert body["postings_since_snapshot"] == 4 and body["snapshot_up_to_posting_id"] == 0
    for client in (api_as(support), api_as(member)):
        response = client.call("GET", "ops/trial-balance")
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_the_admin_shows_the_ledger_read_only_to_finance_and_not_to_support(make_user):
    # given a posted entry
    member = make_user()
    _earn(member, 1000, "EUR", "adm")
    entry = JournalEntry.objects.get()
    finance = operator_create(email="fin@example.com", name="F", password="pw-123456789", groups=["finance"])
    support = operator_create(email="sup@example.com", name="S", password="pw-123456789", groups=["support"])
    f, s = Client(), Client()
    f.force_login(finance)
    s.force_login(support)
    # then finance reads every ledger model, cannot add, change or delete
    for model in ("account", "journalentry", "posting", "balancesnapshot"):
        assert f.get(f"/admin/ledger/{model}/").status_code == 200
        assert f.get(f"/admin/ledger/{model}/add/").status_code == 403
        assert s.get(f"/admin/ledger/{model}/").status_code == 403
    assert f.get(f"/admin/ledger/journalentry/{entry.pk}/change/").status_code == 200
    assert f.post(f"/admin/ledger/journalentry/{entry.pk}/change/", {"memo": "x"}).status_code == 403
    assert f.post(f"/admin/ledger/journalentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert JournalEntry.objects.get().memo == "" and Posting.objects.count() == 2

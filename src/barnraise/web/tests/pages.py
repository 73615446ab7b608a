"""The site's pages, found from the URLconf with seeded objects in their paths: what the page
checks share (tests/browser/test_accessibility.py runs axe on them; test_every_page_privacy.py
looks for leaks on them).

Path parameters are filled with real seeded objects (a parameter may take several, e.g. the
profile of each member); a parameter with no seeded object gets a random id, which still renders
the site's 404 page inside the base template.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from barnraise.accounts.models import ApiToken, PhoneNumber, PortfolioItem, User
from barnraise.accounts.portfolio import portfolio_item_create
from barnraise.accounts.services import operator_create, token_create
from barnraise.accounts.skills import skill_attempt_start, skill_test_create
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce.models import Transaction
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.ledger.models import Document, PayoutAccount
from barnraise.ledger.providers.sandbox import SandboxProvider
from barnraise.ledger.saved_cards import setup_begin
from barnraise.messaging.services import message_send
from barnraise.notifications.models import Notification
from barnraise.search.models import SavedSearch
from barnraise.search.services import saved_search_create

# Whole areas left out, and why. Everything else the URLconf holds is rendered.
SKIPPED_PREFIXES = {
    "admin/": "the operators' admin: staff only, and it shows members' emails by design",
    "api/v1/": "the JSON API: no page and no base template (the API has its own authorization tests)",
}
# allauth's pages whose path carries a secret from an email (a confirmation key, a reset token):
# no member reaches them without that email, and with a made-up key they only say it is invalid.
SKIPPED_WITH_TOKEN = {"key", "uidb36"}

# Pages that need a query to be a page of their own (without it they send the member back a step).
QUERIES = {
    "list/category/": "?kind=rental",
    "list/details/": "?kind=rental&category=rooms",
}

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def site_routes() -> list[str]:
    """Every route of the URLconf, in order, but the skipped areas."""
    return [r for r in _routes(get_resolver().url_patterns) if not r.startswith(tuple(SKIPPED_PREFIXES))]


def pages_of(route: str, values: dict[str, list[str]]) -> list[str]:
    """The paths a route gives with the seeded values of its parameters (none if it needs a token)."""
    names = [m["name"] for m in PARAMETER.finditer(route)]
    if route.startswith("^") or SKIPPED_WITH_TOKEN & set(names):
        return []  # a regex route of allauth's (its token pages); see SKIPPED_WITH_TOKEN
    paths = ["/" + route + QUERIES.get(route, "")]
    for name in names:
        choices = values.get(name, [str(uuid.uuid4())])
        paths = [PARAMETER.sub(lambda _m, v=v: v, path, count=1) for path in paths for v in choices]
    return paths


def seeded_member(make_user: Callable[..., User], name: str, email: str, phone: str) -> User:
    user = make_user(email=email, name=name)
    PhoneNumber.objects.create(user=user, number=phone, verified_at=timezone.now())
    return user


def seed_world(make_user: Callable[..., User]) -> dict[str, Any]:
    """Three members with emails and phones; Alice provides, Bruno books, Carol is a stranger."""
    alice = payout_ready(seeded_member(make_user, "Alice Avery", "alice.avery@example.com", "+15550101001"))
    bruno = seeded_member(make_user, "Bruno Brook", "bruno.brook@example.com", "+15550101002")
    carol = seeded_member(make_user, "Carol Crane", "carol.crane@example.com", "+15550101003")
    rooms = category_create(slug="rooms", name="Rooms", kinds=["rental"])
    common = {"kind": "rental", "unit": "night", "price_amount_minor": 4000, "currency": "EUR"}
    place = {"lat": 50.85, "lng": 4.35, "timezone": "Europe/Brussels"}
    room = listing_create(actor=alice, category=rooms, title="Garden room", **common, **place)
    loft = listing_create(actor=carol, category=rooms, title="Carol's loft", **common, **place)
    booker = Client()
    booker.force_login(bruno)
    day = timezone.localdate() + timedelta(days=5)
    booker.post(
        f"/listings/{room.public_id}/deal/",
        {"start": day.isoformat(), "end": (day + timedelta(days=2)).isoformat(), "seats": "1"}
        | {"message": "Quiet guest", "key": "k1", "payment_method": TEST_CARD},
    )
    deal = Transaction.objects.get(customer=bruno)
    message_send(actor=bruno, transaction_id=deal.pk, body="Is there parking?")
    # Carol's booking of the same room is accepted: Alice and Carol now see each other's email
    # on that deal's page (and nobody else does).
    carol_books = Client()
    carol_books.force_login(carol)
    later = day + timedelta(days=10)
    carol_books.post(
        f"/listings/{room.public_id}/deal/",
        {"start": later.isoformat(), "end": (later + timedelta(days=1)).isoformat(), "seats": "1"}
        | {"key": "k2", "payment_method": TEST_CARD},
    )
    accepted = Transaction.objects.get(customer=carol)
    host = Client()
    host.force_login(alice)
    after_commit(lambda: host.post(f"/transactions/{accepted.pk}/step/", {"name": "accept", "key": "a1"}))
    accepted.refresh_from_db()
    assert accepted.contact_revealed_at is not None
    operator = operator_create(
        email="olive.ops@example.com", name="Olive Ops", password="pw-123456789", groups=["admin"]
    )
    test = skill_test_create(
        actor=operator,
        category=rooms,
        title="Hosting",
        questions=[("Check-in?", ["14:00", "Never"], 0), ("Towels?", ["Yes", "No"], 0)],
        questions_per_attempt=2,
    )
    attempt = skill_attempt_start(actor=alice, test_id=test.pk)
    for member in (alice, bruno):
        Notification.objects.create(recipient=member, kind="test", title=f"Hello {member.name}")
        saved_search_create(actor=member, name="Rooms", params={"q": "room"})
        token_create(user=member, name="phone")
        portfolio_item_create(actor=member, title=f"{member.name}'s work")
    # Alice keeps a card at the sandbox (her saved-cards page lists it, with a remove page)
    setup = setup_begin(member=alice)
    card = SandboxProvider().setup_confirm(
        setup_id=setup.id, client_secret=setup.client_secret, card_number=TEST_CARD
    )
    # Bruno has not confirmed his address: the banner that asks for it is shown to him.
    EmailAddress.objects.filter(user=bruno).update(verified=False)
    values = {
        "public_id": [str(room.public_id), str(loft.public_id)],
        "user_id": [str(m.pk) for m in (alice, bruno, carol)],
        "transaction_id": [str(deal.pk), str(accepted.pk)],
        "member_id": [str(alice.pk)],  # the operator's console
        "deal_id": [str(accepted.pk)],
        "test_id": [str(test.pk)],
        "attempt_id": [str(attempt.pk)],
        "account_id": [PayoutAccount.objects.get(owner=alice).external_id],
        "notification_id": [str(n.pk) for n in Notification.objects.all()],
        "token_id": [str(t.pk) for t in ApiToken.objects.all()],
        "saved_search_id": [str(s.pk) for s in SavedSearch.objects.all()],
        "item_id": [str(i.pk) for i in PortfolioItem.objects.all()],
        "paper_id": [str(d.pk) for d in Document.objects.all()],
        "name": ["booking", "purchase"],
        "process": ["booking"],  # the console's deal emails: one step's email to one party
        "step": ["book"],
        "audience": ["provider"],
        "path": ["nothing.png"],
        "method_id": [card.id],
    }
    return {
        "members": [alice, bruno, carol, operator],
        "values": values,
        "revealed": {str(accepted.pk): (alice, carol)},
    }

"""Every page of the site, as anonymous and as two members: nobody sees another member's email,
phone or account menu (issue #17, item 1), nor a state or step code of the process data where
human words belong (issue #19).

The pages are found from the URLconf, not listed by hand, so a page added later is checked too.
Path parameters are filled with real seeded objects (a parameter may take several, e.g. the
profile of each member); a parameter with no seeded object gets a random id, which still renders
the site's 404 page inside the base template.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from barnraise.accounts.models import ApiToken, PhoneNumber, PortfolioItem, User
from barnraise.accounts.portfolio import portfolio_item_create
from barnraise.accounts.services import operator_create, token_create
from barnraise.accounts.skills import skill_attempt_start, skill_test_create
from barnraise.catalog.services import category_create, listing_create
from barnraise.commerce import processes
from barnraise.commerce.models import Transaction
from barnraise.commerce.processes import words
from barnraise.conftest import TEST_CARD, after_commit, payout_ready
from barnraise.ledger.models import PayoutAccount
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

MENU = re.compile(r'class="dropdown account-menu">\s*<summary>(.*?)</summary>', re.DOTALL)
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
    paths = ["/" + route]
    for name in names:
        choices = values.get(name, [str(uuid.uuid4())])
        paths = [PARAMETER.sub(lambda _m, v=v: v, path, count=1) for path in paths for v in choices]
    return paths


def _member(make_user: Callable[..., User], name: str, email: str, phone: str) -> User:
    user = make_user(email=email, name=name)
    PhoneNumber.objects.create(user=user, number=phone, verified_at=timezone.now())
    return user


@pytest.fixture
def world(make_user: Callable[..., User]) -> dict[str, Any]:
    """Three members with emails and phones; Alice provides, Bruno books, Carol is a stranger."""
    alice = payout_ready(_member(make_user, "Alice Avery", "alice.avery@example.com", "+15550101001"))
    bruno = _member(make_user, "Bruno Brook", "bruno.brook@example.com", "+15550101002")
    carol = _member(make_user, "Carol Crane", "carol.crane@example.com", "+15550101003")
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
    # Bruno has not confirmed his address: the banner that asks for it is shown to him.
    EmailAddress.objects.filter(user=bruno).update(verified=False)
    values = {
        "public_id": [str(room.public_id), str(loft.public_id)],
        "user_id": [str(m.pk) for m in (alice, bruno, carol)],
        "transaction_id": [str(deal.pk), str(accepted.pk)],
        "test_id": [str(test.pk)],
        "attempt_id": [str(attempt.pk)],
        "account_id": [PayoutAccount.objects.get(owner=alice).external_id],
        "notification_id": [str(n.pk) for n in Notification.objects.all()],
        "token_id": [str(t.pk) for t in ApiToken.objects.all()],
        "saved_search_id": [str(s.pk) for s in SavedSearch.objects.all()],
        "item_id": [str(i.pk) for i in PortfolioItem.objects.all()],
        "name": ["booking", "purchase"],
        "path": ["nothing.png"],
    }
    return {
        "members": [alice, bruno, carol, operator],
        "values": values,
        "revealed": {str(accepted.pk): (alice, carol)},
    }


def allowed_on(path: str, viewer: User | None, world: dict[str, Any]) -> set[str]:
    """The contact details a page may show its viewer: on the page of a deal whose contact
    details were revealed (accepted), a party sees the other party's email."""
    for deal_id, parties in world["revealed"].items():
        if viewer in parties and path.startswith((f"/transactions/{deal_id}/", f"/messages/{deal_id}/")):
            return {party.email for party in parties if party != viewer}
    return set()


def _phone(member: User) -> str:
    return str(PhoneNumber.objects.filter(user=member).values_list("number", flat=True).first() or "")


def _full_page(response: HttpResponse) -> bool:
    """A page in the site's layout (not a redirect, a download, a fragment or an empty 405)."""
    return any(t.name == "web/base.html" for t in getattr(response, "templates", []))


def leaks(
    response: HttpResponse, viewer: User | None, members: list[User], allowed: frozenset[str] = frozenset()
) -> list[str]:
    """What a page shows that its viewer must not see: someone else's email or phone (but what
    `allowed` names), someone else's account menu, or a view's context that hides the logged-in
    member from the templates."""
    found = []
    html = response.content.decode(errors="replace")
    for member in members:
        if member != viewer:
            shown = [what for what in (member.email, _phone(member)) if what and what in html]
            found += [f"{member.name}'s {what}" for what in shown if what not in allowed]
    menus = [m.split("<")[0].strip() for m in MENU.findall(html)]
    expected = [viewer.name] if viewer and _full_page(response) else []
    if menus != expected:
        found.append(f"account menu {menus!r} instead of {expected!r}")
    for context in response.context or []:
        index = getattr(context, "_processors_index", None)
        if index is None:
            continue  # a widget's or an error page's plain context: no context processors
        processors = set(context.dicts[index])
        shadowed = {key for layer in context.dicts[index + 1 :] for key in processors & set(layer)}
        if shadowed:
            found.append(f"the view's context hides {sorted(shadowed)} of the context processors")
    return found


def _process_codes() -> list[str]:
    """Every state and step name of the process data that is a code rather than a word
    (`payment_pending`, `accept_offer`), as the code and as a careless page would print it,
    unless the process data's own words for it read the same ("Confirm receipt")."""
    names, words_used = set(), {str(w).casefold() for w in words.STATES.values()}
    for process in processes.PROCESSES.values():
        names |= {*process.states, *(t.name for t in process.transitions)}
        words_used |= {str(t.button).casefold() for t in process.transitions}
    codes = sorted(n for n in names if "_" in n)
    spoken = [c.replace("_", " ") for c in codes if c.replace("_", " ").casefold() not in words_used]
    return codes + spoken


CODES = re.compile(r"\b(" + "|".join(re.escape(c) for c in _process_codes()) + r")\b", re.IGNORECASE)
TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def codes_shown(html: str) -> list[str]:
    """The process data's codes in what a person reads on the page (its text, not its markup:
    a form's hidden value may carry a step's name)."""
    return sorted({m.group(0) for m in CODES.finditer(TAGS.sub(" ", html))})


def visit_all(world: dict[str, Any], viewer: User | None) -> tuple[dict[str, list[str]], int, int]:
    client = Client()
    if viewer is not None:
        client.force_login(viewer)
    problems, pages, revealed = {}, 0, 0
    for route in site_routes():
        for path in pages_of(route, world["values"]):
            response = client.get(path)
            pages += response.status_code == 200
            allowed = frozenset(allowed_on(path, viewer, world))
            revealed += any(email in response.content.decode() for email in allowed)
            found = leaks(response, viewer, world["members"], allowed)
            found += [f"the process code {code!r}" for code in codes_shown(response.content.decode())]
            if found:
                problems[path] = found
    return problems, pages, revealed


def test_the_page_list_is_the_whole_site(world: dict[str, Any]) -> None:
    # given the URLconf and the seeded objects
    routes = site_routes()
    # when the pages are listed
    pages = [p for r in routes for p in pages_of(r, world["values"])]
    # then every page of the site is there (skipping only the areas named, with a reason)
    assert len(routes) > 70 and len(pages) > 90
    for path in ("/members/", "/listings/", "/transactions/", "/messages/", "/accounts/login/", "/sandbox/"):
        assert any(p.startswith(path) for p in pages), path
    assert not [p for p in pages if p.startswith(("/admin/", "/api/"))]
    members = [p for p in pages if p.startswith("/members/")]
    assert len(members) == 3  # each member's profile, with its real id


@pytest.mark.parametrize("viewer", ["anonymous", "alice", "bruno"])
def test_no_page_shows_another_members_contact_or_menu(world: dict[str, Any], viewer: str) -> None:
    # given the seeded site, and a visitor who is anonymous, the provider or the unverified booker
    alice, bruno, _carol, _operator = world["members"]
    member = {"anonymous": None, "alice": alice, "bruno": bruno}[viewer]
    # when they open every page of it
    problems, pages, revealed = visit_all(world, member)
    # then no page shows them another member's email or phone, or anyone's menu but their own
    assert problems == {}
    assert pages > (15 if member is None else 30)  # pages rendered for real, not 404s or redirects
    # and the one exception is real: Alice sees Carol's email on their accepted deal's page
    assert revealed == (1 if viewer == "alice" else 0)


def test_the_check_finds_a_process_code_in_a_page_s_text_but_not_in_its_markup() -> None:
    assert codes_shown("<p>Status: Payment pending</p>") == ["Payment pending"]
    assert codes_shown("<span>payment_pending</span>") == ["payment_pending"]
    assert codes_shown('<button name="step" value="accept_offer">Accept the offer</button>') == []


@pytest.mark.urls("barnraise.web.tests.urls_shadowing")
def test_the_check_fails_on_a_page_that_shows_another_member(world: dict[str, Any]) -> None:
    # given the site plus two pages with the bug: a view passing a `user` key, as the member page
    # once did, and a page printing a member's email and name in an account menu
    alice, bruno, _carol, _operator = world["members"]
    client = Client()
    client.force_login(bruno)
    assert {"shadow/<uuid:user_id>/", "show/<uuid:user_id>/"} <= set(site_routes())
    # when Bruno and an anonymous visitor open them on Alice
    shadowed = client.get(f"/shadow/{alice.pk}/")
    shown_to_bruno = client.get(f"/show/{alice.pk}/")
    shown_to_anonymous = Client().get(f"/show/{alice.pk}/")
    # then the check names the hidden key, Alice's email and her menu shown to others
    assert shadowed.status_code == shown_to_bruno.status_code == shown_to_anonymous.status_code == 200
    assert "the view's context hides ['user'] of the context processors" in leaks(
        shadowed, bruno, world["members"]
    )
    assert leaks(shown_to_bruno, bruno, world["members"]) == [
        "Alice Avery's alice.avery@example.com",
        "account menu ['Alice Avery'] instead of []",
    ]
    assert leaks(shown_to_anonymous, None, world["members"]) == [
        "Alice Avery's alice.avery@example.com",
        "account menu ['Alice Avery'] instead of []",
    ]

"""Every page of the site, as anonymous and as two members: nobody sees another member's email,
phone or account menu (issue #17, item 1), nor a state or step code of the process data where
human words belong (issue #19).

The pages are found from the URLconf, not listed by hand, so a page added later is checked too
(barnraise.web.tests.pages finds them and seeds the objects their paths name).
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from barnraise.accounts.models import PhoneNumber, User
from barnraise.commerce.tests.process_codes import codes_shown
from barnraise.web.tests.pages import pages_of, seed_world, site_routes

MENU = re.compile(r'class="dropdown account-menu">\s*<summary>(.*?)</summary>', re.DOTALL)


@pytest.fixture
def world(make_user: Callable[..., User]) -> dict[str, Any]:
    """Three members with emails and phones; Alice provides, Bruno books, Carol is a stranger."""
    return seed_world(make_user)


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

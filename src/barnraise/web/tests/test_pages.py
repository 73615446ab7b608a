import re
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from barnraise.accounts.models import User
from barnraise.catalog.photos import photo_add
from barnraise.web.tests.page_testing import assert_csp_clean, category, listing, notification

PUBLIC_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/confirm-email/not-a-key/",
    "/no-such-page/",
]
MEMBER_PAGES = [
    "/",
    "/account/",
    "/notifications/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/logout/",
    "/no-such-page/",
]


def png() -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("drill.png", buffer.getvalue(), content_type="image/png")


def test_home_shows_categories_and_latest_listings(client: Client, make_user: Callable[..., User]) -> None:
    # given a category tree and a published listing
    tools = category()
    power = category(slug="power-tools", name="Power tools", parent=tools)
    listing(make_user(name="Bob N."), power, title="Cordless drill", price_amount_minor=1250)
    # when a visitor opens the home page
    response = client.get("/")
    # then they see the categories with children and the listing with its formatted price
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tools" in html and "Power tools" in html
    assert "Cordless drill" in html
    assert "$12.50" in html
    assert "per day" in html and "Rental" in html
    assert "by Bob N." in html
    assert "Join for free" in html


def test_home_without_listings_shows_an_empty_state(client: Client, db: Any) -> None:
    # given an empty marketplace
    # when a visitor opens the home page
    response = client.get("/")
    # then a friendly empty state is shown
    assert response.status_code == 200
    assert "Nothing listed yet" in response.content.decode()


def test_home_shows_only_published_listings(client: Client, make_user: Callable[..., User]) -> None:
    # given a draft listing
    listing(make_user(), category(), title="Secret draft", publish=False)
    # when a visitor opens the home page
    response = client.get("/")
    # then the draft is not shown
    assert "Secret draft" not in response.content.decode()


def test_home_reads_in_a_fixed_number_of_queries(
    client: Client, make_user: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    # given many listings from many authors
    cat = category()
    for index in range(15):
        listing(make_user(), cat, title=f"Thing {index}")
    # when the home page is read, then the number of queries does not grow with the listings
    with django_assert_max_num_queries(4):
        client.get("/")


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_send_the_csp_and_use_no_inline_code(client: Client, db: Any, path: str) -> None:
    # given a visitor
    # when they open a page
    response = client.get(path)
    # then it renders in the site layout under the strict CSP, with nothing inline
    assert response.status_code in (200, 404)
    assert 'class="site-header"' in response.content.decode()
    assert_csp_clean(response)


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_member_pages_send_the_csp_and_use_no_inline_code(
    client: Client, make_user: Callable[..., User], path: str
) -> None:
    # given a logged-in member with an unread notification and an unverified email
    user = make_user(verified=False)
    notification(user)
    client.force_login(user)
    # when they open a page
    response = client.get(path)
    # then it renders under the strict CSP, with nothing inline
    assert response.status_code in (200, 404)
    assert_csp_clean(response)


def test_header_for_a_member_has_badge_account_menu_and_post_logout(
    client: Client, make_user: Callable[..., User]
) -> None:
    # given a member with two unread notifications
    user = make_user(name="Alice M.")
    notification(user)
    notification(user)
    client.force_login(user)
    # when they open any page
    html = client.get("/").content.decode()
    # then the header shows the unread count, their menu and a log-out form that POSTs
    assert 'id="unread-badge"' in html and ">2<" in html
    assert "Alice M." in html
    assert 'action="/accounts/logout/"' in html and 'method="post"' in html
    assert "Log in" not in html


def test_header_for_a_visitor_offers_log_in_and_sign_up(client: Client, db: Any) -> None:
    html = client.get("/").content.decode()
    assert "Log in" in html and "Sign up" in html
    assert "unread-badge" not in html


def test_signup_page_asks_for_a_name(client: Client, db: Any) -> None:
    # when a visitor opens the sign-up page
    response = client.get("/accounts/signup/")
    # then the form asks for their name, with labels
    html = response.content.decode()
    assert 'name="name"' in html
    assert '<label for="id_name">' in html
    assert '<label for="id_email">' in html


def test_login_error_is_shown_in_the_form(client: Client, make_user: Callable[..., User]) -> None:
    # given a member
    make_user(email="ana@example.com")
    # when someone logs in with a wrong password
    response = client.post("/accounts/login/", {"login": "ana@example.com", "password": "wrong one"})
    # then the page says so, inside the site's layout
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="form-errors"' in html
    assert 'class="auth-card"' in html


def test_login_with_the_right_password_goes_home(client: Client, make_user: Callable[..., User]) -> None:
    make_user(email="ana@example.com", password="correct horse battery")
    response = client.post(
        "/accounts/login/", {"login": "ana@example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_error_404_is_in_the_site_style(client: Client, db: Any) -> None:
    response = client.get("/nowhere/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and 'class="error-page"' in html
    assert_csp_clean(response)


@pytest.mark.urls("barnraise.web.tests.urls_boom")
def test_error_500_renders_without_a_request_context(db: Any) -> None:
    # given a view that fails
    client = Client(raise_request_exception=False)
    # when it is called
    response = client.get("/boom/")
    # then the plain 500 page is shown under the CSP
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "Barnraise" in html
    assert_csp_clean(response)


def test_error_400_and_403_pages(rf: Any, db: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    from barnraise.web.views import bad_request, permission_denied

    # given a request
    request = rf.get("/")
    request.user = AnonymousUser()
    # when the handlers render, then they show the site's error pages
    bad = bad_request(request)
    denied = permission_denied(request)
    assert bad.status_code == 400 and b"Bad request" in bad.content
    assert denied.status_code == 403 and b"Not allowed" in denied.content


def test_home_has_a_search_box_that_opens_the_search(client: Client, make_user: Callable[..., User]) -> None:
    # given a published drill
    listing(make_user(), category(), title="Cordless drill")
    # when a visitor opens the home page
    html = client.get("/").content.decode()
    # then a search form sends its words to the search page
    form = re.search(r'<form method="get" action="/search/"[^>]*role="search"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None
    assert 'name="q"' in form.group(1) and 'type="search"' in form.group(1)
    # and what it sends finds the drill there
    assert "Cordless drill" in client.get("/search/", {"q": "drill"}).content.decode()


def test_home_cards_show_the_first_photo_or_a_placeholder(
    client: Client, make_user: Callable[..., User], settings: Any
) -> None:
    # given a listing with two photos and one with none
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    author = make_user()
    drill = listing(author, category(), title="Cordless drill")
    listing(author, category(slug="ladders", name="Ladders"), title="Tall ladder")
    first = photo_add(actor=author, public_id=drill.public_id, upload=png(), alt_text="A red drill")
    photo_add(actor=author, public_id=drill.public_id, upload=png(), alt_text="Its case")
    # when a visitor opens the home page
    html = client.get("/").content.decode()
    # then the drill's card shows its first photo's thumbnail with its alt text, the ladder's a placeholder
    assert f'src="{first.thumbnail.url}" alt="A red drill"' in html
    assert 'alt="Its case"' not in html
    assert html.count('class="card-thumb card-thumb-none"') == 1


def test_the_stylesheet_wraps_long_words_on_every_page(client: Client, db: Any) -> None:
    # given the stylesheet every page links
    html = client.get("/").content.decode()
    href = re.search(r'<link rel="stylesheet" href="([^"]*site\.css)"', html)
    assert href is not None
    css = finders.find("web/site.css")
    assert css is not None and href.group(1).endswith("web/site.css")
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", Path(css).read_text(), flags=re.S))
    # then the page's main text, footer and dialogs break long words anywhere rather than overflow
    wrapped = {
        selector.strip()
        for selectors, body in rules
        if re.search(r"overflow-wrap:\s*anywhere", body)
        for selector in selectors.split(",")
    }
    assert {"main", "footer", "dialog"} <= wrapped

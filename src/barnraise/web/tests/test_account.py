import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from barnraise.accounts.models import ApiToken, User
from barnraise.accounts.selectors import user_by_token
from barnraise.accounts.services import token_create
from barnraise.web.tests.page_testing import assert_csp_clean, category, listing, notification


@pytest.fixture
def member(make_user: Callable[..., User]) -> User:
    return make_user(email="ana@example.com", name="Ana P.", password="correct horse battery")


@pytest.fixture
def member_client(client: Client, member: User) -> Client:
    client.force_login(member)
    return client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/account/"),
        ("post", "/account/profile/"),
        ("post", "/account/tokens/"),
        ("get", "/account/export/"),
        ("post", "/account/delete/"),
        ("post", "/email/verify/"),
        ("get", "/notifications/"),
        ("post", "/notifications/read-all/"),
    ],
)
def test_member_pages_send_visitors_to_log_in(client: Client, db: Any, method: str, path: str) -> None:
    # given a visitor who is not logged in
    # when they open a member page
    response = getattr(client, method)(path)
    # then they are sent to the login page, and come back afterwards
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_settings_page_shows_profile_tokens_export_and_delete(member_client: Client) -> None:
    response = member_client.get("/account/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Ana P."' in html
    assert "API tokens" in html and "Download my data" in html and "Delete my account" in html
    assert_csp_clean(response)


def test_profile_edit_saves_and_says_so(member_client: Client, member: User) -> None:
    # when the member saves a new profile
    response = member_client.post(
        "/account/profile/",
        {"name": "  Ana   Pereira ", "bio": "I fix bikes.", "location": "Old North End"},
        follow=True,
    )
    # then it is stored (cleaned by the service) and the page confirms it
    member.refresh_from_db()
    assert (member.name, member.bio, member.location) == ("Ana Pereira", "I fix bikes.", "Old North End")
    assert "Your profile is saved." in response.content.decode()


def test_profile_edit_shows_errors_beside_the_field_and_changes_nothing(
    member_client: Client, member: User
) -> None:
    # when the member submits a name made only of spaces
    response = member_client.post("/account/profile/", {"name": "   ", "bio": "new bio", "location": ""})
    # then the page shows the error at the name field and nothing is saved
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'id="id_name_error"' in html
    member.refresh_from_db()
    assert member.name == "Ana P." and member.bio == ""


def test_profile_edit_maps_service_errors_to_fields(
    member_client: Client, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from barnraise.errors import InvalidInput

    # given the service rejects the location
    def reject(**kwargs: Any) -> User:
        raise InvalidInput(details={"location": ["Not a place we know."]})

    monkeypatch.setattr("barnraise.web.account_views.user_profile_update", reject)
    # when the member saves
    response = member_client.post("/account/profile/", {"name": "Ana", "location": "Atlantis"})
    # then the message sits under the location field
    html = response.content.decode()
    assert response.status_code == 422
    assert '<small class="field-error" id="id_location_error">Not a place we know.</small>' in html


def test_token_create_shows_the_secret_once(member_client: Client, member: User) -> None:
    # when the member creates a token
    response = member_client.post("/account/tokens/", {"name": "shop sync"})
    # then the secret is shown once, works, and is not shown again
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    secret = html.split('<code class="secret">', 1)[1].split("</code>", 1)[0]
    assert secret.startswith("br_")
    assert user_by_token(raw=secret) == member
    assert secret not in member_client.get("/account/").content.decode()


def test_token_create_without_a_name_shows_an_error(member_client: Client, member: User) -> None:
    response = member_client.post("/account/tokens/", {"name": ""})
    assert response.status_code == 422
    assert 'id="id_name_error"' in response.content.decode()
    assert not ApiToken.objects.filter(user=member).exists()


def test_token_revoke(member_client: Client, member: User) -> None:
    # given a token
    member_client.post("/account/tokens/", {"name": "old"})
    token = ApiToken.objects.get(user=member)
    # when the member revokes it
    response = member_client.post(f"/account/tokens/{token.id}/revoke/", follow=True)
    # then it is revoked and the page says so
    token.refresh_from_db()
    assert token.revoked_at is not None
    html = response.content.decode()
    assert "is revoked" in html and "revoked</span>" in html


def test_token_revoke_of_someone_elses_token_is_404(
    member_client: Client, make_user: Callable[..., User]
) -> None:
    # given another member's token
    token, _ = token_create(user=make_user(), name="theirs")
    # when our member tries to revoke it
    response = member_client.post(f"/account/tokens/{token.id}/revoke/")
    # then it is not found and stays active
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_export_downloads_json(member_client: Client, member: User) -> None:
    # given a member with a listing and a notification
    listing(member, category(), title="Canoe")
    notification(member)
    # when they download their data
    response = member_client.get("/account/export/")
    # then it is a JSON attachment with everything
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="barnraise-data-')
    assert response["Content-Disposition"].endswith('.json"')
    data = json.loads(response.content)
    assert data["profile"]["email"] == "ana@example.com"
    assert data["listings"][0]["title"] == "Canoe"
    assert len(data["notifications"]) == 1


def test_delete_with_a_wrong_password_keeps_the_account(member_client: Client, member: User) -> None:
    response = member_client.post("/account/delete/", {"password": "not it"})
    assert response.status_code == 422
    assert "The password is not correct." in response.content.decode()
    member.refresh_from_db()
    assert member.deleted_at is None and member.is_active


def test_delete_anonymises_logs_out_and_blocks_login(member_client: Client, member: User) -> None:
    # when the member deletes their account with their password
    response = member_client.post("/account/delete/", {"password": "correct horse battery"}, follow=True)
    # then they land home, logged out, with a message
    assert response.redirect_chain[-1][0] == "/"
    html = response.content.decode()
    assert "Your account is deleted." in html
    assert "Log in" in html
    # and the account is anonymised and cannot log in
    member.refresh_from_db()
    assert member.deleted_at is not None
    assert member.email != "ana@example.com" and member.name != "Ana P."
    assert not Client().login(email="ana@example.com", password="correct horse battery")
    login = Client().post(
        "/accounts/login/", {"login": "ana@example.com", "password": "correct horse battery"}
    )
    assert login.status_code == 200  # the form again, with an error: no redirect into the site


def test_post_forms_are_csrf_protected(member: User) -> None:
    # given a browser-like client that enforces CSRF
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    # when a form is posted without the token
    response = client.post("/account/profile/", {"name": "Mallory"})
    # then it is refused with the site's page and nothing changes
    assert response.status_code == 403
    assert "The form has expired" in response.content.decode()
    assert_csp_clean(response)
    member.refresh_from_db()
    assert member.name == "Ana P."
    # and with the token from the page, it goes through
    client.get("/account/")
    token = client.cookies["csrftoken"].value
    response = client.post("/account/profile/", {"name": "Ana Q.", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "Ana Q."


def test_unverified_member_sees_the_banner_and_can_resend(
    client: Client, make_user: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    # given a member whose email is not verified
    user = make_user(email="new@example.com", verified=False)
    client.force_login(user)
    # when they open a page, they see the banner
    assert "Please confirm your email address" in client.get("/").content.decode()
    # when they ask for the link again
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/email/verify/", {"next": "/notifications/"})
    # then a mail with a confirmation link goes out and they stay where they were
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_resend_ignores_an_outside_next(client: Client, make_user: Callable[..., User]) -> None:
    client.force_login(make_user(verified=False))
    response = client.post("/email/verify/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_verified_member_sees_no_banner(member_client: Client) -> None:
    assert "Please confirm your email address" not in member_client.get("/").content.decode()

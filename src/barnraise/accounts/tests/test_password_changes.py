"""A password change or reset ends the other tokens and sessions, and tells the member."""

import re

import pytest
from django.core import mail
from django.test import Client

from barnraise.accounts.models import ApiToken, User
from barnraise.accounts.services import token_create

OLD = "correct horse battery"
NEW = "a brand new long secret 71"


def works(api, raw: str) -> bool:
    return api.call("GET", "me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def signed_in(user: User) -> Client:
    browser = Client()
    response = browser.post("/accounts/login/", {"login": user.email, "password": OLD})
    assert response.status_code == 302, response.content
    return browser


def is_signed_in(browser: Client) -> bool:
    return browser.get("/account/").status_code == 200


def test_changing_the_password_by_api_keeps_the_callers_token_and_ends_the_rest(
    api, api_as, django_capture_on_commit_callbacks
):
    # given a member with two tokens and a browser session
    client = api_as(email="ada@example.com")
    _, other = token_create(user=client.user, name="laptop")
    browser = signed_in(client.user)
    mail.outbox.clear()
    # when they change the password with one token
    with django_capture_on_commit_callbacks(execute=True):
        response = client.call("POST", "me/password", json={"current_password": OLD, "new_password": NEW})
    # then that token still works, the other token and the session do not
    assert response.status_code == 204, response.content
    assert client.call("GET", "me").status_code == 200
    assert not works(api, other)
    assert not is_signed_in(browser)
    # and only the new password opens the account
    assert Client().login(email="ada@example.com", password=NEW)
    assert not Client().login(email="ada@example.com", password=OLD)
    # and the member is told
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert "password was changed" in message.subject


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"current_password": "not it", "new_password": NEW}, "current_password"),
        ({"current_password": OLD, "new_password": "        "}, "new_password"),
        ({"current_password": OLD, "new_password": "password123"}, "new_password"),
    ],
)
def test_a_refused_password_change_changes_nothing(api, api_as, payload, field):
    # given
    client = api_as(email="ada@example.com")
    _, other = token_create(user=client.user, name="laptop")
    before = User.objects.get(pk=client.user.pk).password
    # when
    response = client.call("POST", "me/password", json=payload)
    # then
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]
    assert User.objects.get(pk=client.user.pk).password == before
    assert works(api, other)
    assert not mail.outbox


def test_changing_the_password_on_the_page_keeps_that_session_and_ends_tokens_and_other_sessions(
    api, make_user, django_capture_on_commit_callbacks
):
    # given
    user = make_user(email="ada@example.com")
    _, raw = token_create(user=user, name="phone")
    page, other_browser = signed_in(user), signed_in(user)
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(
            "/accounts/password/change/", {"oldpassword": OLD, "password1": NEW, "password2": NEW}
        )
    # then
    assert response.status_code == 302, response.content
    assert is_signed_in(page)
    assert not is_signed_in(other_browser)
    assert not works(api, raw)
    assert ApiToken.objects.get().revoked_at is not None
    [message] = mail.outbox
    assert "password was changed" in message.subject


def test_resetting_the_password_ends_every_token_and_session(
    api, make_user, settings, django_capture_on_commit_callbacks
):
    # given a member with a token and a session somewhere (perhaps not theirs)
    user = make_user(email="ada@example.com")
    _, raw = token_create(user=user, name="phone")
    elsewhere = signed_in(user)
    # when the owner asks for a reset and follows the emailed link
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/accounts/password/reset/", {"email": "ada@example.com"})
    [request_mail] = mail.outbox
    link = re.search(rf"{re.escape(settings.SITE_URL)}(/accounts/password/reset/key/\S+/)", request_mail.body)
    assert link, request_mail.body
    form = browser.get(link.group(1), follow=True)
    assert form.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post(form.redirect_chain[-1][0], {"password1": NEW, "password2": NEW})
    # then
    assert done.status_code == 302, done.content
    assert Client().login(email="ada@example.com", password=NEW)
    assert not works(api, raw)
    assert not is_signed_in(elsewhere)
    assert "password was reset" in mail.outbox[-1].subject


def test_a_reset_takes_the_account_back_from_whoever_signed_up_with_the_address(
    api, db, django_capture_on_commit_callbacks
):
    # given someone signed up with Ada's address and a password of their own
    squatter = {"email": "ada@example.com", "password": "the squatter knows 55", "name": "Not Ada"}
    with django_capture_on_commit_callbacks(execute=True):
        assert api.call("POST", "auth/signup", json=squatter).status_code == 202
    assert ApiToken.objects.count() == 0  # sign-up gave them nothing to keep
    # when Ada resets the password with the link sent to her address
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/accounts/password/reset/", {"email": "ada@example.com"})
    link = re.search(r"/accounts/password/reset/key/\S+/", mail.outbox[-1].body)
    assert link
    form = browser.get(link.group(0), follow=True)
    browser.post(form.redirect_chain[-1][0], {"password1": NEW, "password2": NEW})
    # then the squatter's password is gone and Ada can get a token (the link proved the address)
    theirs = api.call(
        "POST", "auth/token", json={"email": "ada@example.com", "password": squatter["password"]}
    )
    assert theirs.status_code == 401
    hers = api.call("POST", "auth/token", json={"email": "ada@example.com", "password": NEW})
    assert hers.status_code == 200

"""POST /api/v1/auth/signup and POST /api/v1/auth/token, as a client sees them."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from barnraise.accounts.models import ApiToken, User
from barnraise.notifications.models import OutgoingEmail

GOOD = {"email": "Ada@Example.com", "password": "a long enough secret 42", "name": "Ada Lovelace"}


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "tokens": ApiToken.objects.count(),
        "addresses": EmailAddress.objects.count(),
        "emails": OutgoingEmail.objects.count(),
    }


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def confirmation_key(body: str) -> str:
    link = re.search(r"https?://\S+/accounts/confirm-email/(\S+)/", body)
    assert link, body
    return link.group(1)


def test_signup_answers_202_without_a_token_and_emails_a_confirmation_link(
    api, db, settings, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.call("POST", "auth/signup", json=GOOD)
    # then: no token, only what happens next
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"email", "message"}
    assert body["email"] == "ada@example.com"
    assert "ada@example.com" in body["message"]
    user = User.objects.get()
    assert (user.email, user.name) == ("ada@example.com", "Ada Lovelace")
    assert ApiToken.objects.count() == 0
    assert EmailAddress.objects.get(user=user).verified is False
    # and the mail went out only once the transaction committed, with a link at SITE_URL
    assert callbacks
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert "Confirm your email address" in message.subject
    assert f"{settings.SITE_URL}/accounts/confirm-email/{confirmation_key(message.body)}/" in message.body
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT


def test_signup_link_confirms_the_address_on_the_page(api, db, django_capture_on_commit_callbacks):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        assert api.call("POST", "auth/signup", json=GOOD).status_code == 202
    key = confirmation_key(mail.outbox[0].body)
    # when: the member follows the link (allauth shows a page, the button POSTs)
    browser = Client()
    assert browser.get(f"/accounts/confirm-email/{key}/").status_code == 200
    confirmed = browser.post(f"/accounts/confirm-email/{key}/")
    # then
    assert confirmed.status_code in (200, 302)
    assert EmailAddress.objects.get().verified is True
    token = api.call("POST", "auth/token", json={"email": GOOD["email"], "password": GOOD["password"]})
    assert token.status_code == 200


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@EXAMPLE.COM", " Ada@example.com "])
def test_signup_with_a_taken_email_answers_as_for_a_new_one_and_tells_the_owner(
    api, make_user, settings, email, django_capture_on_commit_callbacks
):
    # given
    owner = make_user(email="ada@example.com", password="the owner's own secret 7")
    fresh = api.call("POST", "auth/signup", json={**GOOD, "email": "new@example.com"})
    before = {**counts(), "owner_password": User.objects.get(pk=owner.pk).password}
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api.call("POST", "auth/signup", json={**GOOD, "email": email})
    # then: the same answer as for a new address
    assert response.status_code == fresh.status_code == 202
    assert set(response.json()) == set(fresh.json())
    assert response.json()["email"] == "ada@example.com"
    assert response.json()["message"] == fresh.json()["message"].replace("new@example.com", "ada@example.com")
    # and nothing was created or changed
    after = {**counts(), "owner_password": User.objects.get(pk=owner.pk).password}
    assert after == {**before, "emails": before["emails"] + 1}
    # and the owner is told, with a way to reset the password
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert "tried to sign up" in message.subject
    assert f"{settings.SITE_URL}/accounts/password/reset/" in message.body
    assert "confirm-email" not in message.body


def test_repeated_signups_for_a_taken_address_mail_the_owner_once_and_still_answer_202(
    api, make_user, django_capture_on_commit_callbacks
):
    # given
    make_user(email="ada@example.com")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        answers = [api.call("POST", "auth/signup", json=GOOD).status_code for _ in range(3)]
    # then
    assert answers == [202, 202, 202]
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("password", ["short", "12345678901", "password123", "ada@example.com"])
def test_signup_with_a_weak_password_names_the_password(api, db, password):
    # when
    response = api.call("POST", "auth/signup", json={**GOOD, "password": password})
    # then
    error = assert_error(response, 422, "invalid")
    assert error["details"]["password"]
    assert counts() == {"users": 0, "tokens": 0, "addresses": 0, "emails": 0}


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com", ""])
def test_signup_with_a_bad_email_names_the_email(api, db, email):
    # when
    response = api.call("POST", "auth/signup", json={**GOOD, "email": email})
    # then
    error = assert_error(response, 422, "invalid")
    assert error["details"]["email"]
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "email"),
        ({"email": "ada@example.com", "password": "a long enough secret 42"}, "name"),
        ({**GOOD, "email": True}, "email"),
        ({**GOOD, "name": 12}, "name"),
        ({**GOOD, "password": ["a long enough secret 42"]}, "password"),
        ({**GOOD, "password": None}, "password"),
        ({**GOOD, "email": "a" * 250 + "@example.com"}, "email"),
        ({**GOOD, "name": "n" * 5000}, "name"),
        ({**GOOD, "password": "p" * 10_000}, "password"),
        ({**GOOD, "name": "   "}, "name"),
    ],
)
def test_signup_with_invalid_fields_is_422_naming_the_field(api, db, payload, field):
    # when
    response = api.call("POST", "auth/signup", json=payload)
    # then
    error = assert_error(response, 422, "invalid")
    assert field in error["details"]
    assert counts() == {"users": 0, "tokens": 0, "addresses": 0, "emails": 0}


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        ("null", "application/json", 422, "invalid"),
        ("[]", "application/json", 422, "invalid"),
        ('[{"email": "ada@example.com"}]', "application/json", 422, "invalid"),
        ('"ada@example.com"', "application/json", 422, "invalid"),
        ("42", "application/json", 422, "invalid"),
        ('{"email": "ada@example.com",', "application/json", 400, "malformed_json"),
        ("{'email': 'ada@example.com'}", "application/json", 400, "malformed_json"),
        ("\xff\xfe{}", "application/json", 400, "malformed_json"),
        ("[" * 50_000 + "]" * 50_000, "application/json", 400, "malformed_json"),
        ("email=ada%40example.com&password=x&name=Ada", "application/x-www-form-urlencoded", 415, None),
        (
            '{"email": "ada@example.com", "password": "a long secret 42", "name": "A"}',
            "text/plain",
            415,
            None,
        ),
    ],
)
def test_signup_with_a_body_that_is_not_a_json_object_is_4xx_json(api, db, raw, content_type, status, code):
    # when
    response = api.post("/api/v1/auth/signup", data=raw.encode("latin-1"), content_type=content_type)
    # then
    assert_error(response, status, code or "unsupported_media_type")
    assert counts() == {"users": 0, "tokens": 0, "addresses": 0, "emails": 0}


def test_signup_without_a_body_is_422(api, db):
    # when
    response = api.post("/api/v1/auth/signup", data=b"", content_type="application/json")
    # then
    assert_error(response, 422, "invalid")
    assert User.objects.count() == 0


def test_token_exchanges_credentials_for_a_working_token(api, make_user):
    # given
    make_user(email="ada@example.com", password="a long enough secret 42")
    # when
    response = api.call(
        "POST", "auth/token", json={"email": " ADA@example.com", "password": "a long enough secret 42"}
    )
    # then
    assert response.status_code == 200
    token = response.json()["token"]
    assert api.call("GET", "me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert ApiToken.objects.get(prefix=token[:10]).name == "API"


def test_token_with_a_wrong_password_or_an_unknown_email_gives_the_same_answer(api, make_user):
    # given
    make_user(email="ada@example.com", password="a long enough secret 42")
    # when
    wrong = api.call("POST", "auth/token", json={"email": "ada@example.com", "password": "nope nope"})
    unknown = api.call("POST", "auth/token", json={"email": "bob@example.com", "password": "nope nope"})
    # then
    assert assert_error(wrong, 401, "invalid_credentials") == assert_error(
        unknown, 401, "invalid_credentials"
    )
    assert ApiToken.objects.count() == 0


def test_token_for_a_deactivated_member_is_refused(api, make_user):
    # given
    make_user(email="ada@example.com", password="a long enough secret 42", is_active=False)
    # when
    response = api.call(
        "POST", "auth/token", json={"email": "ada@example.com", "password": "a long enough secret 42"}
    )
    # then
    assert_error(response, 401, "invalid_credentials")
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [{}, {"email": "ada@example.com"}, {"email": 1, "password": "x"}, {"email": "a", "password": "x" * 201}],
)
def test_token_with_invalid_fields_is_422(api, make_user, payload):
    # given
    make_user(email="ada@example.com")
    # when
    response = api.call("POST", "auth/token", json=payload)
    # then
    assert_error(response, 422, "invalid")
    assert ApiToken.objects.count() == 0

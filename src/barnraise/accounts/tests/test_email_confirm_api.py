"""POST /api/v1/auth/email/confirm: the key from the confirmation email gives the first token."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core import mail
from django.utils import timezone

from barnraise.accounts.models import ApiToken, User
from barnraise.accounts.services import token_create

SIGNUP = {"email": "ada@example.com", "password": "a long enough secret 42", "name": "Ada Lovelace"}


def signed_up_key(api, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        assert api.call("POST", "auth/signup", json=SIGNUP).status_code == 202
    link = re.search(r"/accounts/confirm-email/(\S+)/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    return link.group(1)


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_the_key_from_the_email_confirms_the_address_and_returns_the_first_token(
    api, db, django_capture_on_commit_callbacks
):
    # given a new member with no token
    key = signed_up_key(api, django_capture_on_commit_callbacks)
    assert ApiToken.objects.count() == 0
    # when the app sends the key from the link
    response = api.call("POST", "auth/email/confirm", json={"key": key})
    # then it gets a working token and the member
    assert response.status_code == 200, response.content
    body = response.json()
    user = User.objects.get()
    assert set(body) == {"token", "user"}
    assert body["user"]["id"] == str(user.id)
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["email_verified"] is True
    me = api.call("GET", "me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["email_verified"] is True


def test_a_used_key_is_409_and_gives_no_token(api, db, django_capture_on_commit_callbacks):
    # given
    key = signed_up_key(api, django_capture_on_commit_callbacks)
    assert api.call("POST", "auth/email/confirm", json={"key": key}).status_code == 200
    # when
    response = api.call("POST", "auth/email/confirm", json={"key": key})
    # then
    assert_error(response, 409, "confirmation_key_used")
    assert ApiToken.objects.count() == 1


def test_an_expired_key_is_410_and_confirms_nothing(api, db, django_capture_on_commit_callbacks):
    # given
    key = signed_up_key(api, django_capture_on_commit_callbacks)
    # when
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        response = api.call("POST", "auth/email/confirm", json={"key": key})
    # then
    assert_error(response, 410, "confirmation_key_expired")
    assert EmailAddress.objects.get().verified is False
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("key", ["", "nonsense", "MQ:1tZ9Xy:forged-signature", "a" * 400])
def test_a_bad_key_is_400_and_confirms_nothing(api, db, key, django_capture_on_commit_callbacks):
    # given
    signed_up_key(api, django_capture_on_commit_callbacks)
    # when
    response = api.call("POST", "auth/email/confirm", json={"key": key})
    # then
    assert_error(response, 400, "confirmation_key_invalid")
    assert EmailAddress.objects.get().verified is False
    assert ApiToken.objects.count() == 0


def test_the_key_of_a_deleted_account_is_400(api, db, django_capture_on_commit_callbacks):
    # given
    key = signed_up_key(api, django_capture_on_commit_callbacks)
    EmailAddress.objects.all().delete()
    # when
    response = api.call("POST", "auth/email/confirm", json={"key": key})
    # then
    assert_error(response, 400, "confirmation_key_invalid")
    assert ApiToken.objects.count() == 0


def test_the_first_confirmation_ends_tokens_made_before_the_address_was_proven(
    api, db, django_capture_on_commit_callbacks
):
    # given a token held before the address was confirmed (as the old sign-up gave out)
    key = signed_up_key(api, django_capture_on_commit_callbacks)
    _, early = token_create(user=User.objects.get(), name="before confirmation")
    assert api.call("GET", "me", headers={"Authorization": f"Bearer {early}"}).status_code == 200
    # when the address's owner confirms it
    confirmed = api.call("POST", "auth/email/confirm", json={"key": key})
    # then only the token the confirmation gave works
    assert confirmed.status_code == 200
    assert api.call("GET", "me", headers={"Authorization": f"Bearer {early}"}).status_code == 401
    fresh = confirmed.json()["token"]
    assert api.call("GET", "me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_token_before_confirmation_is_403_and_sends_a_new_link(api, db, django_capture_on_commit_callbacks):
    # given a member who has not confirmed
    signed_up_key(api, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    # when they ask for a token with the right password
    with django_capture_on_commit_callbacks(execute=True):
        response = api.call(
            "POST", "auth/token", json={"email": SIGNUP["email"], "password": SIGNUP["password"]}
        )
    # then no token, and a fresh link is on its way
    assert_error(response, 403, "email_unverified")
    assert ApiToken.objects.count() == 0
    [message] = mail.outbox
    assert "/accounts/confirm-email/" in message.body


def test_the_key_for_an_address_added_later_gives_no_token(api, make_user):
    # given a confirmed member who added a second address (perhaps someone else's)
    user = make_user(email="ada@example.com")
    added = EmailAddress.objects.create(user=user, email="other@example.com", primary=False, verified=False)
    key = EmailConfirmationHMAC(added).key
    # when whoever reads that address sends its key
    response = api.call("POST", "auth/email/confirm", json={"key": key})
    # then they get no token into Ada's account, and nothing is confirmed
    assert_error(response, 400, "confirmation_key_invalid")
    assert ApiToken.objects.count() == 0
    assert EmailAddress.objects.get(pk=added.pk).verified is False

"""GET/PATCH/DELETE /api/v1/me, the export, and the verification email, as a client sees them."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from barnraise.accounts.models import ApiToken, User
from barnraise.catalog.models import Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.notifications.services import notification_send

PASSWORD = "correct horse battery"


def a_listing(author: User) -> Listing:
    category = category_create(slug="tools", name="Tools")
    return listing_create(
        actor=author,
        kind="rental",
        category=category,
        unit="day",
        title="Cordless drill",
        description="18 V, two batteries.",
        attributes={},
        price_amount_minor=1200,
        currency="EUR",
        stock=None,
        seats=1,
        lat=48.8566,
        lng=2.3522,
        timezone="Europe/Paris",
        address="1 Rue de Rivoli",
    )


def test_me_shows_the_callers_account(api_as):
    # given
    client = api_as(email="ada@example.com", name="Ada")
    # when
    response = client.call("GET", "me")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(client.user.id)
    assert body["email"] == "ada@example.com"
    assert body["name"] == "Ada"
    assert body["email_verified"] is True
    assert body["avatar_url"] is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer br_not-a-real-token"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Authorization": "Basic YWRhOnNlY3JldA=="},
        {"Authorization": "br_no-scheme"},
    ],
)
def test_me_without_a_valid_bearer_token_is_401(api, db, headers):
    # when
    response = api.call("GET", "me", headers=headers)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_patch_me_changes_only_the_fields_sent(api_as):
    # given
    client = api_as(name="Ada")
    # when
    response = client.call("PATCH", "me", json={"bio": "  I lend tools.  ", "location": "Paris"})
    # then
    assert response.status_code == 200
    assert response.json()["bio"] == "I lend tools."
    user = User.objects.get(pk=client.user.pk)
    assert (user.name, user.bio, user.location) == ("Ada", "I lend tools.", "Paris")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"bio": "b" * 2001}, "bio"),
        ({"location": "l" * 121}, "location"),
        ({"name": 5}, "name"),
        ({"bio": ["x"]}, "bio"),
    ],
)
def test_patch_me_with_invalid_fields_changes_nothing(api_as, payload, field):
    # given
    client = api_as(name="Ada")
    # when
    response = client.call("PATCH", "me", json=payload)
    # then
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]
    user = User.objects.get(pk=client.user.pk)
    assert (user.name, user.bio, user.location) == ("Ada", "", "")


def test_export_has_every_section(api_as):
    # given
    client = api_as(email="ada@example.com")
    notification_send(recipient=client.user, kind="welcome", email=False)
    a_listing(client.user)
    # when
    response = client.call("GET", "me/export")
    # then
    assert response.status_code == 200
    body = response.json()
    assert {"profile", "api_tokens", "notifications", "listings"} <= set(body)
    assert body["profile"]["email"] == "ada@example.com"
    assert len(body["api_tokens"]) == 1
    assert "digest" not in body["api_tokens"][0]
    assert len(body["notifications"]) == 1
    assert len(body["listings"]) == 1


def test_verification_email_is_sent_again_after_commit(api_as, django_capture_on_commit_callbacks):
    # given
    client = api_as(verified=False)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.call("POST", "me/email/verification")
    # then
    assert response.status_code == 202
    assert response.json() == {"sent": True}
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_verification_email_is_not_sent_to_a_verified_address(api_as, django_capture_on_commit_callbacks):
    # given
    client = api_as(verified=True)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.call("POST", "me/email/verification")
    # then
    assert response.status_code == 202
    assert response.json() == {"sent": False}
    assert mail.outbox == []


def test_verification_email_is_rate_limited_per_account(api_as, settings, django_capture_on_commit_callbacks):
    # given
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "verification:account": (2, 600)}
    client = api_as(verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert client.call("POST", "me/email/verification").status_code == 202
        # when
        response = client.call("POST", "me/email/verification")
    # then
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert 0 < error["details"]["retry_after"] <= 601
    assert response["Retry-After"] == str(error["details"]["retry_after"])
    assert len(mail.outbox) == 2


def test_delete_me_anonymises_the_member_and_keeps_the_row(api_as, make_user):
    # given
    client = api_as(email="ada@example.com", name="Ada", bio="Tools", location="Paris")
    user = client.user
    other_token = api_as(user=user).token
    listing = a_listing(user)
    notification_send(recipient=user, kind="welcome", email=False)
    # when
    response = client.call("DELETE", "me", json={"password": PASSWORD})
    # then
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.email == f"deleted-{user.pk}@deleted.invalid"
    assert user.name != "Ada"
    assert (user.bio, user.location, user.is_active) == ("", "", False)
    assert user.deleted_at is not None
    assert not user.has_usable_password()
    assert ApiToken.objects.filter(user=user).count() == 0
    assert EmailAddress.objects.filter(user=user).count() == 0
    assert user.notifications.count() == 0
    listing.refresh_from_db()
    assert listing.status == Listing.Status.CLOSED
    assert listing.address == ""
    assert client.call("GET", "me").status_code == 401
    assert api_as(user=user).call("GET", "me").status_code == 401  # an inactive member
    assert client.call("GET", "me", headers={"Authorization": f"Bearer {other_token}"}).status_code == 401
    login = client.call("POST", "auth/token", json={"email": "ada@example.com", "password": PASSWORD})
    assert login.status_code == 401
    # and the address is free again
    signup = client.call(
        "POST",
        "auth/signup",
        json={"email": "ada@example.com", "password": "a new long secret 9", "name": "A"},
    )
    assert signup.status_code == 202
    assert User.objects.filter(email="ada@example.com").exists()


@pytest.mark.parametrize("payload", [{"password": "wrong password"}, {}, {"password": 1}])
def test_delete_me_without_the_password_changes_nothing(api_as, payload):
    # given
    client = api_as(email="ada@example.com", name="Ada")
    listing = a_listing(client.user)
    # when
    response = client.call("DELETE", "me", json=payload)
    # then
    assert response.status_code == 422
    assert "password" in response.json()["error"]["details"]
    user = User.objects.get(pk=client.user.pk)
    assert (user.email, user.name, user.is_active, user.deleted_at) == ("ada@example.com", "Ada", True, None)
    assert user.check_password(PASSWORD)
    assert ApiToken.objects.filter(user=user).count() == 1
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
    assert client.call("GET", "me").status_code == 200

"""A switch per kind of notification: /api/v1/notifications/preferences and notification_send."""

from django.core import mail

from barnraise.notifications.kinds import kinds
from barnraise.notifications.models import Notification, OutgoingEmail
from barnraise.notifications.services import notification_send


def test_every_kind_is_listed_with_its_label_and_email_on_by_default(api_as):
    # when
    response = api_as().call("GET", "notifications/preferences")
    # then
    assert response.status_code == 200
    rows = {row["kind"]: row for row in response.json()}
    assert set(rows) == set(kinds())
    assert {"welcome", "message_received", "suspension_started", "transaction_update"} <= set(rows)
    assert all(row["email"] for row in rows.values())
    assert rows["message_received"]["label"] == "A new message in one of your deals"


def test_switching_a_kind_off_stops_its_email_but_not_the_in_app_notification(
    api_as, django_capture_on_commit_callbacks
):
    # given
    client = api_as(email="ada@example.com")
    # when
    response = client.call("PUT", "notifications/preferences", json={"email": {"welcome": False}})
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=client.user, kind="welcome")
    # then
    assert response.status_code == 200
    assert {row["kind"]: row["email"] for row in response.json()}["welcome"] is False
    assert Notification.objects.filter(recipient=client.user, kind="welcome").count() == 1
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []
    # when switched on again
    client.call("PUT", "notifications/preferences", json={"email": {"welcome": True}})
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=client.user, kind="welcome")
    # then
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]


def test_one_members_switch_does_not_touch_anothers(api_as, django_capture_on_commit_callbacks):
    # given
    quiet = api_as()
    other = api_as(email="other@example.com")
    quiet.call("PUT", "notifications/preferences", json={"email": {"welcome": False}})
    # when
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=other.user, kind="welcome")
    # then
    assert [m.to for m in mail.outbox] == [["other@example.com"]]


def test_unknown_kinds_and_non_booleans_are_422_and_change_nothing(api_as):
    # given
    client = api_as()
    # when
    unknown = client.call(
        "PUT", "notifications/preferences", json={"email": {"welcome": False, "nope": False}}
    )
    loose = client.call("PUT", "notifications/preferences", json={"email": {"welcome": "no"}})
    # then
    assert unknown.status_code == 422 and "nope" in unknown.json()["error"]["details"]
    assert loose.status_code == 422
    assert all(row["email"] for row in client.call("GET", "notifications/preferences").json())


def test_a_kind_without_its_own_html_still_gets_an_html_part(make_user, django_capture_on_commit_callbacks):
    # given: listing_rejected ships text templates only
    from barnraise.catalog.models import Listing

    user = make_user(name="Ada")
    listing = Listing(title="Lamp <b>")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipient=user,
            kind="listing_rejected",
            context={"listing": listing, "reason": "Blurry"},
            url="/x/",
        )
    # then
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert "Hello Ada" in html and "Blurry" in html and "/x/" in html
    assert "Lamp <b>" not in html  # escaped

"""/api/v1/notifications and the email outbox behind notification_send."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from barnraise.notifications.models import Notification, OutgoingEmail
from barnraise.notifications.services import emails_requeue_pending, notification_send

FAILING = "barnraise.notifications.tests.failing_backend.FailingBackend"


def test_list_shows_the_callers_notifications_newest_first_with_the_unread_count(api_as):
    # given
    client = api_as(name="Ada")
    other = api_as()
    for _ in range(3):
        notification_send(recipient=client.user, kind="welcome", email=False)
    notification_send(recipient=other.user, kind="welcome", email=False)
    # when
    response = client.call("GET", "notifications")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["unread_count"] == 3
    assert body["next_cursor"] is None
    ids = [n["id"] for n in body["results"]]
    expected = Notification.objects.filter(recipient=client.user).order_by("-created_at", "-id")
    assert ids == [str(n.id) for n in expected]
    first = body["results"][0]
    assert first["kind"] == "welcome"
    assert first["title"] == "Welcome to Barnraise"
    assert "Ada" in first["body"]
    assert first["read_at"] is None


def test_list_pages_with_limit_and_cursor_and_filters_unread(api_as):
    # given
    client = api_as()
    made = [notification_send(recipient=client.user, kind="welcome", email=False) for _ in range(5)]
    client.call("POST", f"notifications/{made[0].id}/read")
    # when
    first = client.call("GET", "notifications", data={"limit": 2}).json()
    rest = client.call("GET", "notifications", data={"limit": 100, "cursor": first["next_cursor"]}).json()
    unread = client.call("GET", "notifications", data={"unread": "true"}).json()
    # then
    assert len(first["results"]) == 2
    assert len(rest["results"]) == 3
    assert rest["next_cursor"] is None
    assert {n["id"] for n in first["results"] + rest["results"]} == {str(n.id) for n in made}
    assert str(made[0].id) not in {n["id"] for n in unread["results"]}
    assert unread["unread_count"] == 4


@pytest.mark.parametrize("query", [{"limit": 101}, {"cursor": "!!"}, {"unread": "perhaps"}])
def test_list_with_bad_parameters_is_422(api_as, query):
    # given
    client = api_as()
    # when
    response = client.call("GET", "notifications", data=query)
    # then
    assert response.status_code == 422
    assert set(query) <= set(response.json()["error"]["details"])


def test_read_marks_one_notification(api_as):
    # given
    client = api_as()
    notification = notification_send(recipient=client.user, kind="welcome", email=False)
    # when
    response = client.call("POST", f"notifications/{notification.id}/read")
    # then
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert client.call("GET", "notifications").json()["unread_count"] == 0


def test_reading_someone_elses_notification_is_404_and_changes_nothing(api_as):
    # given
    mallory = api_as()
    victim = api_as()
    notification = notification_send(recipient=victim.user, kind="welcome", email=False)
    # when
    response = mallory.call("POST", f"notifications/{notification.id}/read")
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    notification.refresh_from_db()
    assert notification.read_at is None


def test_read_all_marks_only_the_callers(api_as):
    # given
    client = api_as()
    other = api_as()
    for _ in range(2):
        notification_send(recipient=client.user, kind="welcome", email=False)
    theirs = notification_send(recipient=other.user, kind="welcome", email=False)
    # when
    response = client.call("POST", "notifications/read-all")
    # then
    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert Notification.objects.filter(recipient=client.user, read_at=None).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_notifications_need_a_token(api, db):
    # when
    response = api.call("GET", "notifications")
    # then
    assert response.status_code == 401


def test_send_queues_an_email_delivered_after_commit(make_user, django_capture_on_commit_callbacks):
    # given
    user = make_user(name="Ada", email="ada@example.com")
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification_send(recipient=user, kind="welcome", url="/account/")
        queued = OutgoingEmail.objects.get()
        # then: stored, not yet sent
        assert queued.status == OutgoingEmail.Status.PENDING
        assert mail.outbox == []
    for callback in callbacks:
        callback()
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.SENT
    assert queued.attempts == 1
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == "Welcome to Barnraise"
    assert message.body.endswith("/account/")
    assert message.alternatives and "Ada" in message.alternatives[0][0]


def test_a_failing_mail_server_leaves_the_email_pending_and_the_caller_unharmed(
    make_user, settings, django_capture_on_commit_callbacks
):
    # given
    settings.EMAIL_BACKEND = FAILING
    user = make_user()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_send(recipient=user, kind="welcome")
    # then
    assert Notification.objects.filter(id=notification.id).exists()
    email = OutgoingEmail.objects.get()
    assert email.status == OutgoingEmail.Status.PENDING
    assert email.attempts == 1
    assert "refused" in email.last_error
    assert mail.outbox == []


def test_the_sweeper_sends_a_pending_email_later(make_user, settings, django_capture_on_commit_callbacks):
    # given: an email whose first send failed
    user = make_user()
    start = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        settings.EMAIL_BACKEND = FAILING
        with django_capture_on_commit_callbacks(execute=True):
            notification_send(recipient=user, kind="welcome")
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        # when: too early, nothing is re-queued
        with django_capture_on_commit_callbacks(execute=True):
            assert emails_requeue_pending() == 0
        clock.shift(dt.timedelta(minutes=3))
        with django_capture_on_commit_callbacks(execute=True):
            requeued = emails_requeue_pending()
    # then
    assert requeued == 1
    email = OutgoingEmail.objects.get()
    assert email.status == OutgoingEmail.Status.SENT
    assert email.attempts == 2
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert emails_requeue_pending() == 0  # a sent email is not sent again


def test_an_email_that_keeps_failing_is_given_up(make_user, settings, django_capture_on_commit_callbacks):
    # given
    settings.EMAIL_BACKEND = FAILING
    user = make_user()
    start = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            notification_send(recipient=user, kind="welcome")
        # when
        for _ in range(OutgoingEmail.MAX_ATTEMPTS):
            clock.shift(dt.timedelta(minutes=3))
            with django_capture_on_commit_callbacks(execute=True):
                emails_requeue_pending()
    # then
    email = OutgoingEmail.objects.get()
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == OutgoingEmail.MAX_ATTEMPTS


def test_a_deleted_member_gets_no_email(make_user, django_capture_on_commit_callbacks):
    # given
    user = make_user(is_active=False)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=user, kind="welcome")
    # then
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.notifications.models import Notification
from barnraise.web.tests.page_testing import assert_csp_clean, notification


@pytest.fixture
def member(make_user: Callable[..., User]) -> User:
    return make_user(name="Bob N.")


@pytest.fixture
def member_client(client: Client, member: User) -> Client:
    client.force_login(member)
    return client


def test_list_shows_newest_first(member_client: Client, member: User, make_user: Callable[..., User]) -> None:
    # given two notifications for the member and one for someone else
    notification(member, title="First thing")
    notification(member, title="Second thing", body="Details here", url="/account/")
    notification(make_user(), title="Not yours")
    # when they open the page
    response = member_client.get("/notifications/")
    # then they see theirs, newest first, and a link where there is one
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Second thing") < html.index("First thing")
    assert "Not yours" not in html
    second = Notification.objects.get(title="Second thing")
    assert f'<a href="/notifications/{second.id}/open/">Second thing</a>' in html
    assert "Mark all as read" in html
    assert "just now" in html
    assert_csp_clean(response)


def test_list_is_friendly_when_empty(member_client: Client) -> None:
    html = member_client.get("/notifications/").content.decode()
    assert "All quiet" in html
    assert "Mark all as read" not in html


def test_outside_links_are_not_rendered_as_links(member_client: Client, member: User) -> None:
    notification(member, title="Odd", url="javascript:alert(1)")
    html = member_client.get("/notifications/").content.decode()
    assert "javascript:" not in html


def test_mark_one_read_without_javascript(member_client: Client, member: User) -> None:
    # given an unread notification
    note = notification(member)
    # when the plain form is posted
    response = member_client.post(f"/notifications/{note.id}/read/")
    # then it is read and the member goes back to the list
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_one_read_with_htmx_returns_the_item_and_badge(member_client: Client, member: User) -> None:
    # given two unread notifications
    note = notification(member)
    notification(member)
    # when htmx posts the form
    response = member_client.post(f"/notifications/{note.id}/read/", headers={"HX-Request": "true"})
    # then the response is the item, now read, and the badge out of band with one left
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{note.id}"' in html
    assert "Mark as read" not in html
    assert 'hx-swap-oob="true"' in html and ">1<" in html
    assert "<html" not in html


def test_mark_someone_elses_notification_is_404(
    member_client: Client, make_user: Callable[..., User]
) -> None:
    note = notification(make_user())
    response = member_client.post(f"/notifications/{note.id}/read/")
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read(member_client: Client, member: User) -> None:
    # given three unread notifications and one read
    for _ in range(3):
        notification(member)
    notification(member, read_at=timezone.now())
    # when the member marks all as read
    response = member_client.post("/notifications/read-all/", follow=True)
    # then none is unread and the page says how many changed
    assert not Notification.objects.filter(recipient=member, read_at=None).exists()
    html = response.content.decode()
    assert "3 notifications marked as read." in html
    assert 'id="unread-badge" class="badge" hidden' in html


def test_mark_read_needs_post(member_client: Client, member: User) -> None:
    note = notification(member)
    assert member_client.get(f"/notifications/{note.id}/read/").status_code == 405
    assert member_client.get("/notifications/read-all/").status_code == 405


def test_list_pages(member_client: Client, member: User, django_assert_max_num_queries: Any) -> None:
    # given more notifications than fit on a page
    for index in range(30):
        notification(member, title=f"Note {index}")
    # when the second page is opened, then it shows the rest in a few queries
    with django_assert_max_num_queries(8):
        html = member_client.get("/notifications/?page=2").content.decode()
    assert "Page 2 of 2" in html and "Note 0" in html and "Note 29" not in html


def test_times_read_in_words(member_client: Client, member: User) -> None:
    # given a notification from three hours ago
    notification(member, created_at=timezone.now() - timedelta(hours=3, minutes=5))
    # when the list is shown, then its age reads in words
    assert "3\xa0hours ago" in member_client.get("/notifications/").content.decode()


def test_opening_a_notification_reads_it_and_goes_where_it_points(
    member_client: Client, member: User, make_user: Callable[..., User]
) -> None:
    # given two unread notifications, the header's badge counts them
    booked = notification(member, title="Bob booked your drill", url="/account/")
    notification(member, title="Another")
    assert 'id="unread-badge" class="badge">2' in member_client.get("/notifications/").content.decode()
    # when the member opens one
    opened = member_client.get(f"/notifications/{booked.id}/open/")
    # then it is read, they land on its page, and the badge says one
    assert (opened.status_code, opened["Location"]) == (302, "/account/")
    booked.refresh_from_db()
    assert booked.read_at is not None
    assert 'id="unread-badge" class="badge">1' in member_client.get("/notifications/").content.decode()
    # another member's notification is not theirs to open, and only a path on this site is followed
    assert member_client.get(f"/notifications/{notification(make_user()).id}/open/").status_code == 404
    odd = notification(member, title="Odd", url="//elsewhere.example/")
    assert member_client.get(f"/notifications/{odd.id}/open/")["Location"] == "/notifications/"

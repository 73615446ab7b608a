"""Saved searches: a member keeps a search and hears, once a day, about new matches."""

import pytest

from barnraise.notifications.models import Notification
from barnraise.search.models import SavedSearch
from barnraise.search.tasks import saved_search_digests_daily

pytestmark = pytest.mark.django_db


def test_save_list_and_delete_a_search(api_as, cats):
    # given
    member = api_as()
    # when
    created = member.call(
        "POST", "saved-searches", json={"name": "Bikes", "params": {"q": "bike", "category": "bikes"}}
    )
    listed = member.call("GET", "saved-searches")
    # then
    assert created.status_code == 201
    assert listed.json()["results"][0]["params"] == {"q": "bike", "category": "bikes"}
    assert member.call("DELETE", f"saved-searches/{created.json()['id']}").status_code == 204
    assert SavedSearch.objects.count() == 0


def test_a_search_search_would_refuse_cannot_be_saved(api_as, cats):
    response = api_as().call("POST", "saved-searches", json={"name": "x", "params": {"min_price": "5"}})
    assert response.status_code == 422
    assert "currency" in response.json()["error"]["details"]
    assert SavedSearch.objects.count() == 0


def test_others_cannot_delete_my_saved_search(api_as, cats):
    mine = api_as().call("POST", "saved-searches", json={"name": "Bikes", "params": {"q": "bike"}}).json()
    assert api_as().call("DELETE", f"saved-searches/{mine['id']}").status_code == 404
    assert SavedSearch.objects.count() == 1


def test_daily_digest_tells_about_new_matches_once(
    api_as, add, mailoutbox, django_capture_on_commit_callbacks
):
    # given a listing that existed before the search was saved
    add("Old blue bike")
    member = api_as()
    member.call("POST", "saved-searches", json={"name": "Bikes", "params": {"q": "bike"}})
    # and new listings since, one matching
    add("Shiny red bike")
    add("Garden table", category="goods")
    # when the daily digest runs
    with django_capture_on_commit_callbacks(execute=True):
        saved_search_digests_daily.call_local()
    # then the member hears about the new match only, in the app and by email
    note = Notification.objects.get(recipient=member.user, kind="saved_search_digest")
    assert "Shiny red bike" in note.body and "Old blue bike" not in note.body
    assert [m.to for m in mailoutbox] == [[member.user.email]]
    # when it runs again with nothing new
    with django_capture_on_commit_callbacks(execute=True):
        saved_search_digests_daily.call_local()
    # then nothing more is sent
    assert Notification.objects.filter(kind="saved_search_digest").count() == 1
    assert len(mailoutbox) == 1

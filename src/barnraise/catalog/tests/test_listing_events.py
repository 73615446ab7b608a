"""A listing's status changes through one door, and each change is one event of the log."""

from typing import Any

from barnraise.accounts.services import operator_create, token_create
from barnraise.catalog.models import Listing
from barnraise.catalog.services import listing_approve, policy
from barnraise.catalog.tests.conftest import listing_body
from barnraise.conftest import ApiClient
from barnraise.eventlog.models import Event


def feed(client: Any) -> list[dict[str, Any]]:
    response = client.call("GET", "events")
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def test_publishing_pausing_and_closing_each_write_one_event_in_a_gap_free_sequence(
    api_as, categories, django_capture_on_commit_callbacks
):
    # given a draft
    author = api_as()
    with django_capture_on_commit_callbacks(execute=True):
        listing_id = author.call("POST", "listings", json=listing_body(publish=False)).json()["id"]
    # when the author publishes, pauses and closes it
    for method, body in (
        ("PATCH", {"status": "published"}),
        ("PATCH", {"status": "draft"}),
        ("DELETE", None),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = author.call(method, f"listings/{listing_id}", json=body)
        assert response.status_code in (200, 204), response.content
    # then the log holds one event per change, numbered 1 to 4 after commit
    events = feed(author)
    assert [(e["sequence"], e["type"], e["from_state"], e["to_state"]) for e in events] == [
        (1, "catalog:listing:created", "", "draft"),
        (2, "catalog:listing:published", "draft", "published"),
        (3, "catalog:listing:unpublished", "published", "draft"),
        (4, "catalog:listing:closed", "draft", "closed"),
    ]
    assert {(e["subject_type"], e["subject_id"], e["actor_role"]) for e in events} == {
        ("listing", listing_id, "owner")
    }
    assert {e["params"]["reason"] for e in events} == {"created", "author"}
    assert all(e["transaction_id"] is None for e in events)


def test_an_edit_that_keeps_the_status_and_a_refused_change_write_no_event(
    api_as, categories, django_capture_on_commit_callbacks
):
    # given a published listing
    author = api_as()
    with django_capture_on_commit_callbacks(execute=True):
        listing_id = author.call("POST", "listings", json=listing_body()).json()["id"]
    # when the author edits its title, publishes it again, and asks for a status that is not one
    with django_capture_on_commit_callbacks(execute=True):
        edited = author.call("PATCH", f"listings/{listing_id}", json={"title": "Red commuter bike"})
        again = author.call("PATCH", f"listings/{listing_id}", json={"status": "published"})
        refused = author.call("PATCH", f"listings/{listing_id}", json={"status": "closed"})
    # then only the creation is in the log
    assert (edited.status_code, again.status_code, refused.status_code) == (200, 200, 422)
    assert [e["type"] for e in feed(author)] == ["catalog:listing:created"]
    assert Event.objects.count() == 1


def test_a_listing_s_events_are_shown_to_its_author_and_operators_only(
    api_as, categories, django_capture_on_commit_callbacks
):
    # given a listing, another member, and operators of each group
    author, stranger = api_as(), api_as()
    support, finance = (
        ApiClient(
            token=token_create(
                user=operator_create(email=f"{g}@example.com", name=g, password="pw-123456789", groups=[g]),
                name="t",
            )[1]
        )
        for g in ("support", "finance")
    )
    with django_capture_on_commit_callbacks(execute=True):
        author.call("POST", "listings", json=listing_body())
    # when each reads the feed
    # then
    assert [e["type"] for e in feed(author)] == ["catalog:listing:created"]
    assert feed(stranger) == []
    assert (
        [e["type"] for e in feed(support)]
        == [e["type"] for e in feed(finance)]
        == ["catalog:listing:created"]
    )


def test_an_operator_s_approval_is_an_event_by_an_operator(
    api_as, categories, django_capture_on_commit_callbacks
):
    # given the marketplace reviews listings, and a listing waiting
    current = policy()
    current.approval_required = True
    current.save()
    author = api_as()
    operator = operator_create(
        email="ops@example.com", name="Ops", password="pw-123456789", groups=["support"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        author.call("POST", "listings", json=listing_body())
    # when the operator approves it
    with django_capture_on_commit_callbacks(execute=True):
        listing_approve(actor=operator, listing_id=Listing.objects.get().pk)
    # then
    events = feed(author)
    assert [(e["type"], e["to_state"], e["actor_role"], e["params"]["reason"]) for e in events] == [
        ("catalog:listing:created", "pending_approval", "owner", "created"),
        ("catalog:listing:published", "published", "operator", "approved"),
    ]
    assert Event.objects.get(sequence=2).actor_id == operator.pk

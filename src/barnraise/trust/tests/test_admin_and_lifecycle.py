"""The operator's screens render with real rows; export and deletion cover safety and messages."""

import pytest
from django.urls import reverse

from barnraise.accounts.services import user_delete
from barnraise.messaging.models import Message
from barnraise.trust.models import Appeal, Report, Strike, Suspension, TrustEvent, Violation


@pytest.fixture
def history(api_as, deal, admin_action):
    """A provider reported three times (so suspended, with an open deal), who appealed, and
    whose messages were screened."""
    provider = deal.provider
    provider.call("POST", f"transactions/{deal.tx_id}/messages", json={"body": "mail me: pat@example.com"})
    ids = [
        api_as()
        .call(
            "POST",
            "reports",
            json={"subject": "member", "subject_id": str(provider.user.pk), "reason": "spam"},
        )
        .json()["id"]
        for _ in range(3)
    ]
    admin_action("report", "confirm", ids)
    provider.call("POST", "appeals", json={"text": "Please reconsider."})
    return deal


@pytest.mark.parametrize(
    "model", [Report, Appeal, Strike, Suspension, Violation, TrustEvent], ids=lambda m: m.__name__
)
def test_each_queue_and_its_pages_render_for_an_operator(history, admin_action, model):
    # given
    client = admin_action.client
    name = model._meta.model_name
    row = model.objects.first()
    # when
    listing = client.get(reverse(f"admin:trust_{name}_changelist"))
    page = client.get(reverse(f"admin:trust_{name}_change", args=[row.pk]))
    # then
    assert listing.status_code == 200
    assert page.status_code == 200


def test_the_suspension_page_lists_the_members_open_deals(history, admin_action):
    # given
    suspension = Suspension.objects.get()
    # when
    page = admin_action.client.get(reverse("admin:trust_suspension_change", args=[suspension.pk]))
    # then
    assert "Oak table" in page.content.decode()


def test_the_conversation_is_readable_in_the_admin(history, admin_action):
    # given
    conversation = Message.objects.first().conversation
    # when
    page = admin_action.client.get(reverse("admin:messaging_conversation_change", args=[conversation.pk]))
    # then
    assert page.status_code == 200
    assert "mail me: [hidden]" in page.content.decode()


def test_export_covers_messages_and_safety(history):
    # when
    export = history.provider.call("GET", "me/export").json()
    # then
    assert export["messages"][0]["body"] == "mail me: [hidden]"
    assert len(export["safety"]["strikes"]) == 3
    assert export["safety"]["suspensions"][0]["ended_at"] is None
    assert export["safety"]["appeals"][0]["text"] == "Please reconsider."


def test_deletion_removes_the_words_and_keeps_the_records(history):
    # when
    user_delete(actor=history.provider.user, password="correct horse battery")
    # then
    message = Message.objects.get()
    assert message.body == "" and message.removed_at is not None
    assert Violation.objects.get().original == ""
    assert Strike.objects.filter(member=history.provider.user).count() == 3
    page = history.customer.call("GET", f"transactions/{history.tx_id}/messages").json()
    assert page["results"][0]["removed"] is True

"""What a party writes on a deal step reaches the other side screened until contact details
are revealed (docs/safety.md): the timeline shows it masked and the attempt is recorded."""

import pytest

from barnraise.commerce.tests.conftest import book, start, step
from barnraise.trust.models import Violation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fees")]

LEAKY = "Call me on 0123 456 789 or mail jo at example dot com"


def test_an_inquiry_and_a_decline_reason_are_masked_before_acceptance(customer, provider, listing):
    asked = start(customer, listing("sale"), transition="inquire", message=LEAKY).json()
    said = asked["events"][0]["params"]["message"]
    assert "456" not in said and "example" not in said and "[hidden]" in said
    assert Violation.objects.filter(member=customer.user).count() == 1
    tx = book(customer, listing(title="Room")).json()
    declined = step(provider, tx["id"], "decline", reason=f"Away. {LEAKY}").json()
    assert "456" not in declined["events"][-1]["params"]["reason"]
    assert Violation.objects.filter(member=provider.user).count() == 1


def test_after_acceptance_texts_pass(customer, provider, listing):
    bike = listing("sale")
    tx = start(customer, bike, quantity=1).json()
    step(provider, tx["id"], "accept")
    shipped = step(provider, tx["id"], "mark_shipped", tracking="BE123")
    assert shipped.json()["state"] == "shipped"
    cancelled = step(provider, tx["id"], "cancel_by_provider", reason=f"Sorry. {LEAKY}")
    assert cancelled.status_code == 409  # shipped deals are the operator's to cancel
    done = step(customer, tx["id"], "confirm_receipt").json()
    assert done["state"] == "completed"
    opened = step(customer, tx["id"], "dispute", reason=LEAKY).json()
    assert opened["events"][-1]["params"]["reason"] == LEAKY
    assert Violation.objects.count() == 0

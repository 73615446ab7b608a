"""Support operators still see timers in the admin now that they are an app of their own, and
only see them: no one adds or changes a timer there."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from barnraise.accounts.services import operator_create
from barnraise.timers.models import Timer

pytestmark = pytest.mark.django_db


def test_support_sees_the_timers_but_cannot_add_or_change_one():
    # given a pending timer and a support operator
    timer = Timer.objects.create(due_at=timezone.now() + timedelta(days=1), handler="h", target="deal:1")
    support = operator_create(email="s@example.com", name="S", password="pw-123456789", groups=["support"])
    client = Client()
    client.force_login(support)

    # when they open the timers in the admin
    listed = client.get("/admin/timers/timer/")

    # then the timer is listed, and they may neither add one nor change it
    assert listed.status_code == 200
    assert "deal:1" in listed.content.decode()
    assert client.get("/admin/timers/timer/add/").status_code == 403
    changed = client.post(f"/admin/timers/timer/{timer.pk}/change/", {"handler": "other"})
    assert changed.status_code == 403
    assert Timer.objects.get(pk=timer.pk).handler == "h"

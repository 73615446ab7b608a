"""Generic timers fired in batches: one call per batch, and a failing batch falls back to one
timer at a time so that the good ones still fire and the bad one is retried."""

from datetime import timedelta

import pytest
from django.utils import timezone

from barnraise.timers import services as timers
from barnraise.timers.models import Timer

pytestmark = pytest.mark.django_db

NAME = "test.batched"


@pytest.fixture
def calls():
    seen: dict[str, list] = {"batches": [], "singles": []}

    def one(timer):
        if timer.payload.get("bad"):
            raise RuntimeError("this one cannot be fired")
        seen["singles"].append(timer.target)

    def many(due):
        seen["batches"].append(sorted(timer.target for timer in due))
        for timer in due:
            one(timer)

    timers.register_handler(NAME, one, batch=many)
    yield seen
    timers._handlers.pop(NAME, None)
    timers._batch_handlers.pop(NAME, None)


def _due(target, **payload):
    return timers.schedule(
        handler=NAME, target=target, due_at=timezone.now() - timedelta(minutes=1), payload=payload
    )


def test_due_timers_of_a_batch_handler_fire_in_one_call_and_once(calls):
    for n in range(3):
        _due(f"t{n}")
    timers.schedule(handler=NAME, target="later", due_at=timezone.now() + timedelta(days=1))

    assert timers.sweep() == 3
    assert calls["batches"] == [["t0", "t1", "t2"]]
    assert Timer.objects.filter(handler=NAME, status=Timer.Status.FIRED).count() == 3
    # and a second sweep finds nothing more to fire
    assert timers.sweep() == 0
    assert len(calls["batches"]) == 1


def test_a_failing_batch_is_rolled_back_and_its_timers_fired_one_by_one(calls):
    _due("good-1")
    bad = _due("bad", bad=True)
    _due("good-2")

    assert timers.sweep() == 2
    # the batch got as far as good-1, failed on the bad one and was rolled back; then each
    # timer was fired on its own: the two good ones once more, the bad one failing again
    assert calls["batches"] == [["bad", "good-1", "good-2"]]
    assert calls["singles"] == ["good-1", "good-1", "good-2"]
    assert Timer.objects.filter(handler=NAME, status=Timer.Status.FIRED).count() == 2
    bad.refresh_from_db()
    assert (bad.status, bad.attempts) == (Timer.Status.PENDING, 1)
    assert "cannot be fired" in bad.last_error

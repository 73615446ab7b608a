"""Timers moved from commerce to their own app without touching the table: a timer written
under the old schema (main before the move) is read, and fired, by the timers app after
`migrate`, and the content type (so the permissions naming it) follows the model."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from barnraise.timers import services
from barnraise.timers.models import Timer

BEFORE = [("commerce", "0010_event_consumers_to_eventlog"), ("timers", None)]
AFTER = [("commerce", "0011_timer_moved_to_timers"), ("timers", "0001_initial")]
HANDLER = "test.moved"


def _migrate(targets: list[tuple[str, str | None]]):
    """Migrate to `targets`; the models as they stand there."""
    MigrationExecutor(connection).migrate(targets)
    nodes = [target for target in targets if target[1] is not None]
    return MigrationExecutor(connection).loader.project_state(nodes).apps


@pytest.fixture
def fired():
    seen: list[str] = []
    services.register_handler(HANDLER, lambda timer: seen.append(timer.target))
    yield seen
    services._handlers.pop(HANDLER, None)


@pytest.fixture
def back_to_the_latest_schema():
    """Migrating back unapplies every later migration too: put them all back, for the tests
    that run after this one (and see the code's schema)."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest_schema")
def test_a_timer_written_before_the_move_is_fired_by_the_timers_app_after_it(fired):
    # given the schema of before the move, where commerce owns the model, with a due timer
    old = _migrate(BEFORE)
    assert "timer" not in old.all_models["timers"]
    due = timezone.now() - timedelta(minutes=1)
    written = old.get_model("commerce", "Timer").objects.create(
        due_at=due, handler=HANDLER, target="deal:1", payload={"a": 1}
    )
    content_type = old.get_model("contenttypes", "ContentType").objects.get(model="timer")
    assert content_type.app_label == "commerce"

    # when the move is migrated
    new = _migrate(AFTER)

    # then the same row is the timers app's, unchanged, and its sweeper fires it
    timer = Timer.objects.get(pk=written.pk)
    assert (timer.handler, timer.target, timer.payload, timer.status) == (
        HANDLER,
        "deal:1",
        {"a": 1},
        "pending",
    )
    assert timer.due_at == written.due_at
    assert services.sweep() == 1
    assert fired == ["deal:1"]
    assert Timer.objects.get(pk=written.pk).status == Timer.Status.FIRED
    assert "Timer" not in {m.__name__ for m in new.get_app_config("commerce").get_models()}
    assert new.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk).app_label == "timers"

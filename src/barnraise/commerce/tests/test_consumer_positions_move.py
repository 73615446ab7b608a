"""Migration 0010: the consumers' positions move to the event log's table, kept as they were."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BEFORE = [("commerce", "0009_one_open_offer")]


def test_a_consumer_resumes_where_it_was_after_the_move():
    # given a deployment before the move, whose notifications consumer had read up to event 41
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = (
        MigrationExecutor(connection).loader.project_state(BEFORE).apps.get_model("commerce", "EventConsumer")
    )
    old.objects.create(name="notifications", position=41)
    # when it migrates
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then the position is in the event log's table, and the old table is gone
    from barnraise.eventlog.models import EventConsumer

    assert list(EventConsumer.objects.values_list("name", "position")) == [("notifications", 41)]
    assert "commerce_eventconsumer" not in connection.introspection.table_names()

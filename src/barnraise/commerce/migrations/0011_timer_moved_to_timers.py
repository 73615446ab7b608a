"""Timers moved to the `timers` app (its 0001 takes the model into its state). Only commerce's
state forgets the model: the table `commerce_timer` and its rows stay, now the timers app's."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0010_event_consumers_to_eventlog"),
        ("timers", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Timer")],
            database_operations=[],
        ),
    ]

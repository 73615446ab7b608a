"""The consumers' positions move to the one event log (`eventlog.EventConsumer`), kept as they
are: a consumer resumes where it was, and the sequence numbers of deal events do not change."""

from typing import Any

from django.db import migrations


def positions_copy(apps: Any, schema_editor: Any) -> None:
    old = apps.get_model("commerce", "EventConsumer")
    new = apps.get_model("eventlog", "EventConsumer")
    new.objects.bulk_create(
        [new(name=row.name, position=row.position) for row in old.objects.all()], ignore_conflicts=True
    )


def positions_copy_back(apps: Any, schema_editor: Any) -> None:
    old = apps.get_model("commerce", "EventConsumer")
    new = apps.get_model("eventlog", "EventConsumer")
    old.objects.bulk_create(
        [old(name=row.name, position=row.position) for row in new.objects.all()], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0009_one_open_offer"),
        ("eventlog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(positions_copy, positions_copy_back),
        migrations.DeleteModel(name="EventConsumer"),
    ]

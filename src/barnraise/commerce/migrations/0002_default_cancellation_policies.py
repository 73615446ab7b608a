from typing import Any

from django.db import migrations


def create_defaults(apps: Any, schema_editor: Any) -> None:
    from barnraise.commerce.cancellation import DEFAULTS

    Policy = apps.get_model("commerce", "CancellationPolicy")
    for slug, name, schedule in DEFAULTS:
        Policy.objects.get_or_create(slug=slug, defaults={"name": name, "schedule": schedule})


class Migration(migrations.Migration):
    dependencies = [("commerce", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

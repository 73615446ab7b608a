from typing import Any

from django.db import migrations


def create_indexes(apps: Any, schema_editor: Any) -> None:
    from barnraise.search import index

    index.create(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create_indexes, migrations.RunPython.noop)]

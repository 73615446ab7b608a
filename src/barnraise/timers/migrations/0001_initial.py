"""Timers moved out of commerce into an app of their own. The table stays `commerce_timer`
(created by commerce's 0001), so this migration only takes the model into this app's state
(commerce's 0011 drops it from commerce's), and moves the content type, so the permissions
and admin history that name it follow."""

import django.utils.timezone
from django.db import migrations, models

import barnraise.ids


def content_type_to_timers(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="timers", model="timer").exists():
        content_type.objects.filter(app_label="commerce", model="timer").update(app_label="timers")


def content_type_to_commerce(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="commerce", model="timer").exists():
        content_type.objects.filter(app_label="timers", model="timer").update(app_label="commerce")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("commerce", "0008_dispute_records_for_version_1"),  # the table exists from commerce's 0001
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Timer",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=barnraise.ids.uuid7, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        ("due_at", models.DateTimeField()),
                        ("handler", models.CharField(max_length=80)),
                        (
                            "target",
                            models.CharField(
                                help_text="What it acts on, e.g. 'transaction:<id>'.", max_length=80
                            ),
                        ),
                        ("payload", models.JSONField(blank=True, default=dict)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "pending"),
                                    ("fired", "fired"),
                                    ("cancelled", "cancelled"),
                                    ("failed", "failed"),
                                ],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("fired_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "commerce_timer",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("status", "pending")), fields=["due_at"], name="timer_due_idx"
                            ),
                            models.Index(fields=["target", "status"], name="commerce_ti_target_ba78ba_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_timers, content_type_to_commerce),
    ]

from typing import ClassVar

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from barnraise.ids import uuid7


class Timer(models.Model):
    """A generic due action: the sweeper fires it once, at or after `due_at`, idempotently.

    Any context may schedule one with a handler it registered (barnraise.timers.services).
    The table keeps the name it had when timers lived in commerce, so deployed rows stay.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        FIRED = "fired", _("fired")
        CANCELLED = "cancelled", _("cancelled")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    due_at = models.DateTimeField()
    handler = models.CharField(max_length=80)
    target = models.CharField(max_length=80, help_text=_("What it acts on, e.g. 'transaction:<id>'."))
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "commerce_timer"
        indexes: ClassVar = [
            models.Index(fields=["due_at"], condition=models.Q(status="pending"), name="timer_due_idx"),
            models.Index(fields=["target", "status"], name="commerce_ti_target_ba78ba_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} {self.target} at {self.due_at:%Y-%m-%d %H:%M}"

from typing import ClassVar

from django.db import models
from django.utils.timezone import now


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an Idempotency-Key, replayed for retries.

    Scoped to (caller, method, path, key); the body's hash must match on replay. Kept 24 hours.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        DONE = "done"

    caller = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    key = models.CharField(max_length=255)
    body_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["caller", "method", "path", "key"], name="idempotency_scope")
        ]
        indexes: ClassVar = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}] {self.status}"

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from barnraise.ids import uuid7


class Notification(models.Model):
    """Something a member should know, shown in the app and, if it has an email, mailed."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=64, help_text=_("Names the templates; never renamed."))
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["recipient", "-id"]),
            models.Index(fields=["recipient"], condition=models.Q(read_at=None), name="notif_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class OutgoingEmail(models.Model):
    """An email rendered at the moment of the event and delivered by the worker after commit.

    Written in the same database transaction as whatever caused it, so a crash or a lost queue
    message never loses it: the sweeper re-queues anything still pending.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    MAX_ATTEMPTS = 5

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending"),
                name="email_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.status})"


class NotificationPreference(models.Model):
    """A member's switch for one kind of notification. No row: the email is sent (the default)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=64)
    email = models.BooleanField(default=True, help_text=_("Also send this kind by email."))
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["member", "kind"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {'email' if self.email else 'in-app only'} ({self.member_id})"

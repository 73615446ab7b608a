from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from barnraise.notifications import kinds as known
from barnraise.notifications.models import Notification, NotificationPreference

if TYPE_CHECKING:  # notifications sit below accounts: a recipient is only a type here
    from barnraise.accounts.models import User


def notifications_for(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user).order_by("-id")
    return qs.filter(read_at=None) if unread_only else qs


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def notifications_export_for(user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": str(n.id),
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None,
        }
        for n in Notification.objects.filter(recipient=user).order_by("id")
    ]


def preferences_of(*, user: User) -> list[dict[str, Any]]:
    """Every kind of notification with its label and whether the member gets it by email."""
    off = set(NotificationPreference.objects.filter(member=user, email=False).values_list("kind", flat=True))
    return [{"kind": kind, "label": known.label(kind), "email": kind not in off} for kind in known.kinds()]

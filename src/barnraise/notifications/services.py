"""Writes for notifications: the one way every context tells a member something."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template import Context, Engine
from django.template.loader import TemplateDoesNotExist, render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.errors import InvalidInput, NotFound
from barnraise.notifications import kinds as known
from barnraise.notifications.models import Notification, NotificationPreference, OutgoingEmail

if TYPE_CHECKING:  # notifications sit below accounts: a recipient is only a type here
    from barnraise.accounts.models import User

logger = logging.getLogger(__name__)


def _render(kind: str, part: str, context: dict[str, Any]) -> str:
    """A title or body: plain text, so nothing in it is HTML-escaped (a listing called "Tom &
    Jerry" stays so in an email's subject); pages and HTML emails escape it where they show it."""
    template = Engine.get_default().get_template(f"notifications/{kind}/{part}")
    return str(template.render(Context(context, autoescape=False))).strip()


def notification_send(
    *,
    recipient: User,
    kind: str,
    context: dict[str, Any] | None = None,
    url: str = "",
    email: bool = True,
) -> Notification:
    """Record an in-app notification and, unless `email` is off, queue its email.

    Title and body come from `notifications/<kind>/title.txt` and `body.txt`; `email.html` gives
    the email its HTML part (else `notifications/email_fallback.html` lays out the text). All are
    rendered now, so the worker only sends. A member may switch a kind's email off.
    """
    from django.conf import settings

    ctx = {"recipient": recipient, "url": url, "site_url": settings.SITE_URL, **(context or {})}
    with transaction.atomic():
        notification = Notification.objects.create(
            recipient=recipient,
            kind=kind,
            title=" ".join(_render(kind, "title.txt", ctx).split()),
            body=_render(kind, "body.txt", ctx),
            url=url,
            data={key: str(value) for key, value in (context or {}).items()},
        )
        if email and recipient.is_active and recipient.deleted_at is None and _wants_email(recipient, kind):
            try:
                html = _render(kind, "email.html", ctx)
            except TemplateDoesNotExist:  # every email has an HTML part: the text, laid out
                fallback = {**ctx, "title": notification.title, "body": notification.body}
                html = render_to_string("notifications/email_fallback.html", fallback).strip()
            text = notification.body
            if url:
                text = f"{text}\n\n{settings.SITE_URL}{url}"
            email_queue(
                to=recipient.email,
                subject=notification.title,
                text_body=text,
                html_body=html,
                notification=notification,
            )
    return notification


def _wants_email(recipient: User, kind: str) -> bool:
    off = NotificationPreference.objects.filter(member=recipient, kind=kind, email=False).exists()
    return not off


def preferences_set(*, actor: User, email: dict[str, bool]) -> dict[str, bool]:
    """Switch emails per kind for the actor; returns every kind's setting."""
    unknown = sorted(set(email) - set(known.kinds()))
    if unknown:
        raise InvalidInput(details={kind: [_("There is no such kind of notification.")] for kind in unknown})
    now = timezone.now()
    with transaction.atomic():
        for kind, wanted in email.items():
            NotificationPreference.objects.update_or_create(
                member=actor, kind=kind, defaults={"email": bool(wanted), "updated_at": now}
            )
    from barnraise.notifications.selectors import preferences_of

    return {row["kind"]: row["email"] for row in preferences_of(user=actor)}


def email_queue(
    *,
    to: str,
    subject: str,
    text_body: str,
    html_body: str = "",
    notification: Notification | None = None,
) -> OutgoingEmail:
    """Store an email and hand it to the worker once the surrounding transaction commits."""
    from barnraise.notifications.tasks import email_deliver

    message = OutgoingEmail.objects.create(
        to=to,
        subject=subject[:300],
        text_body=text_body,
        html_body=html_body,
        notification=notification,
    )
    email_deliver.enqueue(email_id=str(message.id))
    return message


def email_deliver_now(*, email_id: str) -> OutgoingEmail | None:
    """Send one stored email. Safe to call twice: a sent email is not sent again."""
    from django.conf import settings

    message = OutgoingEmail.objects.filter(id=email_id).first()
    if message is None or message.status != OutgoingEmail.Status.PENDING:
        return message
    mail = EmailMultiAlternatives(
        message.subject, message.text_body, settings.DEFAULT_FROM_EMAIL, [message.to]
    )
    if message.html_body:
        mail.attach_alternative(message.html_body, "text/html")
    try:
        mail.send()
    except Exception as exc:  # any transport error: record it and let the sweeper retry
        attempts = message.attempts + 1
        status = (
            OutgoingEmail.Status.FAILED
            if attempts >= OutgoingEmail.MAX_ATTEMPTS
            else OutgoingEmail.Status.PENDING
        )
        OutgoingEmail.objects.filter(id=message.id).update(
            attempts=F("attempts") + 1, last_error=repr(exc)[:2000], status=status
        )
        logger.warning("email %s to %s failed (attempt %s): %r", message.id, message.to, attempts, exc)
        return message
    OutgoingEmail.objects.filter(id=message.id, status=OutgoingEmail.Status.PENDING).update(
        status=OutgoingEmail.Status.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    return message


def emails_requeue_pending(*, older_than_seconds: int = 120) -> int:
    """Queue again every email still pending after a while (a lost message, a failed send)."""
    from barnraise.notifications.tasks import email_deliver

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("id", flat=True)[:500]
    )
    for email_id in ids:
        email_deliver.enqueue(email_id=str(email_id))
    return len(ids)


def notification_mark_read(*, actor: User, notification_id: str) -> Notification:
    notification = Notification.objects.filter(id=notification_id, recipient=actor).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at=None).update(read_at=timezone.now())


def notifications_delete_for(user: User) -> None:
    """Account deletion: notifications are personal and nobody else depends on them."""
    Notification.objects.filter(recipient=user).delete()
    NotificationPreference.objects.filter(member=user).delete()
    OutgoingEmail.objects.filter(to=user.email, status=OutgoingEmail.Status.PENDING).delete()

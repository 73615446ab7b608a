"""How allauth fits Barnraise: mail goes through the outbox, links use SITE_URL."""

from types import SimpleNamespace
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from barnraise.notifications.services import email_queue


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render now (the request is at hand), deliver from the worker after commit."""
        site = SimpleNamespace(name=settings.SITE_NAME, domain=settings.SITE_URL.split("://", 1)[1])
        ctx = {"email": email, "site_url": settings.SITE_URL, "current_site": site, **context}
        message = self.render_mail(template_prefix, email, ctx)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = str(content)
        email_queue(to=email, subject=str(message.subject), text_body=str(message.body), html_body=html)

    def get_email_confirmation_url(self, request: HttpRequest | None, emailconfirmation: Any) -> str:
        path = reverse("account_confirm_email", args=[emailconfirmation.key])
        return f"{settings.SITE_URL}{path}"

    def format_email_subject(self, subject: str) -> str:
        return f"[{settings.SITE_NAME}] {subject}"


def user_display(user: Any) -> str:
    """How allauth names a member in its messages: the display name, never the email."""
    return str(getattr(user, "name", "") or "")

"""How allauth fits Barnraise: mail goes through the outbox, links use SITE_URL, and password
attempts on the pages share the API's limits (accounts.login_limits)."""

from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import reverse

from barnraise.accounts.login_limits import login_attempt_check, login_attempt_failed
from barnraise.api.ratelimit import client_ip
from barnraise.errors import RateLimited
from barnraise.notifications.services import email_queue

# allauth's mails that we word ourselves (templates under accounts/templates/accounts/email/).
OWN_WORDING = "accounts/email/"


def site_link(path: str) -> str:
    """An absolute link for an email: always SITE_URL, never the request's Host header."""
    return f"{settings.SITE_URL}{path}"


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render now (the request is at hand), deliver from the worker after commit."""
        site = SimpleNamespace(name=settings.SITE_NAME, domain=settings.SITE_URL.split("://", 1)[1])
        ctx = {
            "email": email,
            "site_url": settings.SITE_URL,
            "current_site": site,
            "login_url": site_link(reverse("account_login")),
            "password_reset_url": site_link(reverse("account_reset_password")),
            **context,
            # allauth builds this one from the request (unknown_account); ours is SITE_URL's.
            "signup_url": site_link(reverse("account_signup")),
        }
        message = self.render_mail(_own_wording(template_prefix), email, ctx)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = str(content)
        email_queue(to=email, subject=str(message.subject), text_body=str(message.body), html_body=html)

    def get_email_confirmation_url(self, request: HttpRequest | None, emailconfirmation: Any) -> str:
        return site_link(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return site_link(path.replace("UID-KEY", quote(key)))

    def send_account_already_exists_mail(self, email: str) -> None:
        # Hash a password anyway, so a sign-up for a taken address takes as long as a new one.
        make_password("a sign-up for a taken address")
        self.send_mail("account/email/account_already_exists", email, {})

    def format_email_subject(self, subject: str) -> str:
        return f"[{settings.SITE_NAME}] {subject}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Instead of allauth's per-email lock (anyone could lock a member out), the limits the
        API's token exchange uses: per account and address, per address, and a per-account
        ceiling that never turns away an address that has not failed."""
        try:
            login_attempt_check(email=_login_of(credentials), ip=client_ip(request))
        except RateLimited as exc:
            raise self.validation_error("too_many_login_attempts") from exc

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        login_attempt_failed(email=_login_of(credentials), ip=client_ip(request))


def _login_of(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "")


def _own_wording(template_prefix: str) -> str:
    """Our template for one of allauth's mails where we wrote one, else allauth's own."""
    if not template_prefix.startswith("account/email/"):
        return template_prefix
    ours = OWN_WORDING + template_prefix.removeprefix("account/email/")
    try:
        select_template([f"{ours}_message.txt"])
    except TemplateDoesNotExist:
        return template_prefix
    return ours


def user_display(user: Any) -> str:
    """How allauth names a member in its messages: the display name, never the email."""
    return str(getattr(user, "name", "") or "")

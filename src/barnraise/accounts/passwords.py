"""Passwords and what hangs on them: the blank check, changes, resets and the first confirmation.

A password reset ends every API token and every session; a change ends every token and
session but the caller's own; the first confirmation of an address ends any token made before
the address was proven. Sessions end by Django's session hash: each session stores a hash of
the password it was opened with, and is refused once the password changes, except the one the
change itself renews (`update_session_auth_hash`, which allauth's page calls).
"""

from contextlib import suppress
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts import selectors, services
from barnraise.accounts.login_limits import login_attempt_check, login_attempt_failed
from barnraise.accounts.models import ApiToken, User
from barnraise.errors import EmailUnverified, InvalidCredentials, InvalidInput, RateLimited


class NotBlankValidator:
    """Refuse a password that is nothing but spaces (AUTH_PASSWORD_VALIDATORS)."""

    def validate(self, password: str, user: Any = None) -> None:
        if not password.strip():
            raise ValidationError(_("Your password cannot be only spaces."), code="password_blank")

    def get_help_text(self) -> str:
        return _("Your password cannot be only spaces.")


def tokens_revoke_all(*, user: User, keep_token_id: Any = None) -> int:
    """Revoke the member's live API tokens, but `keep_token_id`; returns how many."""
    tokens = ApiToken.objects.filter(user=user, revoked_at=None)
    if keep_token_id is not None:
        tokens = tokens.exclude(pk=keep_token_id)
    return tokens.update(revoked_at=timezone.now())


def token_obtain(*, email: str, password: str, name: str, ip: str, request: HttpRequest | None = None) -> str:
    """A new API token for a member who gives the right password from `ip`; returns its secret.

    Refused with EmailUnverified until the address is confirmed (a fresh link is sent, within
    the resend limit), since only the address's owner may hold a token.
    """
    email = email.strip().lower()
    login_attempt_check(email=email, ip=ip)
    user = authenticate(request, email=email, password=password)
    if not isinstance(user, User):
        login_attempt_failed(email=email, ip=ip)
        raise InvalidCredentials()
    if not selectors.user_email_verified(user=user):
        with suppress(RateLimited):  # a link went out a moment ago
            services.user_email_verification_send(user=user, request=request)
        raise EmailUnverified()
    _token, raw = services.token_create(user=user, name=name)
    return raw


def user_password_change(
    *,
    actor: User,
    current_password: str,
    new_password: str,
    ip: str,
    keep_token_id: Any = None,
    request: HttpRequest | None = None,
) -> None:
    """Change the actor's password (the API's way; the page is allauth's). Every token but
    `keep_token_id` and every session end, and the member is told by email."""
    login_attempt_check(email=actor.email, ip=ip)
    if not actor.check_password(current_password):
        login_attempt_failed(email=actor.email, ip=ip)
        raise InvalidInput(details={"current_password": [_("The password is not correct.")]})
    try:
        validate_password(new_password, user=actor)
    except ValidationError as exc:
        raise InvalidInput(details={"new_password": list(exc.messages)}) from exc
    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().get(pk=actor.pk)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        tokens_revoke_all(user=user, keep_token_id=keep_token_id)
        get_adapter(request).send_notification_mail("account/email/password_changed", user)
    actor.password = user.password


def on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """allauth's page changed the password: the page keeps its session, no token survives."""
    tokens_revoke_all(user=user)


def on_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """A reset through the emailed link: no token survives. When the member has one address,
    the link went there, so it also proves the address."""
    tokens_revoke_all(user=user)
    addresses = EmailAddress.objects.filter(user=user)
    if addresses.count() == 1:
        addresses.filter(email__iexact=user.email, verified=False).update(verified=True)


def on_email_confirmed(sender: Any, request: HttpRequest, email_address: EmailAddress, **kwargs: Any) -> None:
    """The member's first proven address: tokens made before it was proven are not theirs to keep."""
    others = EmailAddress.objects.filter(user_id=email_address.user_id, verified=True)
    if not others.exclude(pk=email_address.pk).exists():
        tokens_revoke_all(user=email_address.user)

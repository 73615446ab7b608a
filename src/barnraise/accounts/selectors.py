from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from barnraise.accounts import lifecycle
from barnraise.accounts.models import ApiToken, User, token_digest
from barnraise.db import db_uuid, exists


def user_by_token(*, raw: str) -> User | None:
    """The active member a bearer token belongs to, or None. Marks the token used."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at=None, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Writing on every request would make each API read a write; once a minute is enough.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_id_by_raw(*, raw: str) -> Any:
    """The id of the live token `raw`, or None."""
    return (
        ApiToken.objects.filter(digest=token_digest(raw), revoked_at=None)
        .values_list("pk", flat=True)
        .first()
    )


def user_email_verified(*, user: User) -> bool:
    """Whether the account's address is confirmed. Hand-written: every deal, listing and
    message asks (see `exists` in barnraise.db)."""
    return exists(
        f"SELECT 1 FROM {EmailAddress._meta.db_table} WHERE user_id = %s "  # noqa: S608 - our names
        "AND UPPER(email) = UPPER(%s) AND verified",
        [db_uuid(user.pk), user.email],
    )


def tokens_for(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-id")


def user_export(*, user: User) -> dict[str, Any]:
    """Everything Barnraise keeps about a member, as JSON-ready data."""
    data: dict[str, Any] = {
        "profile": {
            "id": str(user.id),
            "email": user.email,
            "email_verified": user_email_verified(user=user),
            "name": user.name,
            "bio": user.bio,
            "location": user.location,
            "time_zone": user.time_zone,
            "business_name": user.business_name,
            "tax_number": user.tax_number,
            "avatar": user.avatar.url if user.avatar else None,
            "date_joined": user.date_joined.isoformat(),
        },
        "api_tokens": [
            {
                "id": str(t.id),
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in tokens_for(user=user)
        ],
    }
    for name, section in lifecycle.export_sections().items():
        data[name] = section(user)
    return data


def badges_of(*, user: User) -> list[dict[str, str]]:
    """The member's verifications and credentials, each shown as a badge on the profile."""
    badges: list[dict[str, str]] = []
    if user_email_verified(user=user):
        badges.append({"kind": "email", "label": str(_("Email verified"))})
    # The others are kept on the row by accounts.verification.badges_refresh.
    stored = user.badges if isinstance(user.badges, list) else []
    return badges + [b for b in stored if isinstance(b, dict) and "kind" in b and "label" in b]

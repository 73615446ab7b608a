"""Writes for members: sign-up, tokens, profile, verification, deletion, operators."""

import re
import secrets
import unicodedata
from functools import partial
from typing import Any

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise import moments
from barnraise.accounts import lifecycle, operators, selectors, standing
from barnraise.accounts.models import ApiToken, User, token_digest
from barnraise.errors import (
    ConfirmationKeyExpired,
    ConfirmationKeyInvalid,
    ConfirmationKeyUsed,
    EmailUnverified,
    InvalidInput,
    NotFound,
    RateLimited,
)
from barnraise.images import Size, Upload, image_ingest
from barnraise.ratelimits import rate_limit

TOKEN_PREFIX = "br_"  # noqa: S105 - a public marker, not a secret


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(details={"email": [_("Enter a valid email address.")]}) from exc
    return email


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(details={"name": [_("Enter the name other members will see.")]})
    if len(name) > 100:
        raise InvalidInput(details={"name": [_("Use at most 100 characters.")]})
    return name


def user_signup(*, email: str, password: str, name: str, request: HttpRequest | None = None) -> User | None:
    """Create a member and send the link that confirms the address (after commit, by the worker).

    For an address that already has an account nothing is created; its owner is told by email
    that someone tried, with a link to reset the password. Callers answer both alike, so a
    sign-up never tells whether an address has an account. Returns the new member, or None.
    """
    email = _clean_email(email)
    name = _clean_name(name)
    candidate = User(email=email, name=name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise InvalidInput(details={"password": list(exc.messages)}) from exc
    if User.objects.filter(email__iexact=email).exists():
        _signup_for_a_taken_address(email=email, request=request)
        return None
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
            address = EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
            address.send_confirmation(request, signup=True)
    except IntegrityError:  # lost a race with a sign-up for the same address
        _signup_for_a_taken_address(email=email, request=request)
        return None
    return user


def _signup_for_a_taken_address(*, email: str, request: HttpRequest | None) -> None:
    """Tell the owner (at most once per window, silently: a 429 here would tell the caller)."""
    try:
        rate_limit("signup_taken:email", email)
    except RateLimited:
        User().set_password("a sign-up for a taken address")  # the same time as a sign-up
        return
    get_adapter(request).send_account_already_exists_mail(email)


def user_email_verification_send(*, user: User, request: HttpRequest | None = None) -> bool:
    """Send the verification link again. Returns False when the address is already verified."""
    address, _created = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": False}
    )
    if address.verified:
        return False
    rate_limit("verification:account", str(user.pk))  # for every caller: API, page, script
    address.send_confirmation(request, signup=False)
    return True


def user_email_confirm(*, key: str, request: HttpRequest | None = None) -> User:
    """Confirm the address a key from a confirmation email was sent to; returns its member.

    The key is allauth's (the one in the emailed link): signed, valid for
    ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS, and good once. Only the sign-up address, confirmed
    for the first time, is accepted here, since the caller then gets a token; the first
    confirmation ends any token made before it (accounts.passwords.on_email_confirmed).
    """
    max_age = 60 * 60 * 24 * allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS
    try:
        address_id = signing.loads(key.strip(), max_age=max_age, salt=allauth_settings.SALT)
    except signing.SignatureExpired as exc:
        raise ConfirmationKeyExpired() from exc
    except signing.BadSignature as exc:
        raise ConfirmationKeyInvalid() from exc
    with transaction.atomic(durable=True):
        address = (
            EmailAddress.objects.select_for_update()
            .select_related("user")
            .filter(pk=address_id if isinstance(address_id, int) else None, user__is_active=True)
            .first()
        )
        if address is None:
            raise ConfirmationKeyInvalid()
        if address.verified:
            raise ConfirmationKeyUsed()
        if address.email.lower() != address.user.email.lower() or _has_verified_address(address.user):
            # An address added to an account later: its key proves the address, not the
            # account, so it earns no token; it is confirmed in the browser that added it.
            raise ConfirmationKeyInvalid(_("This link confirms an added address; open it in your browser."))
        if EmailConfirmationHMAC(address).confirm(request) is None:
            raise ConfirmationKeyInvalid()
    user: User = address.user
    return user


def _has_verified_address(user: User) -> bool:
    return bool(EmailAddress.objects.filter(user=user, verified=True).exists())


def user_require_verified_email(*, user: User) -> None:
    """Guard for publishing, transacting and messaging: 403 email_unverified otherwise, and the
    standing guards other contexts register (a suspended member gets 403 member_suspended)."""
    if not selectors.user_email_verified(user=user):
        raise EmailUnverified()
    standing.require_good_standing(user)


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a bearer token. The raw secret is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "API", prefix=raw[:10], digest=token_digest(raw)
    )
    return token, raw


def token_revoke(*, actor: User, token_id: Any) -> ApiToken:
    token = ApiToken.objects.filter(id=token_id, user=actor).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


BUSINESS_NAME_MAX = 200
TAX_NUMBER_MIN, TAX_NUMBER_MAX = 4, 40
TAX_NUMBER_SHAPE = re.compile(r"[A-Z0-9][A-Z0-9 ./-]*")


def business_name_clean(value: str) -> str:
    """A business's name as written, spaces tidied; empty clears it."""
    value = " ".join(value.split())
    if len(value) > BUSINESS_NAME_MAX or any(unicodedata.category(c).startswith("C") for c in value):
        raise InvalidInput(
            details={
                "business_name": [_("Use at most %d characters, no control characters.") % BUSINESS_NAME_MAX]
            }
        )
    return value


def tax_number_clean(value: str) -> str:
    """A VAT or tax number as the authority prints it ("BE 0123.456.789", "12-3456789"):
    upper case, spaces tidied; letters, digits, spaces, dots, dashes and slashes only, with 4 to
    40 characters and a letter or digit first. Empty clears it. Whether the number exists is
    not checked (no registry is asked)."""
    value = " ".join(value.split()).upper()
    if value and (
        not TAX_NUMBER_MIN <= len(value) <= TAX_NUMBER_MAX
        or not TAX_NUMBER_SHAPE.fullmatch(value)
        or sum(c.isalnum() for c in value) < TAX_NUMBER_MIN
    ):
        raise InvalidInput(
            details={
                "tax_number": [
                    _(
                        "Give your tax number as printed: %(min)d to %(max)d letters, digits, "
                        "spaces, dots, dashes or slashes."
                    )
                    % {"min": TAX_NUMBER_MIN, "max": TAX_NUMBER_MAX}
                ]
            }
        )
    return value


def user_profile_update(*, actor: User, **fields: Any) -> User:
    """Change the actor's own profile: any of name, bio, location, time_zone (an IANA name,
    or "" to follow the browser; 400 `unknown_time_zone` otherwise), and the business name and
    tax number their receipts and invoices show (private: only on those documents).

    Everything is checked before anything is saved."""
    changed = []
    if fields.get("time_zone") is not None:
        zone = fields["time_zone"].strip()
        actor.time_zone = moments.time_zone(zone, "time_zone") if zone else ""
        changed.append("time_zone")
    if fields.get("business_name") is not None:
        actor.business_name = business_name_clean(fields["business_name"])
        changed.append("business_name")
    if fields.get("tax_number") is not None:
        actor.tax_number = tax_number_clean(fields["tax_number"])
        changed.append("tax_number")
    if fields.get("name") is not None:
        actor.name = _clean_name(fields["name"])
        changed.append("name")
    for field, limit in (("bio", 2000), ("location", 120)):
        value = fields.get(field)
        if value is None:
            continue
        if len(value) > limit:
            raise InvalidInput(details={field: [_("Use at most %d characters.") % limit]})
        if field == "bio":  # contact details are masked before others read them
            value = standing.public_text(author=actor, text=value, where="bio", subject_id=str(actor.pk))
        setattr(actor, field, value.strip())
        changed.append(field)
    if changed:
        actor.save(update_fields=changed)
    return actor


def user_delete(*, actor: User, password: str) -> None:
    """Delete the actor's account by anonymising it.

    The row stays, so transactions, reviews and ledger entries that others rely on keep their
    reference; everything personal goes. Each context removes its own part (see lifecycle).
    """
    if not actor.check_password(password):
        raise InvalidInput(details={"password": [_("The password is not correct.")]})
    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().get(pk=actor.pk)
        for step in lifecycle.deletion_steps():
            step(user)
        EmailAddress.objects.filter(user=user).delete()
        ApiToken.objects.filter(user=user).delete()
        if user.avatar:
            user.avatar.delete(save=False)
        user.email = f"deleted-{user.pk}@deleted.invalid"
        user.name = _("Deleted member")
        user.bio = ""
        user.location = ""
        user.time_zone = ""
        user.business_name = ""
        user.tax_number = ""
        user.avatar = ""
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.deleted_at = timezone.now()
        user.set_unusable_password()
        user.save()
        user.groups.clear()


def operator_create(*, email: str, name: str, password: str, groups: list[str]) -> User:
    """Create (or promote) a staff member in the given operator groups."""
    unknown = sorted(set(groups) - set(operators.GROUPS))
    if unknown or not groups:
        raise InvalidInput(details={"groups": [_("Choose from: %s.") % ", ".join(operators.GROUPS)]})
    email = _clean_email(email)
    operators.groups_sync()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password, name=_clean_name(name))
        elif password:
            user.set_password(password)
        user.is_staff = True
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"primary": True, "verified": True}
        )
        user.groups.add(*Group.objects.filter(name__in=groups))
    return user


AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_SIZES = {"avatar": Size(256, square=True)}


def user_avatar_set(*, actor: User, upload: Upload) -> User:
    """Replace the actor's avatar with `upload`, re-encoded as a 256 px square JPEG.

    The new file is written once the image has passed every check, and removed again if the
    database write fails; the old one is deleted after commit.
    """
    ingested = image_ingest(upload, max_bytes=AVATAR_MAX_BYTES, sizes=AVATAR_SIZES)
    content = ingested["avatar"].content
    field = actor.avatar.field
    new_name = field.storage.save(
        field.generate_filename(actor, content.name or "avatar.jpg"), content, max_length=field.max_length
    )
    try:
        with transaction.atomic(durable=True):
            user = User.objects.select_for_update().get(pk=actor.pk)
            _avatar_replace(user, new_name)
    except BaseException:
        field.storage.delete(new_name)
        raise
    actor.avatar = user.avatar
    return actor


def user_avatar_clear(*, actor: User) -> User:
    """Remove the actor's avatar; the file is deleted after commit."""
    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().get(pk=actor.pk)
        _avatar_replace(user, "")
    actor.avatar = user.avatar
    return actor


def _avatar_replace(user: User, name: str) -> None:
    old_name, storage = user.avatar.name, user.avatar.storage
    user.avatar = name  # a FileField takes the stored name
    user.save(update_fields=["avatar"])
    if old_name:
        transaction.on_commit(partial(storage.delete, old_name))

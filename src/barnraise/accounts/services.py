"""Writes for members: sign-up, tokens, profile, verification, deletion, operators."""

import hashlib
import secrets
from functools import partial
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts import lifecycle, operators, selectors, standing
from barnraise.accounts.models import ApiToken, User
from barnraise.errors import EmailTaken, EmailUnverified, InvalidInput, NotFound
from barnraise.images import Size, Upload, image_ingest
from barnraise.ratelimits import rate_limit

TOKEN_PREFIX = "br_"  # noqa: S105 - a public marker, not a secret


def token_digest(raw: str) -> str:
    """Tokens carry 256 random bits, so a fast hash is enough and lets us look them up."""
    return hashlib.sha256(raw.encode()).hexdigest()


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


def user_signup(*, email: str, password: str, name: str, request: HttpRequest | None = None) -> User:
    """Create a member and send the email verification link (after commit, by the worker)."""
    email = _clean_email(email)
    name = _clean_name(name)
    candidate = User(email=email, name=name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise InvalidInput(details={"password": list(exc.messages)}) from exc
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken()
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
            address = EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
            address.send_confirmation(request, signup=True)
    except IntegrityError as exc:  # lost a race with a sign-up for the same address
        raise EmailTaken() from exc
    return user


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


def user_profile_update(*, actor: User, **fields: Any) -> User:
    """Change the actor's own profile: any of name, bio, location."""
    changed = []
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

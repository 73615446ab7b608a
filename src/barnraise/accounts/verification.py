"""Writes for verifications: phone by one-time code, documents reviewed by an operator, badges."""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from functools import partial
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise import pdfs
from barnraise.accounts import operators, signals, sms
from barnraise.accounts.models import (
    Document,
    DocumentPage,
    PhoneCode,
    PhoneNumber,
    PortfolioItem,
    SkillAttempt,
    User,
)
from barnraise.errors import (
    Conflict,
    FileTooLarge,
    InvalidImage,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from barnraise.images import Size, Upload, image_ingest
from barnraise.notifications.services import notification_send
from barnraise.ratelimits import rate_limit

logger = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
# Photographed documents are re-encoded (which strips their metadata), at most this large.
DOCUMENT_IMAGE = {"full": Size(2400)}


def _code_digest(code_id: Any, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def phone_normalize(number: str) -> str:
    """E.164, from an international number (+32 470 12 34 56); 422 for anything else."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            details={"number": [_("Give the number with its country code, e.g. +32 470 12 34 56.")]}
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(details={"number": [_("This is not a valid phone number.")]})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _send_code(to: str, body: str) -> None:
    try:
        sms.sender().send(to=to, body=body)
    except sms.SmsNotSent:  # the member asks for a new code; nothing else to undo
        logger.exception("SMS to %s not sent", to)


def phone_code_send(*, actor: User, number: str) -> PhoneCode:
    """Send a six-digit code to `number`; it is good for ten minutes and five tries."""
    e164 = phone_normalize(number if isinstance(number, str) else "")
    rate_limit("phone_code:account", str(actor.pk))
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        row = PhoneCode(user=actor, number=e164, expires_at=timezone.now() + CODE_TTL)
        row.digest = _code_digest(row.id, code)
        row.save()
        body = _("Your %(site)s code: %(code)s. It expires in 10 minutes.") % {
            "site": settings.SITE_NAME,
            "code": code,
        }
        transaction.on_commit(partial(_send_code, e164, body))
    return row


def phone_verify(*, actor: User, code: str) -> PhoneNumber:
    """Check the latest code sent to the member; the number is theirs once it matches."""
    wrong = InvalidInput(
        details={"code": [_("This code is not right, or it has expired. Ask for a new one.")]}
    )
    code = code.strip() if isinstance(code, str) else ""
    now = timezone.now()
    with transaction.atomic():
        latest = (
            PhoneCode.objects.select_for_update()
            .filter(user=actor, used_at=None, expires_at__gt=now, attempts__lt=CODE_ATTEMPTS)
            .order_by("-created_at")
            .first()
        )
        if latest is None:
            raise wrong
        matched = hmac.compare_digest(latest.digest, _code_digest(latest.id, code))
        if not matched:
            PhoneCode.objects.filter(pk=latest.pk).update(attempts=F("attempts") + 1)
        else:
            PhoneCode.objects.filter(pk=latest.pk).update(used_at=now)
            phone, _created = PhoneNumber.objects.update_or_create(
                user=actor, defaults={"number": latest.number, "verified_at": now}
            )
            badges_refresh(user=actor)
    if not matched:  # raised after commit, so that the failed try stays counted
        raise wrong
    return phone


def document_upload(*, actor: User, kind: str, upload: Upload, title: str = "", issuer: str = "") -> Document:
    """Store an identity document, licence or certificate for review: a PDF as sent (1 to 20
    pages; the worker then renders its pages to images), or a photo re-encoded without its
    metadata. Anything else is refused."""
    if kind not in Document.Kind.values:
        raise InvalidInput(details={"kind": [_("One of: identity, licence, certificate.")]})
    title, issuer = str(title or "").strip(), str(issuer or "").strip()
    if kind != Document.Kind.IDENTITY and not title:
        raise InvalidInput(details={"title": [_("Say what this licence or certificate is for.")]})
    if len(title) > 200 or len(issuer) > 200:
        raise InvalidInput(details={"title": [_("Use at most 200 characters.")]})
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > DOCUMENT_MAX_BYTES:
        raise FileTooLarge(details={"limit": DOCUMENT_MAX_BYTES})
    if hasattr(upload, "seek"):
        upload.seek(0)
    head = upload.read(5)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if pdfs.is_pdf(head):
        data = upload.read(DOCUMENT_MAX_BYTES + 1)
        if len(data) > DOCUMENT_MAX_BYTES:
            raise FileTooLarge(details={"limit": DOCUMENT_MAX_BYTES})
        pdfs.pdf_check(data)
        content, content_type, ext = ContentFile(data), "application/pdf", "pdf"
    else:
        try:
            image = image_ingest(upload, max_bytes=DOCUMENT_MAX_BYTES, sizes=DOCUMENT_IMAGE)
        except InvalidImage as exc:
            raise InvalidImage(_("Send a PDF, or a photo as JPEG, PNG, WebP or GIF.")) from exc
        content, content_type, ext = image["full"].content, "image/jpeg", "jpg"
    document = Document(user=actor, kind=kind, title=title, issuer=issuer, content_type=content_type)
    document.file.save(f"{document.id}.{ext}", content, save=False)
    document.save()
    if content_type == "application/pdf":
        from barnraise.accounts.tasks import document_pages_render

        document_pages_render.enqueue(document_id=str(document.id))  # once committed
    return document


def document_pages_render(*, document_id: Any) -> int:
    """Worker: a PDF document's pages as images (none for a photo); safe to run twice."""
    document = Document.objects.filter(pk=document_id, content_type="application/pdf").first()
    if document is None:
        return 0
    return pdfs.pdf_pages_save(original=document.file, page_model=DocumentPage, document=document)


def document_page_readable(*, actor: User, document_id: Any, number: int) -> DocumentPage:
    """A rendered page, for whoever may read the document; NotFound otherwise."""
    document = document_readable(actor=actor, document_id=document_id)
    page = document.pages.filter(number=number).first()
    if page is None:
        raise NotFound()
    return page


def _require_reviewer(actor: User) -> None:
    if not operators.operator_in(actor, operators.SUPPORT):
        raise PermissionDenied(_("Only an operator may review documents."))


def document_review(*, actor: User, document_id: Any, approve: bool, reason: str = "") -> Document:
    """An operator approves a pending document, or rejects it with a reason the member sees."""
    _require_reviewer(actor)
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput(details={"reason": [_("Tell the member why it is rejected.")]})
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None:
            raise NotFound()
        if document.status != Document.Status.PENDING:
            raise Conflict(_("This document has already been reviewed."))
        document.status = Document.Status.APPROVED if approve else Document.Status.REJECTED
        document.reason = "" if approve else reason[:500]
        document.reviewed_by = actor
        document.reviewed_at = timezone.now()
        document.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
        signals.document_reviewed.send(Document, document=document, actor=actor, approved=approve)
        badges_refresh(user=document.user)
        notification_send(
            recipient=document.user,
            kind="document_reviewed",
            context={"kind": document.get_kind_display(), "approved": approve, "reason": document.reason},
            url="/account/verifications/",
        )
    return document


def document_readable(*, actor: User, document_id: Any) -> Document:
    """The document, for its owner or an operator who reviews documents; NotFound otherwise."""
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    if document.user_id != actor.pk and not operators.operator_in(actor, operators.SUPPORT):
        raise NotFound()
    return document


def badges_compute(*, user: User) -> list[dict[str, str]]:
    """The member's verifications and credentials (email aside, which allauth keeps), as badges."""
    badges: list[dict[str, str]] = []
    if PhoneNumber.objects.filter(user=user).exists():
        badges.append({"kind": "phone", "label": str(_("Phone verified"))})
    approved = Document.objects.filter(user=user, status=Document.Status.APPROVED).order_by("created_at")
    if any(d.kind == Document.Kind.IDENTITY for d in approved):
        badges.append({"kind": "identity", "label": str(_("Identity verified"))})
    for document in approved:
        if document.kind != Document.Kind.IDENTITY:
            badges.append({"kind": document.kind, "label": document.title})
    passed = (
        SkillAttempt.objects.filter(user=user, passed=True)
        .select_related("test")
        .order_by("test__title")
        .distinct()
    )
    seen = set()
    for attempt in passed:
        if attempt.test_id not in seen:
            seen.add(attempt.test_id)
            badges.append({"kind": "skill", "label": str(_("Passed: %s") % attempt.test.title)})
    return badges


def badges_refresh(*, user: User) -> None:
    """Store the badges on the member's row, where profiles and search results read them."""
    User.objects.filter(pk=user.pk).update(badges=badges_compute(user=user))


def files_delete(files: list[Any]) -> None:
    """After commit: remove stored files whose rows are gone."""
    for stored in files:
        stored.delete(save=False)


def credentials_delete_for(user: User) -> None:
    """Account deletion: phone, documents (and their files), portfolio and attempts are personal;
    nobody else relies on them."""
    files = [d.file for d in Document.objects.filter(user=user)]
    files += [p.image for p in DocumentPage.objects.filter(document__user=user)]
    files += [
        f
        for item in PortfolioItem.objects.filter(user=user)
        for i in item.images.all()
        for f in (i.image, i.thumbnail)
    ]
    Document.objects.filter(user=user).delete()
    PortfolioItem.objects.filter(user=user).delete()
    PhoneNumber.objects.filter(user=user).delete()
    PhoneCode.objects.filter(user=user).delete()
    SkillAttempt.objects.filter(user=user).delete()
    user.badges = []  # the deletion saves this very row
    transaction.on_commit(partial(files_delete, files))


def credentials_export_for(user: User) -> dict[str, Any]:
    """The member's verifications, documents (not the files), attempts and portfolio."""
    phone = PhoneNumber.objects.filter(user=user).first()
    return {
        "phone": phone.number if phone else None,
        "documents": [
            {"kind": d.kind, "title": d.title, "issuer": d.issuer, "status": d.status, "reason": d.reason}
            for d in Document.objects.filter(user=user).order_by("created_at")
        ],
        "skills_attempts": [
            {"test": a.test.title, "started_at": a.started_at.isoformat(), "score_percent": a.score_percent}
            for a in SkillAttempt.objects.filter(user=user).select_related("test").order_by("started_at")
        ],
        "portfolio": [
            {"title": p.title, "description": p.description, "url": p.url, "verified": p.verified}
            for p in PortfolioItem.objects.filter(user=user).order_by("created_at")
        ],
    }

"""Disputes on deals: opened by either party within the dispute window, resolved by an operator.

The state lives in the process (`dispute`, `dispute_by_provider`, `chargeback` lead to
`disputed`; `resolve` to `resolved`); the `Dispute` row is written by those transitions' actions
below, so the two never disagree. The money is the ledger's: `freeze_payout` holds the
provider's pending share while a dispute is open, and `resolve_dispute` refunds what the
operator decides (any amount) and pays out the rest.

Evidence (notes, photos, PDFs) is kept in private storage and served only to the parties and
operators. A PDF's pages are rendered to images by the worker (barnraise.pdfs); those are what
people look at, and the PDF itself is only downloaded on request.
"""

from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction as db
from django.utils.translation import gettext as _

from barnraise import pdfs
from barnraise.accounts.models import User
from barnraise.accounts.services import user_require_verified_email
from barnraise.commerce import engine, processes, selectors
from barnraise.commerce.models import Dispute, DisputeEvidence, EvidencePage, Transaction
from barnraise.commerce.registry import Context
from barnraise.errors import (
    Conflict,
    FileTooLarge,
    InvalidImage,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
)
from barnraise.images import Size, image_ingest

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_IMAGE = {"full": Size(2000)}
REASON_MAX = 2000


def record_dispute(ctx: Context) -> None:
    """Action: the dispute's row, with who opened it and why."""
    if ctx.dry_run:
        return
    reason = str(ctx.params.get("reason") or "").strip()
    if ctx.role == "system":
        reason = reason or _("The card issuer reported a chargeback.")
    Dispute.objects.create(
        transaction=ctx.tx, opened_by=ctx.actor, opened_as=ctx.role, reason=reason, created_at=ctx.now
    )


def close_dispute(ctx: Context) -> None:
    """Action: the operator's outcome on the open dispute."""
    if ctx.dry_run:
        return
    refund = ctx.params.get("refund") or {}
    Dispute.objects.filter(transaction=ctx.tx, status=Dispute.Status.OPEN).update(
        status=Dispute.Status.RESOLVED,
        outcome=str(ctx.params.get("outcome") or "")[:REASON_MAX],
        refund_minor=refund.get("amount_minor", 0) if isinstance(refund, dict) else 0,
        resolved_by=ctx.actor,
        resolved_at=ctx.now,
    )


def guard_reason_given(ctx: Context) -> None:
    reason = ctx.params.get("reason")
    if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= REASON_MAX:
        raise InvalidInput(
            details={"params.reason": [_("Say what went wrong, in at most 2,000 characters.")]}
        )


def dispute_open(
    *, actor: User, transaction_id: Any, reason: str, idempotency_key: str | None = None
) -> Dispute:
    """A party opens a dispute on a completed deal, within its dispute window: the dispute,
    read in the same database transaction (nothing is left to fail after the commit)."""
    user_require_verified_email(user=actor)
    tx = selectors.transaction_visible(actor=actor, transaction_id=transaction_id)
    role = "provider" if actor.pk == tx.provider_id else "customer"
    process = processes.get(tx.process, tx.process_version)
    # The party's step into a dispute (the customer's and the provider's have their names).
    step = next((t for t in process.transitions if t.to == "disputed" and t.actor == role), None)
    if step is None:  # e.g. version 1, where only the customer disputes
        allowed = engine.available_transitions(tx, actor)
        raise TransitionNotAllowed(details={"state": tx.state, "allowed": allowed})
    name = step.name
    with db.atomic(durable=True):
        engine.transition(tx, name, actor=actor, params={"reason": reason}, idempotency_key=idempotency_key)
        opened = tx.disputes.select_related("transaction").order_by("-created_at", "-pk").first()
        if opened is None:  # a deployment's own process that keeps no record: nothing is written
            raise Conflict(_("Disputes on this deal are not handled here; contact the marketplace."))
        return opened


def disputes_of(*, actor: User, transaction_id: Any) -> list[Dispute]:
    tx = selectors.transaction_visible(actor=actor, transaction_id=transaction_id)
    return list(tx.disputes.prefetch_related("evidence", "evidence__pages").order_by("created_at"))


def _open_dispute(tx: Transaction) -> Dispute:
    found = tx.disputes.filter(status=Dispute.Status.OPEN).first()
    if found is None:
        raise Conflict(_("There is no open dispute on this deal."))
    return found


def _evidence_file(upload: Any) -> tuple[ContentFile[bytes], str, str]:
    """A PDF as sent (1 to 20 pages, rendered later), or a photo re-encoded without its
    metadata; anything else is refused."""
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > EVIDENCE_MAX_BYTES:
        raise FileTooLarge(details={"limit": EVIDENCE_MAX_BYTES})
    upload.seek(0)
    if pdfs.is_pdf(upload.read(5)):
        upload.seek(0)
        data = upload.read(EVIDENCE_MAX_BYTES + 1)
        if len(data) > EVIDENCE_MAX_BYTES:
            raise FileTooLarge(details={"limit": EVIDENCE_MAX_BYTES})
        pdfs.pdf_check(data)
        return ContentFile(data), "application/pdf", "pdf"
    upload.seek(0)
    try:
        image = image_ingest(upload, max_bytes=EVIDENCE_MAX_BYTES, sizes=EVIDENCE_IMAGE)
    except InvalidImage as exc:
        raise InvalidImage(_("Send a PDF, or a photo as JPEG, PNG, WebP or GIF.")) from exc
    return image["full"].content, "image/jpeg", "jpg"


def evidence_add(*, actor: User, transaction_id: Any, text: str = "", upload: Any = None) -> DisputeEvidence:
    """A party or an operator adds a note and/or a file to the deal's open dispute."""
    tx = selectors.transaction_visible(actor=actor, transaction_id=transaction_id)
    text = (text or "").strip()
    if len(text) > 5000:
        raise InvalidInput(details={"text": [_("Use at most 5,000 characters.")]})
    if not text and upload is None:
        raise InvalidInput(details={"text": [_("Add a note or a file.")]})
    dispute = _open_dispute(tx)
    evidence = DisputeEvidence(dispute=dispute, author=actor, text=text)
    if upload is not None:
        content, content_type, ext = _evidence_file(upload)
        evidence.content_type = content_type
        evidence.file.save(f"{evidence.id}.{ext}", content, save=False)
    evidence.save()
    if evidence.content_type == "application/pdf":
        from barnraise.commerce.tasks import evidence_pages_render

        evidence_pages_render.enqueue(evidence_id=str(evidence.id))  # once committed
    return evidence


def evidence_pages_render(*, evidence_id: Any) -> int:
    """Worker: a PDF's pages as images (none for a photo or a note); safe to run twice."""
    evidence = DisputeEvidence.objects.filter(pk=evidence_id, content_type="application/pdf").first()
    if evidence is None:
        return 0
    return pdfs.pdf_pages_save(original=evidence.file, page_model=EvidencePage, evidence=evidence)


def evidence_readable(*, actor: User, evidence_id: Any) -> DisputeEvidence:
    """The evidence, if `actor` is a party of its deal or an operator; otherwise NotFound."""
    evidence = DisputeEvidence.objects.select_related("dispute").filter(pk=evidence_id).first()
    if evidence is None or not evidence.file:
        raise NotFound()
    selectors.transaction_visible(actor=actor, transaction_id=evidence.dispute.transaction_id)
    return evidence


def evidence_page_readable(*, actor: User, evidence_id: Any, number: int) -> EvidencePage:
    """A rendered page, for a party of the deal or an operator; NotFound otherwise."""
    evidence = evidence_readable(actor=actor, evidence_id=evidence_id)
    page = evidence.pages.filter(number=number).first()
    if page is None:
        raise NotFound()
    return page

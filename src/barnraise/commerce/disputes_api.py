"""Disputes on deals: open one, add evidence, read them (parties and operators only).

Mounted under /transactions. The operator resolves a dispute with the deal's `resolve`
transition (`params.refund` = {amount_minor, currency}, `params.outcome`).
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from barnraise.api.auth import caller
from barnraise.api.schemas import ErrorOut, InputSchema, MoneyOut
from barnraise.commerce import disputes
from barnraise.commerce.models import Dispute, DisputeEvidence
from barnraise.money import Money
from barnraise.private_files import private_file_response

router = Router(tags=["disputes"])


class EvidencePageOut(Schema):
    number: int = Field(description="From 1.")
    width: int
    height: int
    url: str = Field(description="The page as a JPEG image.")


class EvidenceOut(Schema):
    id: UUID
    author_id: UUID
    text: str
    content_type: str = Field(description="Of the file, if any: application/pdf or image/jpeg.")
    pages: list[EvidencePageOut] = Field(
        description="A PDF's pages as images (at most 20), once the worker has rendered them "
        "(empty until then, and for a photo or a note): what to show. The PDF itself is only "
        "at `file_url`."
    )
    file_url: str | None = Field(description="The file as uploaded, as a download.")
    created_at: datetime


class DisputeOut(Schema):
    id: UUID
    status: str = Field(description="open or resolved")
    opened_as: str = Field(description="customer, provider, or system (a chargeback)")
    reason: str
    outcome: str
    refund: MoneyOut | None = Field(description="What the operator refunded, once resolved.")
    created_at: datetime
    resolved_at: datetime | None
    evidence: list[EvidenceOut]


def _evidence_out(evidence: DisputeEvidence, transaction_id: Any) -> dict[str, Any]:
    base = f"/api/v1/transactions/{transaction_id}/disputes/evidence/{evidence.id}"
    pages = sorted(evidence.pages.all(), key=lambda page: page.number)
    return {
        "id": evidence.id,
        "author_id": evidence.author_id,
        "text": evidence.text,
        "content_type": evidence.content_type,
        "pages": [
            {"number": p.number, "width": p.width, "height": p.height, "url": f"{base}/pages/{p.number}"}
            for p in pages
        ],
        "file_url": f"{base}/file" if evidence.file else None,
        "created_at": evidence.created_at,
    }


def _dispute_out(dispute: Dispute) -> dict[str, Any]:
    currency = dispute.transaction.currency
    return {
        "id": dispute.id,
        "status": dispute.status,
        "opened_as": dispute.opened_as,
        "reason": dispute.reason,
        "outcome": dispute.outcome,
        "refund": Money(dispute.refund_minor, currency).as_json()
        if dispute.refund_minor is not None
        else None,
        "created_at": dispute.created_at,
        "resolved_at": dispute.resolved_at,
        "evidence": [_evidence_out(e, dispute.transaction_id) for e in dispute.evidence.all()],
    }


class DisputeIn(InputSchema):
    reason: str = Field(min_length=1, max_length=2000)


class DisputeList(Schema):
    results: list[DisputeOut]


@router.post(
    "/{transaction_id}/disputes",
    response={201: DisputeOut, 409: ErrorOut},
    summary="Open a dispute on a completed deal (within its dispute window; either party)",
)
def dispute_create(request: HttpRequest, transaction_id: UUID, data: DisputeIn) -> Status[Any]:
    actor = caller(request)
    key = request.headers.get("Idempotency-Key")
    opened = disputes.dispute_open(
        actor=actor,
        transaction_id=transaction_id,
        reason=data.reason,
        idempotency_key=key[:255] if key else None,
    )
    return Status(201, _dispute_out(opened))


@router.get(
    "/{transaction_id}/disputes",
    response=DisputeList,
    summary="The deal's disputes with their evidence (parties and operators)",
)
def dispute_list(request: HttpRequest, transaction_id: UUID) -> dict[str, Any]:
    found = disputes.disputes_of(actor=caller(request), transaction_id=transaction_id)
    return {"results": [_dispute_out(d) for d in found]}


@router.post(
    "/{transaction_id}/disputes/evidence",
    response={201: EvidenceOut, 409: ErrorOut},
    summary="Add a note and/or a file (a PDF or a photo, at most 10 MiB) to the open dispute",
)
def evidence_create(
    request: HttpRequest,
    transaction_id: UUID,
    text: Form[str] = "",
    file: File[UploadedFile | None] = None,
) -> Status[Any]:
    """`multipart/form-data` with `text` and/or `file`: a PDF of 1 to 20 pages, or a photo as
    JPEG, PNG, WebP or GIF of at most 25 megapixels (re-encoded without metadata). A PDF is kept
    as sent, in private storage; the worker renders its pages to images (`pages`), which is what
    the other party and operators see; the PDF itself is only downloaded, at `file_url`.

    Errors: 422 `invalid_document` for a PDF that does not open, 422 `too_many_pages` over 20
    pages (`details.limit`, `details.pages`)."""
    evidence = disputes.evidence_add(
        actor=caller(request), transaction_id=transaction_id, text=text, upload=file
    )
    return Status(201, _evidence_out(evidence, transaction_id))


@router.get(
    "/{transaction_id}/disputes/evidence/{evidence_id}/file",
    response={200: None, 302: None, 404: ErrorOut},
    summary="Download the file of the evidence as uploaded (parties and operators)",
)
def evidence_file(request: HttpRequest, transaction_id: UUID, evidence_id: UUID) -> HttpResponseBase:
    evidence = disputes.evidence_readable(actor=caller(request), evidence_id=evidence_id)
    name = f"evidence-{evidence.id}"
    return private_file_response(evidence.file, content_type=evidence.content_type, name=name)


@router.get(
    "/{transaction_id}/disputes/evidence/{evidence_id}/pages/{number}",
    response={200: None, 302: None, 404: ErrorOut},
    summary="A page of a PDF given as evidence, as a JPEG image (parties and operators)",
)
def evidence_page(
    request: HttpRequest, transaction_id: UUID, evidence_id: UUID, number: int
) -> HttpResponseBase:
    page = disputes.evidence_page_readable(actor=caller(request), evidence_id=evidence_id, number=number)
    name = f"evidence-{evidence_id}-page-{number}"
    return private_file_response(page.image, content_type="image/jpeg", name=name, inline=True)

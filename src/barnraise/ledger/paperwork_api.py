"""Receipts and invoices through the API: a member's list, one document, its PDF.

The recipient and the issuer of a document (and finance) may read it; anyone else gets 404.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from barnraise.api.auth import caller
from barnraise.api.pagination import PageParams, page_by_id
from barnraise.api.schemas import ErrorOut, MoneyOut, Page
from barnraise.ledger import paperwork
from barnraise.ledger.models import Document
from barnraise.ledger.paperwork_render import document_facts, pdf_response

router = Router(tags=["paperwork"])


class PaperPartyOut(Schema):
    role: str = Field(description="From, To or Provided by, in words.")
    name: str
    person: str = Field(description="The person behind a business name, if any.")
    tax_number: str


class PaperLineOut(Schema):
    label: str
    units: str = Field(description="A decimal string, empty when the line has no quantity.")
    unit_price: MoneyOut | None
    amount: MoneyOut
    is_tax: bool


class PaperInvoiceOut(Schema):
    id: UUID
    number: str


class PaperOut(Schema):
    id: UUID
    kind: str = Field(
        description="receipt, refund_receipt, fee_invoice, provider_invoice, credit_note (the "
        "marketplace's, for its fee invoice) or provider_credit_note (the provider's, for theirs)."
    )
    name: str = Field(description="What it is, in words.")
    number: str = Field(description="Gapless per series and year.")
    issued_at: datetime
    transaction_id: UUID
    title: str
    parties: list[PaperPartyOut]
    lines: list[PaperLineOut]
    subtotal: MoneyOut
    taxes: MoneyOut
    total: MoneyOut = Field(description="Negative on a credit note: what it credits.")
    invoice: PaperInvoiceOut | None = Field(
        description="The invoice a credit note credits; null for the rest."
    )
    pdf_url: str
    html_url: str


class PaperListParams(PageParams):
    transaction_id: UUID | None = Field(None, description="Only this deal's documents.")


def _invoice_out(invoice: Document | None) -> dict[str, Any] | None:
    return {"id": invoice.pk, "number": invoice.number} if invoice is not None else None


def paper_out(document: Document) -> dict[str, Any]:
    facts = document_facts(document)
    return {
        "id": document.pk,
        "kind": document.kind,
        "name": facts.heading,
        "number": document.number,
        "issued_at": document.issued_at,
        "transaction_id": document.reference.partition(":")[2],
        "title": document.title,
        "parties": [
            {
                "role": role,
                "name": party.get("name", ""),
                "person": party.get("person", ""),
                "tax_number": party.get("tax_number", ""),
            }
            for role, party in facts.parties
        ],
        "lines": [
            {
                "label": line["label"],
                "units": line["units"],
                "unit_price": line["unit_price"].as_json() if line["unit_price"] else None,
                "amount": line["amount"].as_json(),
                "is_tax": line["is_tax"],
            }
            for line in facts.lines
        ],
        "subtotal": facts.subtotal.as_json(),
        "taxes": facts.taxes.as_json(),
        "total": facts.total.as_json(),
        "invoice": _invoice_out(document.invoice),
        "pdf_url": f"/api/v1/paperwork/{document.pk}/pdf",
        "html_url": f"/paperwork/{document.pk}/",
    }


@router.get(
    "/me/paperwork",
    response=Page[PaperOut],
    summary="Your receipts and invoices (received or issued), newest first",
)
def paper_list(request: HttpRequest, params: Query[PaperListParams]) -> dict[str, Any]:
    documents = paperwork.documents_of(caller(request))
    if params.transaction_id is not None:
        documents = documents.filter(reference=f"transaction:{params.transaction_id}")
    rows, cursor = page_by_id(documents, params)
    return {"results": [paper_out(row) for row in rows], "next_cursor": cursor}


@router.get(
    "/paperwork/{paper_id}",
    response={200: PaperOut, 404: ErrorOut},
    summary="A receipt or an invoice (its recipient, its issuer and finance only)",
)
def paper_show(request: HttpRequest, paper_id: UUID) -> dict[str, Any]:
    return paper_out(paperwork.document_visible(actor=caller(request), document_id=paper_id))


@router.get(
    "/paperwork/{paper_id}/pdf",
    response={200: None, 404: ErrorOut},
    summary="A receipt or an invoice as a PDF download",
)
def paper_pdf(request: HttpRequest, paper_id: UUID) -> HttpResponse:
    document = paperwork.document_visible(actor=caller(request), document_id=paper_id)
    return pdf_response(document)

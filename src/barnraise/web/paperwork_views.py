"""Receipts and invoices as pages: one document, printable, and its PDF. Only its recipient, its
issuer and finance read it; anyone else gets 404. Lists are on the deal page and the wallet."""

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from barnraise import errors
from barnraise.ledger import paperwork
from barnraise.ledger.models import Document
from barnraise.ledger.paperwork_render import document_facts, pdf_response
from barnraise.web.views import member_of


def _readable(request: HttpRequest, paper_id: UUID) -> Document:
    try:
        return paperwork.document_visible(actor=member_of(request), document_id=paper_id)
    except errors.NotFound as missing:
        raise Http404(missing.message) from missing


def paper_rows(documents: Any) -> list[dict[str, Any]]:
    """Documents as the deal page and the wallet list them."""
    return [{"document": document, "facts": document_facts(document)} for document in documents]


@login_required
@require_GET
def paper_detail(request: HttpRequest, paper_id: UUID) -> HttpResponse:
    document = _readable(request, paper_id)
    context = {
        "document": document,
        "facts": document_facts(document),
        "deal_id": document.reference.partition(":")[2],
    }
    return render(request, "web/paperwork/detail.html", context)


@login_required
@require_GET
def paper_pdf(request: HttpRequest, paper_id: UUID) -> HttpResponse:
    return pdf_response(_readable(request, paper_id))

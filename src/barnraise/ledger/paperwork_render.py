"""A receipt, an invoice or a credit note as people read it: its facts (one shape for the page, the PDF and
the API) and its PDF, drawn with ReportLab (pure Python, no system library).

The PDF embeds Bitstream Vera (shipped with ReportLab), a TrueType font, so its text (amounts
with their currency signs, accented names) is extractable and the same on every machine.
"""

import io
import threading
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from barnraise.ledger.models import Document, DocumentKind
from barnraise.money import Money

FONT, BOLD = "BarnraiseVera", "BarnraiseVeraBold"
_fonts_lock = threading.Lock()


@dataclass(frozen=True)
class Facts:
    heading: str
    number: str
    issued_on: str
    title: str
    parties: list[tuple[str, dict[str, str]]]
    lines: list[dict[str, Any]]
    subtotal: Money
    taxes: Money
    total: Money
    note: str
    # A credit note's invoice: "For invoice BR-2026-000002 of 2026-12-07"; empty for the rest.
    credits: str = ""


def _headings() -> dict[str, str]:
    return {
        DocumentKind.RECEIPT: _("Receipt"),
        DocumentKind.REFUND_RECEIPT: _("Refund receipt"),
        DocumentKind.FEE_INVOICE: _("Invoice for the marketplace's fees"),
        DocumentKind.PROVIDER_INVOICE: _("Invoice"),
        DocumentKind.CREDIT_NOTE: _("Credit note for the marketplace's fees"),
        DocumentKind.PROVIDER_CREDIT_NOTE: _("Credit note"),
    }


def _notes() -> dict[str, str]:
    return {
        DocumentKind.RECEIPT: _("Paid by card. The marketplace holds it until the deal is done."),
        DocumentKind.REFUND_RECEIPT: _("Refunded to the card that paid. It arrives within a few days."),
        DocumentKind.FEE_INVOICE: _("Taken from your earnings on this deal; nothing to pay."),
        DocumentKind.PROVIDER_INVOICE: _("Paid by card through the marketplace."),
        DocumentKind.CREDIT_NOTE: _(
            "Part of this deal was refunded, so the marketplace gives back its fees on that part: "
            "the refund took that much less from your earnings. Nothing to pay."
        ),
        DocumentKind.PROVIDER_CREDIT_NOTE: _(
            "Part of this deal was refunded to the card that paid, through the marketplace."
        ),
    }


def document_facts(document: Document) -> Facts:
    """What a document says, in words and money, for every way of showing it."""
    currency = document.currency
    lines = []
    for line in document.lines:
        unit_price = line.get("unit_price_minor")
        lines.append(
            {
                "label": line.get("label", ""),
                "units": line.get("units") or "",
                "unit_price": Money(int(unit_price), currency) if unit_price is not None else None,
                "amount": Money(int(line.get("amount_minor") or 0), currency),
                "is_tax": line.get("kind") == "tax",
            }
        )
    taxes = Money(document.taxes_minor, currency)
    total = Money(document.total_minor, currency)
    subtotal = total - taxes
    roles = {
        "issuer": _("From"),
        "recipient": _("To"),
        "provider": _("Provided by"),
    }
    parties = [(roles[role], document.parties[role]) for role in roles if role in document.parties]
    invoice = document.invoice
    credits = (
        _("For invoice %(number)s of %(date)s")
        % {"number": invoice.number, "date": invoice.issued_at.date().isoformat()}
        if invoice is not None
        else ""
    )
    return Facts(
        heading=_headings()[DocumentKind(document.kind)],
        number=document.number,
        issued_on=document.issued_at.date().isoformat(),
        title=document.title,
        parties=parties,
        lines=lines,
        subtotal=subtotal,
        taxes=taxes,
        total=total,
        note=_notes()[DocumentKind(document.kind)],
        credits=credits,
    )


def _register_fonts() -> None:
    with _fonts_lock:
        if FONT in pdfmetrics.getRegisteredFontNames():
            return
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))


def _party_text(role: str, party: dict[str, str]) -> str:
    rows = [f"<font name='{BOLD}'>{escape(role)}</font>", escape(party.get("name", ""))]
    if party.get("person"):
        rows.append(escape(party["person"]))
    if party.get("address"):
        rows.append(escape(party["address"]))
    if party.get("tax_number"):
        rows.append(escape(_("Tax number: %(number)s") % {"number": party["tax_number"]}))
    return "<br/>".join(rows)


def document_pdf(document: Document) -> bytes:
    """The document as an A4 PDF."""
    _register_fonts()
    facts = document_facts(document)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13)
    big = ParagraphStyle("big", parent=body, fontName=BOLD, fontSize=18, leading=22)
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{facts.heading} {facts.number}",
        author=str(document.parties.get("issuer", {}).get("name", "")),
    )
    head = [
        Paragraph(escape(f"{facts.heading} {facts.number}"), big),
        *([Paragraph(escape(facts.credits), body)] if facts.credits else []),
        Paragraph(escape(_("Issued on %(date)s") % {"date": facts.issued_on}), body),
        Paragraph(escape(facts.title), body),
        Spacer(1, 6 * mm),
    ]
    parties = Table(
        [[Paragraph(_party_text(role, party), body) for role, party in facts.parties]],
        colWidths=[(A4[0] - 36 * mm) / max(1, len(facts.parties))] * max(1, len(facts.parties)),
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    rows: list[list[Any]] = [[_("Item"), _("Quantity"), _("Unit price"), _("Amount")]]
    for line in facts.lines:
        rows.append(
            [
                Paragraph(escape(line["label"]), body),
                line["units"],
                line["unit_price"].format() if line["unit_price"] else "",
                line["amount"].format(),
            ]
        )
    totals_at = len(rows)
    if facts.taxes.amount_minor:
        rows.append(["", "", _("Subtotal"), facts.subtotal.format()])
        rows.append(["", "", _("Taxes"), facts.taxes.format()])
    rows.append(["", "", _("Total"), facts.total.format()])
    table = Table(rows, colWidths=[80 * mm, 22 * mm, 35 * mm, 37 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTNAME", (0, 0), (-1, 0), BOLD),
                ("FONTNAME", (0, -1), (-1, -1), BOLD),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, totals_at), (-1, totals_at), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    pdf.build(
        [*head, parties, Spacer(1, 8 * mm), table, Spacer(1, 8 * mm), Paragraph(escape(facts.note), body)]
    )
    return out.getvalue()


def pdf_filename(document: Document) -> str:
    return f"{document.kind.replace('_', '-')}-{document.number}.pdf"


def pdf_response(document: Document) -> HttpResponse:
    """The PDF as a download, never kept by a shared cache."""
    response = HttpResponse(document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(document)}"'
    response["Cache-Control"] = "private, no-store"
    return response

"""Receipts, invoices and credit notes: the door that issues them, their gapless numbers, and
who reads them.

A document is issued inside the transaction of the money movement it documents, by the money
step itself (docs/paperwork.md):

- the customer's **receipt** when their payment is captured (`payment_receipts_issue`, from the
  `record_capture` step), and, where the operator lets providers invoice, the provider's
  **invoice** to the customer, in the provider's own series;
- a **refund receipt** for every refund that gives money back to the customer: a cancellation
  or a dispute decided while the money is in escrow (`close_out`), an operator's refund or a
  dispute decided after release (`claw_back`);
- the provider's **fee invoice** for the marketplace's commission when escrow is emptied and
  the provider keeps a share (`close_out`: completion, or a cancellation that keeps part);
- **credit notes** for a refund that follows an invoice (`credit_notes_issue`): the marketplace's
  to the provider for the commission (and its tax) a refund after release gives back, and, where
  providers invoice, the provider's to the customer for the refunded part of their invoice.

Numbers: the marketplace's receipts and fee invoices share one series, its credit notes have
their own; each provider that invoices has a series for invoices and one for credit notes; each
series restarts every year (UTC). A `DocumentCounter` row per series and year is locked
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite's write transactions are IMMEDIATE, so one writer at
a time) and bumped in the document's transaction: a rollback gives its number back, so the
numbers have no gaps. A transaction that numbers several documents locks the series in one
order: the marketplace's, its credit notes', the provider's, the provider's credit notes'.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.errors import NotFound
from barnraise.eventlog.models import EventType
from barnraise.eventlog.services import Subject, record
from barnraise.ledger import deals
from barnraise.ledger.models import (
    Document,
    DocumentCounter,
    DocumentKind,
    PaperworkPolicy,
    Payment,
)
from barnraise.money import Money, round_minor
from barnraise.notifications.services import notification_send

MARKETPLACE_SERIES = "marketplace"
MARKETPLACE_CREDIT_SERIES = "marketplace:credit-notes"
CREDIT_NOTE_PREFIX = "CN"
PROVIDER_PREFIX = "INV"
CREDIT_NOTES = (DocumentKind.CREDIT_NOTE, DocumentKind.PROVIDER_CREDIT_NOTE)
CUSTOMER = "customer"
PROVIDER = "provider"


def paperwork_policy() -> PaperworkPolicy:
    """The one policy row (made with its defaults on first use)."""
    policy = PaperworkPolicy.objects.order_by("pk").first()
    return policy if policy is not None else PaperworkPolicy.objects.create()


def provider_series(provider_id: UUID) -> str:
    return f"provider:{provider_id}"


def provider_credit_series(provider_id: UUID) -> str:
    return f"provider:{provider_id}:credit-notes"


def _series(kind: DocumentKind, issuer: User | None, policy: PaperworkPolicy) -> tuple[str, str]:
    """The series a document is numbered in, and its numbers' prefix."""
    if kind in CREDIT_NOTES:
        if issuer is None:
            return MARKETPLACE_CREDIT_SERIES, CREDIT_NOTE_PREFIX
        return provider_credit_series(issuer.pk), CREDIT_NOTE_PREFIX
    if issuer is None:
        return MARKETPLACE_SERIES, policy.number_prefix
    return provider_series(issuer.pk), PROVIDER_PREFIX


def number_next(*, series: str, year: int) -> int:
    """The next number of `series` in `year`, taken in the caller's transaction (which must be
    open): the counter row stays locked until it commits, and a rollback gives the number back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take a document number inside the transaction of its document")
    DocumentCounter.objects.bulk_create([DocumentCounter(series=series, year=year)], ignore_conflicts=True)
    counter = DocumentCounter.objects.select_for_update().get(series=series, year=year)
    DocumentCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    return counter.last + 1


def _party(user: User) -> dict[str, str]:
    return {
        "name": user.business_name or user.name,
        "person": user.name if user.business_name else "",
        "tax_number": user.tax_number,
    }


def _marketplace(policy: PaperworkPolicy) -> dict[str, str]:
    return {
        "name": policy.issuer_name,
        "person": "",
        "tax_number": policy.issuer_tax_number,
        "address": policy.issuer_address,
    }


def is_tax(line: dict[str, Any]) -> bool:
    return line.get("kind") == "tax"


def _line(item: dict[str, Any], *, sign: int = 1, scale: Decimal | None = None) -> dict[str, Any]:
    """A deal's line item as a document shows it, turned round (`sign`) and scaled to a share."""
    amount = sign * int(item.get("amount_minor") or 0)
    unit_price = item.get("unit_price")
    if scale is not None and scale != 1:
        amount = round_minor(Decimal(amount) * scale)
        unit_price = None  # a share of a line has no unit price of its own
    label = str(item.get("label") or item.get("code") or "")
    included = is_tax(item) and bool(item.get("inclusive"))
    return {
        # An inclusive tax is inside the price it taxes: shown, never added again.
        "label": _("%(tax)s, included in the price") % {"tax": label} if included else label,
        "units": str(item["units"]) if item.get("units") not in (None, "") and unit_price is not None else "",
        "unit_price_minor": sign * int(unit_price) if unit_price is not None else None,
        "amount_minor": amount,
        "kind": "tax" if is_tax(item) else str(item.get("kind") or item.get("code") or ""),
        "code": str(item.get("code") or ""),
        "included": included,
    }


def _taxes(lines: list[dict[str, Any]]) -> int:
    return sum(line["amount_minor"] for line in lines if is_tax(line))


def _sum(lines: list[dict[str, Any]]) -> int:
    """What the lines charge: an included tax is already inside the line it taxes."""
    return sum(line["amount_minor"] for line in lines if not line.get("included"))


def document_issue(
    *,
    kind: DocumentKind,
    payment: Payment,
    paper: deals.DealPaper,
    lines: list[dict[str, Any]],
    total_minor: int,
    recipient: User,
    issuer: User | None,
    now: datetime,
    key: str,
    taxes_minor: int | None = None,
    invoice: Document | None = None,
) -> Document:
    """Issue one document in the caller's transaction: its number, the row, its event and the
    recipient's notification. The same `key` returns the document issued first. A credit note
    names the `invoice` it credits and repeats that invoice's parties as they were issued."""
    existing = Document.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    policy = paperwork_policy()
    series, prefix = _series(kind, issuer, policy)
    year = now.year
    sequence = number_next(series=series, year=year)
    if invoice is not None:
        parties = dict(invoice.parties)
    else:
        parties = {
            "issuer": _marketplace(policy) if issuer is None else _party(issuer),
            "recipient": _party(recipient),
        }
    if kind in (DocumentKind.RECEIPT, DocumentKind.REFUND_RECEIPT):
        parties["provider"] = _party(User.objects.get(pk=payment.payee_id))
    document = Document.objects.create(
        kind=kind,
        series=series,
        year=year,
        sequence=sequence,
        number=f"{prefix}-{year}-{sequence:06d}",
        issued_at=now,
        reference=payment.reference,
        payment=payment,
        issuer=issuer,
        recipient=recipient,
        invoice=invoice,
        parties=parties,
        title=paper.title[:300],
        currency=payment.currency,
        lines=lines,
        taxes_minor=_taxes(lines) if taxes_minor is None else taxes_minor,
        total_minor=total_minor,
        idempotency_key=key,
    )
    record(
        Subject("document", str(document.pk), member_id=recipient.pk),
        EventType.DOCUMENT_ISSUED,
        actor=None,
        payload={
            "kind": str(kind),
            "number": document.number,
            "deal": str(paper.deal_id),
            "total": {"amount_minor": total_minor, "currency": payment.currency},
            **({"invoice": invoice.number} if invoice is not None else {}),
        },
    )
    notification_send(
        recipient=recipient,
        kind="document_ready",
        context={
            "document": document.get_kind_display(),
            "number": document.number,
            "amount": Money(total_minor, payment.currency).format(),
            "title": document.title,
            "invoice": invoice.number if invoice is not None else "",
        },
        url=f"/paperwork/{document.pk}/",
    )
    return document


def _customer_lines(paper: deals.DealPaper) -> list[dict[str, Any]]:
    return [_line(item) for item in paper.line_items if item.get("paid_by", CUSTOMER) == CUSTOMER]


def _provider_supply(paper: deals.DealPaper) -> list[dict[str, Any]]:
    """The provider's supply, as the deal's line items: what the customer pays them, without the
    marketplace's fee and its tax (the marketplace's own supply, on the customer's receipt)."""
    supply = []
    for item in paper.line_items:
        code = str(item.get("code") or "")
        kind = "tax" if is_tax(item) else str(item.get("kind") or code)
        if item.get("paid_by", CUSTOMER) != CUSTOMER or kind == "customer_fee":
            continue
        if code in ("customer_fee", "tax_service_fee"):
            continue
        supply.append(item)
    return supply


def _provider_lines(paper: deals.DealPaper) -> list[dict[str, Any]]:
    """What the provider pays the marketplace: the commission and its tax."""
    return [item for item in paper.line_items if item.get("paid_by") == PROVIDER]


def payment_receipts_issue(payment: Payment, *, now: datetime) -> list[Document]:
    """The payment was captured: the customer's receipt (and the provider's invoice to them,
    where the policy lets providers invoice). Called inside the capture's transaction."""
    paper = deals.deal_paper(payment.reference)
    if paper is None:
        return []
    customer = User.objects.get(pk=payment.payer_id)
    issued = [
        document_issue(
            kind=DocumentKind.RECEIPT,
            payment=payment,
            paper=paper,
            lines=_customer_lines(paper),
            total_minor=payment.amount_minor,
            recipient=customer,
            issuer=None,
            now=now,
            key=f"{payment.reference}:receipt",
        )
    ]
    if paperwork_policy().providers_issue_invoices:
        lines = [_line(item) for item in _provider_supply(paper)]
        issued.append(
            document_issue(
                kind=DocumentKind.PROVIDER_INVOICE,
                payment=payment,
                paper=paper,
                lines=lines,
                total_minor=_sum(lines),
                recipient=customer,
                issuer=User.objects.get(pk=payment.payee_id),
                now=now,
                key=f"{payment.reference}:provider-invoice",
            )
        )
    return issued


def refund_receipt_issue(payment: Payment, *, refund_minor: int, now: datetime, key: str) -> Document | None:
    """`refund_minor` goes back to the customer: their refund receipt, with the taxes' share."""
    paper = deals.deal_paper(payment.reference)
    if paper is None or refund_minor <= 0 or payment.amount_minor <= 0:
        return None
    taxes = _taxes(_customer_lines(paper))
    taxes_back = (
        round_minor(Decimal(taxes) * refund_minor / payment.amount_minor) if payment.amount_minor else 0
    )
    line = {
        "label": _("Refund of your payment for %(title)s") % {"title": paper.title},
        "units": "",
        "unit_price_minor": None,
        "amount_minor": refund_minor,
        "kind": "refund",
    }
    return document_issue(
        kind=DocumentKind.REFUND_RECEIPT,
        payment=payment,
        paper=paper,
        lines=[line],
        total_minor=refund_minor,
        taxes_minor=taxes_back,
        recipient=User.objects.get(pk=payment.payer_id),
        issuer=None,
        now=now,
        key=f"{key}:refund-receipt",
    )


def fee_invoice_issue(payment: Payment, *, kept_minor: int, now: datetime, key: str) -> Document | None:
    """Escrow is emptied and the provider keeps a share: the marketplace invoices them its
    commission on what the customer paid and kept paying (`kept_minor` of the total)."""
    paper = deals.deal_paper(payment.reference)
    if paper is None or kept_minor <= 0 or payment.amount_minor <= 0:
        return None
    scale = Decimal(kept_minor) / Decimal(payment.amount_minor)
    lines = [_line(item, sign=-1, scale=scale) for item in _provider_lines(paper)]
    total = _sum(lines)
    if total <= 0:
        return None
    return document_issue(
        kind=DocumentKind.FEE_INVOICE,
        payment=payment,
        paper=paper,
        lines=lines,
        total_minor=total,
        recipient=User.objects.get(pk=payment.payee_id),
        issuer=None,
        now=now,
        key=f"{key}:fee-invoice",
    )


def _credited(
    items: list[dict[str, Any]], *, sign: int, before: Decimal, after: Decimal
) -> list[dict[str, Any]]:
    """The lines an invoice of `items` stops charging when the part of the payment it covers goes
    from `before` to `after` (shares of the total): each line's share before less its share
    after, negative. Computed as differences of the rounded shares, so the credit notes of a
    payment refunded in full add up to its invoice exactly."""
    credited = []
    for item in items:
        was, stays = _line(item, sign=sign, scale=before), _line(item, sign=sign, scale=after)
        amount = stays["amount_minor"] - was["amount_minor"]
        if amount:
            credited.append({**was, "units": "", "unit_price_minor": None, "amount_minor": amount})
    return credited


def credit_notes_issue(payment: Payment, *, refund_minor: int, now: datetime, key: str) -> list[Document]:
    """`refund_minor` goes back to the customer (`payment.refunded_minor` counts it already, as
    the money step saved it): a credit note for every invoice of the payment that now charges
    too much, crediting the refunded share of its lines.

    - The marketplace's fee invoice (issued at release): its commission and tax, which the
      refund gives back to the provider (`claw_back`: the platform returns its fees in
      proportion). A refund that returns no commission (nothing invoiced, or a share that rounds
      to nothing) gets no credit note.
    - The provider's own invoice to the customer (issued at capture, where providers invoice):
      the refunded share of their supply, whether the refund came by a cancellation or after
      release.
    """
    paper = deals.deal_paper(payment.reference)
    if paper is None or refund_minor <= 0 or payment.amount_minor <= 0:
        return []
    total, kept = Decimal(payment.amount_minor), payment.amount_minor - payment.refunded_minor
    # The shares as the invoices computed them (kept / total), before the refund and after it.
    before, after = Decimal(kept + refund_minor) / total, Decimal(kept) / total
    invoices = {
        str(document.kind): document
        for document in Document.objects.filter(
            payment=payment, kind__in=(DocumentKind.FEE_INVOICE, DocumentKind.PROVIDER_INVOICE)
        ).order_by("issued_at", "id")
    }
    plans = [
        (DocumentKind.FEE_INVOICE, DocumentKind.CREDIT_NOTE, _provider_lines(paper), -1, "credit-note"),
        (
            DocumentKind.PROVIDER_INVOICE,
            DocumentKind.PROVIDER_CREDIT_NOTE,
            _provider_supply(paper),
            1,
            "provider-credit-note",
        ),
    ]
    issued = []
    for invoice_kind, kind, items, sign, suffix in plans:  # the marketplace's series first
        invoice = invoices.get(invoice_kind.value)
        if invoice is None:
            continue
        lines = _credited(items, sign=sign, before=before, after=after)
        if not lines:
            continue
        issued.append(
            document_issue(
                kind=kind,
                payment=payment,
                paper=paper,
                lines=lines,
                total_minor=_sum(lines),
                recipient=invoice.recipient,
                issuer=invoice.issuer,
                now=now,
                key=f"{key}:{suffix}",
                invoice=invoice,
            )
        )
    return issued


# --- Reads --------------------------------------------------------------------------------------


def documents_of(user: User) -> QuerySet[Document]:
    """The documents a member received or issued, newest first (a credit note with its invoice)."""
    return (
        Document.objects.filter(Q(recipient=user) | Q(issuer=user))
        .select_related("invoice")
        .order_by("-issued_at", "-id")
    )


def documents_of_deal(*, actor: User, deal_id: UUID) -> list[Document]:
    """The documents of a deal that `actor` may read (theirs; all of them for finance)."""
    found = (
        Document.objects.filter(reference=f"transaction:{deal_id}")
        .select_related("invoice")
        .order_by("issued_at", "id")
    )
    if operators.operator_in(actor, operators.FINANCE):
        return list(found)
    return list(found.filter(Q(recipient=actor) | Q(issuer=actor)))


def document_visible(*, actor: User, document_id: Any) -> Document:
    """A document its recipient, its issuer or a finance operator may read; anyone else: 404."""
    try:
        document = Document.objects.filter(pk=UUID(str(document_id))).first()
    except ValueError:
        document = None
    if document is None or not (
        actor.pk in (document.recipient_id, document.issuer_id)
        or operators.operator_in(actor, operators.FINANCE)
    ):
        raise NotFound(_("No such document."))
    return document

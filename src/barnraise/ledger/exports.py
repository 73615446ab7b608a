"""The ledger's part of a member's data export (`accounts.lifecycle`): their payments, the
refunds on them, their payouts, and their receipts and invoices, money in the money shape."""

from typing import Any

from django.db.models import Q

from barnraise.accounts.models import User
from barnraise.ledger import paperwork
from barnraise.ledger.models import AccountKind, EntryKind, Payment, Payout, Posting
from barnraise.ledger.paperwork_render import document_facts
from barnraise.ledger.selectors import payout_deals
from barnraise.money import Money


def _deal(reference: str) -> str:
    return reference.partition(":")[2]


def _payments(user: User) -> list[Payment]:
    return list(Payment.objects.filter(Q(payer=user) | Q(payee=user)).order_by("created_at", "id"))


def payments_export_for(user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": str(p.pk),
            "transaction": _deal(p.reference),
            "role": "customer" if p.payer_id == user.pk else "provider",
            "status": p.status,
            "amount": Money(p.amount_minor, p.currency).as_json(),
            "refunded": Money(p.refunded_minor, p.currency).as_json(),
            "provider_share": Money(p.provider_share_minor, p.currency).as_json(),
            "payment_method": p.payment_method if p.payer_id == user.pk else "",
            "created_at": p.created_at.isoformat(),
        }
        for p in _payments(user)
    ]


def refunds_export_for(user: User) -> list[dict[str, Any]]:
    """Each refund on the member's payments: what went back to the customer, when."""
    references = [p.reference for p in _payments(user)]
    postings = (
        Posting.objects.filter(
            entry__reference__in=references,
            entry__kind=EntryKind.REFUND,
            account__kind__in=[AccountKind.REFUNDS, AccountKind.CHARGEBACKS],
        )
        .select_related("entry")
        .order_by("entry__created_at", "id")
    )
    return [
        {
            "transaction": _deal(posting.entry.reference),
            "amount": Money(-posting.amount_minor, posting.currency).as_json(),
            "created_at": posting.entry.created_at.isoformat(),
        }
        for posting in postings
        if posting.amount_minor
    ]


def payouts_export_for(user: User) -> list[dict[str, Any]]:
    """Each payout with the deals it paid out (`deal`: the deal's id; other credits by their
    entry's reference), oldest first; a failed payout's deals went back to the balance."""
    payouts = list(Payout.objects.filter(owner=user).order_by("created_at", "id"))
    items = payout_deals(payouts)
    return [
        {
            "id": str(p.pk),
            "amount": Money(p.amount_minor, p.currency).as_json(),
            "status": p.status,
            "scheduled": p.scheduled,
            "created_at": p.created_at.isoformat(),
            "finished_at": p.finished_at.isoformat() if p.finished_at else None,
            "deals": [
                {
                    "deal": _deal(reference) if reference.startswith("transaction:") else None,
                    "reference": reference,
                    "amount": amount.as_json(),
                }
                for reference, amount in items[p.pk]
            ],
        }
        for p in payouts
    ]


def paperwork_export_for(user: User) -> list[dict[str, Any]]:
    rows = []
    for document in paperwork.documents_of(user).order_by("issued_at", "id"):
        facts = document_facts(document)
        rows.append(
            {
                "id": str(document.pk),
                "kind": document.kind,
                "number": document.number,
                "issued_at": document.issued_at.isoformat(),
                "transaction": _deal(document.reference),
                "parties": document.parties,
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
                "taxes": facts.taxes.as_json(),
                "total": facts.total.as_json(),
            }
        )
    return rows


def register() -> None:
    """Called by LedgerConfig.ready(): the export's sections."""
    from barnraise.accounts import lifecycle

    lifecycle.register_export("payments", payments_export_for)
    lifecycle.register_export("refunds", refunds_export_for)
    lifecycle.register_export("payouts", payouts_export_for)
    lifecycle.register_export("receipts_and_invoices", paperwork_export_for)

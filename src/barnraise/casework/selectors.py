"""Reads for the operators' queue: what waits, per kind, who took it, and each item's history.

Each kind's items are read from their own app (listings to approve from catalog, open reports
from trust, open disputes from commerce, pending documents from accounts, holds in force from
the ledger); this app adds only who took them. A kind is shown to the groups that work it
(`KIND_GROUPS`); docs/console.md has the table.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from barnraise.accounts import operators
from barnraise.accounts.models import Document, User
from barnraise.casework.models import Assignment, Kind
from barnraise.catalog.models import Listing
from barnraise.commerce.models import Dispute, TransactionEvent
from barnraise.eventlog.models import Event
from barnraise.ledger.models import PayoutHold
from barnraise.trust.models import Report, TrustEvent

# Who works which kind. Payout holds are money (finance); disputes are read by both, and a
# dispute's refund needs finance (docs/console.md).
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    Kind.LISTING: (operators.SUPPORT,),
    Kind.REPORT: (operators.SUPPORT,),
    Kind.DISPUTE: (operators.SUPPORT, operators.FINANCE),
    Kind.DOCUMENT: (operators.SUPPORT,),
    Kind.PAYOUT_HOLD: (operators.FINANCE,),
}
SCOPES = ("all", "mine", "unassigned")
PAGE = 50


@dataclass(frozen=True)
class QueueItem:
    kind: str
    id: str
    title: str
    member: User
    since: datetime
    assignee: User | None = None


def kinds_for(viewer: User) -> list[str]:
    """The kinds `viewer` works, in the queue's order."""
    return [kind for kind, groups in KIND_GROUPS.items() if operators.operator_in(viewer, *groups)]


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _open_rows(kind: str) -> QuerySet[Any]:
    if kind == Kind.LISTING:
        return Listing.objects.filter(status=Listing.Status.PENDING_APPROVAL).select_related("author")
    if kind == Kind.REPORT:
        return Report.objects.filter(status=Report.Status.OPEN).select_related("member")
    if kind == Kind.DISPUTE:
        return Dispute.objects.filter(status=Dispute.Status.OPEN).select_related("transaction__customer")
    if kind == Kind.DOCUMENT:
        return Document.objects.filter(status=Document.Status.PENDING).select_related("user")
    if kind == Kind.PAYOUT_HOLD:
        return PayoutHold.objects.filter(released_at=None).select_related("owner")
    raise ValueError(f"no queue kind {kind!r}")


# The field that holds an item's public id, and how a row becomes an item.
_ID_FIELD: dict[str, str] = {
    Kind.LISTING: "public_id",
    Kind.REPORT: "pk",
    Kind.DISPUTE: "pk",
    Kind.DOCUMENT: "pk",
    Kind.PAYOUT_HOLD: "pk",
}
_AS_ITEM: dict[str, Callable[[Any], tuple[str, str, User, datetime]]] = {
    Kind.LISTING: lambda r: (str(r.public_id), r.title, r.author, r.updated_at),
    Kind.REPORT: lambda r: (str(r.pk), str(r.get_reason_display()), r.member, r.created_at),
    Kind.DISPUTE: lambda r: (str(r.pk), r.reason, r.transaction.customer, r.created_at),
    Kind.DOCUMENT: lambda r: (str(r.pk), str(r.get_kind_display()), r.user, r.created_at),
    Kind.PAYOUT_HOLD: lambda r: (str(r.pk), r.reason, r.owner, r.created_at),
}
_ORDER: dict[str, str] = {Kind.LISTING: "updated_at", Kind.PAYOUT_HOLD: "created_at"}


def _id_values(kind: str, ids: Iterable[str]) -> list[Any]:
    if kind == Kind.PAYOUT_HOLD:
        return [int(i) for i in ids if i.isdigit()]
    return [u for u in (_uuid(i) for i in ids) if u is not None]


def _scoped(kind: str, rows: QuerySet[Any], viewer: User, scope: str) -> QuerySet[Any]:
    if scope == "mine":
        mine = Assignment.objects.filter(kind=kind, operator=viewer).values_list("item_id", flat=True)
        return rows.filter(**{f"{_ID_FIELD[kind]}__in": _id_values(kind, mine)})
    if scope == "unassigned":
        taken = Assignment.objects.filter(kind=kind).values_list("item_id", flat=True)
        return rows.exclude(**{f"{_ID_FIELD[kind]}__in": _id_values(kind, taken)})
    return rows


def queue_counts(*, viewer: User, scope: str = "all") -> dict[str, int]:
    """How many items wait, per kind `viewer` works."""
    return {kind: _scoped(kind, _open_rows(kind), viewer, scope).count() for kind in kinds_for(viewer)}


def queue_items(*, viewer: User, kind: str = "", scope: str = "all") -> list[QueueItem]:
    """The oldest waiting items (at most PAGE per kind) of one kind or of every kind `viewer` works."""
    kinds = [k for k in kinds_for(viewer) if not kind or k == kind]
    items: list[QueueItem] = []
    for k in kinds:
        rows = _scoped(k, _open_rows(k), viewer, scope).order_by(_ORDER.get(k, "created_at"))[:PAGE]
        found = [_AS_ITEM[k](row) for row in rows]
        taken = {
            a.item_id: a.operator
            for a in Assignment.objects.filter(kind=k, item_id__in=[f[0] for f in found]).select_related(
                "operator"
            )
        }
        items += [QueueItem(k, i, title, member, since, taken.get(i)) for i, title, member, since in found]
    return sorted(items, key=lambda item: item.since)


def item_open(*, kind: str, item_id: str) -> bool:
    """Whether the item still waits for an operator."""
    if kind not in KIND_GROUPS:
        return False
    values = _id_values(kind, [item_id])
    return bool(values) and _open_rows(kind).filter(**{_ID_FIELD[kind]: values[0]}).exists()


_ALL_ROWS: dict[str, Callable[[], QuerySet[Any]]] = {
    Kind.LISTING: lambda: Listing.objects.select_related("author", "category"),
    Kind.REPORT: lambda: Report.objects.select_related("member", "reporter"),
    Kind.DISPUTE: lambda: Dispute.objects.select_related("transaction__customer", "transaction__provider"),
    Kind.DOCUMENT: lambda: Document.objects.select_related("user"),
    Kind.PAYOUT_HOLD: lambda: PayoutHold.objects.select_related("owner"),
}


def item_row(*, kind: str, item_id: str) -> Any:
    """The item's own row, waiting or decided; None when there is no such item."""
    values = _id_values(kind, [item_id]) if kind in _ALL_ROWS else []
    if not values:
        return None
    return _ALL_ROWS[kind]().filter(**{_ID_FIELD[kind]: values[0]}).first()


def assignee_of(*, kind: str, item_id: str) -> User | None:
    found = Assignment.objects.filter(kind=kind, item_id=item_id).select_related("operator").first()
    return found.operator if found else None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: User | None
    what: str
    note: str = ""
    # A deal's event: its transition's name, worded by the pages (web.deal_presenters).
    deal: Any = None
    transition: str = ""


def _log_entries(kind: str, item_id: str) -> list[HistoryEntry]:
    rows = Event.objects.filter(subject_type=kind, subject_id=item_id).select_related("actor")
    return [
        HistoryEntry(e.created_at, e.actor, str(e.get_type_display()), str(e.payload.get("reason", "")))
        for e in rows
    ]


def item_history(*, kind: str, item_id: str) -> list[HistoryEntry]:
    """The decisions on one item, oldest first: its events in the log (assignments, a listing's
    status changes, a hold's), with a report's safety log or a dispute's deal events."""
    entries = _log_entries(kind, item_id)
    if kind == Kind.REPORT:
        rows = TrustEvent.objects.filter(object_id=item_id).select_related("actor")
        entries += [HistoryEntry(e.created_at, e.actor, str(e.get_type_display())) for e in rows]
    if kind == Kind.DISPUTE:
        dispute_id = _uuid(item_id)
        dispute = (
            Dispute.objects.select_related("transaction").filter(pk=dispute_id).first()
            if dispute_id
            else None
        )
        if dispute is not None:
            deal_events = TransactionEvent.objects.filter(transaction_id=dispute.transaction_id).order_by(
                "id"
            )
            entries += [
                HistoryEntry(e.created_at, e.actor, "", deal=dispute.transaction, transition=e.name)
                for e in deal_events.select_related("actor")
            ]
    return sorted(entries, key=lambda entry: entry.at)

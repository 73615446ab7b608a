"""What the ledger needs from a deal, and the few things it asks of commerce: the one module of
the ledger that imports commerce.

The ledger sits above commerce. Its money steps are actions and a guard that commerce's engine
runs (registered into `commerce.registry`, with the payment hooks, from `LedgerConfig.ready()`
through `register_with_commerce`), and a provider's answer moves a deal by a `system`
transition. Everything else the ledger reads of a deal goes through the protocols below,
which commerce's `Transaction` and the engine's `Context` implement (mypy checks it where the
steps are registered): the ledger never imports commerce's models, and no other ledger module
imports commerce at all.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from django.db.models import Model

from barnraise.accounts.models import User
from barnraise.commerce import cancellation, engine, registry, selectors
from barnraise.commerce.actions import policy


class Deal(Protocol):
    """What the escrow steps read of a deal: its id, parties, price and cancellation terms,
    all as they were snapshotted when the deal was priced."""

    @property
    def pk(self) -> UUID: ...
    @property
    def customer_id(self) -> UUID: ...
    @property
    def provider_id(self) -> UUID: ...
    @property
    def currency(self) -> str: ...
    @property
    def total_amount_minor(self) -> int: ...
    @property
    def provider_payout_minor(self) -> int: ...
    @property
    def tax_payable_minor(self) -> int: ...
    @property
    def tax_jurisdiction(self) -> str: ...
    @property
    def cancellation_policy(self) -> dict[str, Any]: ...
    @property
    def start(self) -> datetime | None: ...


class Step(Protocol):
    """What a money step reads of the engine's context (`commerce.registry.Context`)."""

    @property
    def tx(self) -> Deal: ...
    @property
    def actor(self) -> Any: ...  # the member or operator taking the step; None: the system
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def notes(self) -> dict[str, Any]: ...
    @property
    def now(self) -> datetime: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def effects(self) -> dict[str, Any]: ...
    def insert(self, row: Model) -> None: ...


StepFn = Callable[[Step], None]


def reference_of(deal: Deal) -> str:
    """The reference the ledger's rows name a deal by."""
    return f"transaction:{deal.pk}"


def deal_visible(*, actor: User, deal_id: UUID) -> Deal:
    """The deal, if `actor` is a party or an operator; anyone else gets NotFound."""
    return selectors.transaction_visible(actor=actor, transaction_id=deal_id)


def deal_move(*, reference: str, transition: str, idempotency_key: str, notes: dict[str, Any]) -> bool:
    """Move the deal `reference` names by the `system` transition; False if there is no such
    deal. A transition the deal refuses raises its DomainError; the same key moves it once."""
    tx = selectors.transaction_by_reference(reference)
    if tx is None:
        return False
    engine.transition(tx, transition, actor=None, idempotency_key=idempotency_key, notes=notes)
    return True


@dataclass(frozen=True)
class DealPaper:
    """What a receipt or an invoice shows of a deal: its line items as priced (each a dict with
    `code`, `label`, `units`, `unit_price`, `amount_minor`, `paid_by` and, for a tax, `kind`
    "tax") and what was dealt in (the listing's title)."""

    deal_id: UUID
    title: str
    line_items: list[dict[str, Any]]


def deal_paper(reference: str) -> DealPaper | None:
    """The deal `reference` names, as its paperwork shows it; None if there is no such deal."""
    tx = selectors.transaction_by_reference(reference)
    if tx is None:
        return None
    return DealPaper(deal_id=tx.pk, title=tx.listing.title, line_items=list(tx.line_items or []))


def deal_title(reference: str) -> str | None:
    """What the deal `reference` names is about (its listing's title), for the ledger's words;
    None if there is no such deal."""
    tx = selectors.transaction_by_reference(reference)
    return None if tx is None else str(tx.listing.title)


def deal_titles(references: list[str]) -> dict[str, str]:
    """`deal_title` for many deals, in one query: reference → title, for those that exist."""
    ids = {}
    for reference in references:
        prefix, _sep, value = reference.partition(":")
        if prefix == "transaction":
            try:
                ids[UUID(value)] = reference
            except ValueError:
                continue
    return {ids[pk]: title for pk, title in selectors.listing_titles(list(ids))}


def refund_percent(deal: Deal, *, cancelled_at: datetime) -> Decimal:
    """The share of the price the deal's snapshotted cancellation policy gives back."""
    return cancellation.refund_percent(deal.cancellation_policy, deal.start, cancelled_at)


def dispute_window() -> timedelta:
    """How long after completion a party may open a dispute (commerce's policy)."""
    return timedelta(days=policy().dispute_window_days)


def register_with_commerce(
    *,
    actions: dict[str, StepFn],
    hand_over_only: set[str],
    records_payment: set[str],
    guards: dict[str, StepFn],
    authorize: Callable[..., dict[str, Any]],
    abandon: Callable[[dict[str, Any]], None],
    prepare: Callable[..., dict[str, Any]] | None = None,
    release: Callable[..., None] | None = None,
    defer: Callable[..., dict[str, Any] | None] | None = None,
    authorization_lead: Callable[[], timedelta] | None = None,
) -> None:
    """Register the money steps and the payment hooks with commerce's engine. An action in
    `hand_over_only` only hands its rows to the engine: it writes nothing in a dry run and need
    not see the rows earlier actions handed over; one in `records_payment` records the card
    authorization made before its step (only a step that takes payment runs it)."""
    for name, action in actions.items():
        plain = name not in hand_over_only
        registry.register_action(
            name,
            action,
            dry_run_writes=plain,
            sees_new_rows=plain,
            records_payment=name in records_payment,
        )
    for name, guard in guards.items():
        registry.register_guard(name, guard)
    registry.register_payment_hooks(
        authorize=authorize,
        abandon=abandon,
        prepare=prepare,
        release=release,
        defer=defer,
        authorization_lead=authorization_lead,
    )


def deal_detail_register(name: str, detail: Callable[[Any, Any], dict[str, Any]]) -> None:
    """Add `name` to a deal's API detail: `detail(deal, viewer)` answers {field: value} (the
    provider's payouts of the deal, `ledger.selectors.deal_payouts_detail`)."""
    registry.register_deal_detail(name, detail)

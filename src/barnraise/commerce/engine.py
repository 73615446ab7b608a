"""The one door for every state change of a transaction.

    transition(tx, name, actor=..., params=..., idempotency_key=...)

In one database transaction it locks the row, checks the actor and the guards, runs the
actions, appends an immutable event, and cancels stale timers and schedules new ones. Side
effects (notifications, webhooks) happen after commit, from the event log (eventlog.sequencer.pump).
"""

import copy
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction as db
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts import operators, standing
from barnraise.accounts.models import User
from barnraise.commerce import cancellation, processes, registry
from barnraise.commerce.models import Transaction, TransactionEvent
from barnraise.commerce.processes.definitions import INITIAL, At, Process, Transition
from barnraise.db import insert_all
from barnraise.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    UnknownTransition,
)
from barnraise.eventlog import sequencer
from barnraise.timers import services as timers
from barnraise.timers.models import Timer

TIMER_HANDLER = "commerce.timed_transition"


class _DryRun(Exception):
    """Raised inside a dry run to roll everything back."""


@dataclass
class Outcome:
    tx: Transaction
    event: TransactionEvent | None
    replayed: bool = False
    # What the actions did or, in a dry run, would do (registry.Context.effects).
    effects: dict[str, Any] = field(default_factory=dict)


def role_of(tx: Transaction, actor: User | None) -> str | None:
    """The actor's part in the transaction: customer, provider, operator, system, or None."""
    if actor is None:
        return "system"
    if actor.pk == tx.customer_id:
        return "customer"
    if actor.pk == tx.provider_id:
        return "provider"
    if operators.operator_in(actor, operators.SUPPORT, operators.FINANCE):
        return "operator"  # a step that moves money checks for finance itself (a dispute's refund)
    return None


def _params_asked(error: DomainError) -> list[str] | None:
    """The params a guard refused, when it refused only params (a dispute's missing reason):
    the step is possible once the actor gives them. None when it refused the step itself."""
    details = error.details
    if not (isinstance(error, InvalidInput) and isinstance(details, dict) and details):
        return None
    keys = [str(key) for key in details]
    if not all(key.startswith("params.") for key in keys):
        return None
    return [key.removeprefix("params.") for key in keys]


def steps_available(tx: Transaction, actor: User | None) -> dict[str, list[str]]:
    """What `actor` may do now, each step with the params it needs: their transitions out of
    the state whose guards pass, or would pass with those params (the guards are run with none;
    the real call checks the params given)."""
    role = role_of(tx, actor)
    process = processes.get(tx.process, tx.process_version)
    now = timezone.now()
    found: dict[str, list[str]] = {}
    # a step's `ahead` alternative is taken for it by the service (a saved card, far ahead)
    ahead = {t.ahead for t in process.transitions if t.ahead}
    for step in process.from_state(tx.state):
        if step.actor != role or step.at or step.name in ahead:
            continue
        ctx = registry.Context(
            tx=tx,
            process=process,
            transition=step,
            actor=actor,
            role=role or "",
            params={},
            now=now,
            dry_run=True,
        )
        asked = _guards_ask(step, ctx)
        if asked is not None:
            found[step.name] = asked
    return found


def _guards_ask(step: Transition, ctx: registry.Context) -> list[str] | None:
    """The params the step's guards ask for, or None when a guard refuses the step itself."""
    asked: list[str] = []
    for guard in step.guards:
        try:
            registry.guard(guard)(ctx)
        except DomainError as error:
            params = _params_asked(error)
            if params is None:
                return None
            asked.extend(params)
    return asked


def available_transitions(tx: Transaction, actor: User | None) -> list[str]:
    """The names of the steps `actor` may take now (see `steps_available`)."""
    return list(steps_available(tx, actor))


def _check(tx: Transaction, process: Process, name: str, role: str | None) -> Transition:
    step = process.transition(name)
    allowed = [t.name for t in process.from_state(tx.state) if t.actor == role]
    if step is None and role is None:
        raise NotFound()
    if step is None:
        raise UnknownTransition(details={"transitions": sorted({t.name for t in process.transitions})})
    if tx.state not in step.from_states:
        raise TransitionNotAllowed(details={"state": tx.state, "allowed": allowed})
    if step.actor != role:
        if role is None:
            raise NotFound()
        raise PermissionDenied(_("Only the %s can do this.") % step.actor, details={"allowed": allowed})
    return step


def _clean_params(step: Transition, params: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(params) - set(step.params))
    if unknown:
        raise InvalidInput(
            details={f"params.{k}": [_("Not a parameter of %s.") % step.name] for k in unknown}
        )
    message = params.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > 5000):
        raise InvalidInput(details={"params.message": [_("Text of at most 5,000 characters.")]})
    return dict(params)


def _due(tx: Transaction, at: tuple[At, ...], now: datetime) -> datetime | None:
    moments: dict[str, datetime | None] = {
        "initiated": tx.created_at,
        "entered_state": now,
        "booking_start": tx.start,
        "booking_end": tx.end,
        "payment_due": _payment_due(tx),
    }
    due: list[datetime] = []
    for point in at:
        base = moments[point.timepoint]
        if base is not None:
            due.append(base + point.offset)
    return min(due) if due else None


def _payment_due(tx: Transaction) -> datetime | None:
    """When a deal paid with a saved card is authorized: its start less the provider's lead."""
    if tx.start is None:
        return None
    lead = registry.payment_hooks().authorization_lead
    return tx.start - lead() if lead is not None else tx.start


def _reschedule(tx: Transaction, process: Process, now: datetime, *, is_new: bool) -> list[Timer]:
    """Cancel the transaction's pending timers (none if it is new); the timers of the steps
    from its new state, to insert."""
    target = f"transaction:{tx.pk}"
    if not is_new:
        timers.cancel_pending(target=target, handler=TIMER_HANDLER)
    due_timers = []
    for step in process.from_state(tx.state):
        due = _due(tx, step.at, now) if step.at else None
        if due is not None:
            due_timers.append(
                timers.timer(
                    handler=TIMER_HANDLER,
                    target=target,
                    due_at=due,
                    payload={
                        "transaction": str(tx.pk),
                        "transition": step.name,
                        "process_version": tx.process_version,
                    },
                )
            )
    return due_timers


def _apply(
    tx: Transaction,
    name: str,
    actor: User | None,
    params: dict[str, Any],
    idempotency_key: str | None,
    dry_run: bool,
    notes: dict[str, Any] | None = None,
) -> Outcome:
    now = timezone.now()
    process = processes.get(tx.process, tx.process_version)
    if idempotency_key:
        earlier = TransactionEvent.objects.filter(transaction=tx, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return Outcome(tx, earlier, replayed=True)
    role = role_of(tx, actor)
    step = _check(tx, process, name, role)
    before = None if tx._state.adding else _fields_of(tx)
    ctx = registry.Context(
        tx=tx,
        process=process,
        transition=step,
        actor=actor,
        role=role or "",
        params=_clean_params(step, params),
        now=now,
        dry_run=dry_run,
        notes=dict(notes or {}),
    )
    for guard in step.guards:
        registry.guard(guard)(ctx)
    _screen_texts(ctx)
    for action in step.actions:
        if ctx.new_rows and not dry_run and registry.sees_new_rows(action):
            insert_all(ctx.new_rows)
            ctx.new_rows.clear()
        registry.action(action)(ctx)
    from_state, tx.state = tx.state, step.to
    tx.entered_state_at = tx.updated_at = now
    event = TransactionEvent(
        transaction=tx,
        name=step.name,
        actor_role=role or "",
        actor=actor,
        from_state=from_state,
        to_state=step.to,
        params=_jsonable(ctx.params),
        idempotency_key=idempotency_key,
        created_at=now,
    )
    if not dry_run:  # a dry run shows the event and the state; the actions' writes roll back
        rows: list[Model] = []
        if before is None:
            rows.append(tx)
        else:
            tx.save(update_fields=_changed(tx, before))
        rows += [*ctx.new_rows, event, *_reschedule(tx, process, now, is_new=from_state == INITIAL)]
        insert_all(rows)  # one round trip on PostgreSQL
    return Outcome(tx, event, effects=ctx.effects)


def _fields_of(tx: Transaction) -> dict[str, Any]:
    """The row's values as the step found them (a copy: an action may change a JSON value in place)."""
    return {
        f.attname: copy.deepcopy(getattr(tx, f.attname))
        for f in tx._meta.concrete_fields
        if not f.primary_key
    }


def _changed(tx: Transaction, before: dict[str, Any]) -> list[str]:
    """What the step changed: the state and its times, and whatever its actions set."""
    return [name for name, value in before.items() if getattr(tx, name) != value]


def _screen_texts(ctx: registry.Context) -> None:
    """Until contact details are revealed, what a party writes to the other side is screened:
    contact details are masked (and the attempt recorded) by the screens trust registers."""
    if ctx.dry_run or ctx.actor is None or ctx.tx.contact_revealed_at is not None:
        return
    for name in ("message", "reason"):
        text = ctx.params.get(name)
        if isinstance(text, str) and text:
            ctx.params[name] = standing.public_text(
                author=ctx.actor, text=text, where="message", subject_id=str(ctx.tx.pk)
            )


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in params.items()}


def _after_commit() -> None:
    db.on_commit(sequencer.pump_soon)


def transition(
    tx: Transaction,
    name: str,
    *,
    actor: User | None,
    params: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    dry_run: bool = False,
    notes: dict[str, Any] | None = None,
) -> Outcome:
    """Move `tx` by the transition `name`. With dry_run, compute everything, write nothing.

    `notes` reach the actions as `ctx.notes`: what a service learned before the transition that
    must not travel in `params` (they are stored on the event), e.g. a payment authorization.
    """
    try:
        with db.atomic():
            locked = Transaction.objects.select_for_update().select_related("listing").get(pk=tx.pk)
            outcome = _apply(locked, name, actor, params or {}, idempotency_key, dry_run, notes)
            if dry_run:
                raise _DryRun()
            _after_commit()
            return outcome
    except _DryRun:
        return outcome


def start(
    *,
    listing: Any,
    customer: User,
    provider: User,
    process: Process,
    name: str,
    params: dict[str, Any],
    actor: User,
    idempotency_key: str | None = None,
    dry_run: bool = False,
    notes: dict[str, Any] | None = None,
    tx_id: Any = None,
    durable: bool = False,
) -> Outcome:
    """Open a transaction and take its first transition, in one database transaction.

    `tx_id` names the new transaction when a service needed its id first (a payment
    authorized before the transaction opens refers to it). `durable`: the caller is a top-level
    service, so that database transaction is the outermost (house style) and commits the deal
    on its own; inside a caller's transaction it fails (RuntimeError) before writing anything.
    """
    step = process.transition(name)
    if step is None:
        raise UnknownTransition(details={"transitions": sorted({t.name for t in process.transitions})})
    if name not in [t.name for t in process.initial_transitions()]:
        allowed = [t.name for t in process.initial_transitions()]
        raise TransitionNotAllowed(details={"state": "initial", "allowed": allowed})
    # A dry run whose actions write nothing in one has nothing to roll back: no transaction
    # (on SQLite, whose transactions take the write lock, it would queue behind the writers).
    needs_rollback = dry_run and any(registry.dry_run_writes(a) for a in step.actions)
    try:
        with db.atomic(durable=durable and not dry_run) if needs_rollback or not dry_run else nullcontext():
            # Built, not saved: _apply inserts it once, in its final state. Rows that point to it
            # (bookings, reservations) may come first: foreign keys are checked at commit.
            tx = Transaction(
                **({"id": tx_id} if tx_id is not None else {}),
                process=process.name,
                process_version=process.version,
                state="initial",
                listing=listing,
                customer=customer,
                provider=provider,
                currency=listing.currency,
                # Only time-bound deals are refunded by notice given.
                cancellation_policy=(
                    cancellation.snapshot(listing.cancellation_policy) if process.name == "booking" else {}
                ),
                idempotency_key=None if dry_run else idempotency_key,
            )
            tx.listing = listing
            outcome = _apply(tx, name, actor, params, None, dry_run, notes)
            if dry_run:
                raise _DryRun()
            _after_commit()
            return outcome
    except _DryRun:
        return outcome


def fire_timed(timer: Timer) -> None:
    """Timer handler: take the timed transition if the transaction still waits for it."""
    tx = Transaction.objects.filter(pk=timer.payload["transaction"]).first()
    if tx is None or tx.process_version != timer.payload["process_version"]:
        return
    process = processes.get(tx.process, tx.process_version)
    step = process.transition(timer.payload["transition"])
    if step is None or tx.state not in step.from_states:
        return  # stale: the transaction moved on
    transition(tx, step.name, actor=None)

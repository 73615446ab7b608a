"""Named actions and guards that processes refer to.

Each app registers its own in `AppConfig.ready()`:

    from barnraise.commerce.registry import register_action
    register_action("request_capture", ledger.actions.request_capture)

A deployment adds its own by dotted path in settings, loaded at start-up:

    BARNRAISE_ACTIONS = {"notify_slack": "myproject.actions.notify_slack"}
    BARNRAISE_GUARDS = {"weekday_only": "myproject.guards.weekday_only"}

An action receives the Context and may change `ctx.tx` (the engine saves it) or write rows of
its own; it must touch only the database, never the network (see docs/processes.md). A guard
raises a barnraise.errors.DomainError to refuse the transition; it only reads.

A dry run rolls back whatever its actions wrote. An action registered with
`dry_run_writes=False` promises to write nothing when `ctx.dry_run` is set; a dry run that
opens a deal with only such actions needs no database transaction to roll back.

An action may hand a new row to `ctx.insert(row)` instead of inserting it: the engine inserts
it with the step's event and timers, in one round trip on PostgreSQL. Before an action runs,
the rows handed over so far are inserted, unless it was registered with `sees_new_rows=False`
(it neither reads nor changes rows an earlier action of the same step inserted).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.db.models import Model

    from barnraise.accounts.models import User
    from barnraise.commerce.models import Transaction
    from barnraise.commerce.processes.definitions import Process, Transition


@dataclass
class Context:
    tx: "Transaction"
    process: "Process"
    transition: "Transition"
    actor: "User | None"
    role: str
    params: dict[str, Any]
    now: datetime
    dry_run: bool = False
    notes: dict[str, Any] = field(default_factory=dict)
    new_rows: list["Model"] = field(default_factory=list)
    # What the step's actions did (or, in a dry run, would do) beyond the deal's own fields,
    # for the caller to show: the ledger's give-back steps put the refund here (`refund`).
    effects: dict[str, Any] = field(default_factory=dict)

    def insert(self, row: "Model") -> None:
        """Insert `row` with the step's event (see the module's docstring)."""
        self.new_rows.append(row)


Step = Callable[[Context], None]
_actions: dict[str, Step] = {}
_guards: dict[str, Step] = {}
_dry_run_readers: set[str] = set()
_blind_to_new_rows: set[str] = set()
_payment_recorders: set[str] = set()


def register_action(
    name: str,
    action: Step,
    *,
    dry_run_writes: bool = True,
    sees_new_rows: bool = True,
    records_payment: bool = False,
) -> None:
    """`records_payment`: the action records the card authorization the service made before
    the step (the ledger's `hold_payment`); only a step marked `takes_payment` may run it, and
    such a step must run one (system check barnraise.E007)."""
    _actions[name] = action
    flags = (
        (dry_run_writes, _dry_run_readers),
        (sees_new_rows, _blind_to_new_rows),
        (not records_payment, _payment_recorders),
    )
    for flag, names in flags:
        if flag:
            names.discard(name)
        else:
            names.add(name)


def register_guard(name: str, guard: Step) -> None:
    _guards[name] = guard


def _configured(kind: str) -> dict[str, Step]:
    paths: dict[str, str] = getattr(settings, f"BARNRAISE_{kind}", {})
    return {name: import_string(path) for name, path in paths.items()}


def load_configured() -> None:
    """Register the deployment's own actions and guards from settings."""
    _actions.update(_configured("ACTIONS"))
    _guards.update(_configured("GUARDS"))


def action(name: str) -> Step:
    return _actions[name]


def guard(name: str) -> Step:
    return _guards[name]


def dry_run_writes(name: str) -> bool:
    """Whether the action may write in a dry run (unless registered to say it does not)."""
    return name not in _dry_run_readers


def sees_new_rows(name: str) -> bool:
    """Whether the rows earlier actions handed to `ctx.insert` must be inserted before this one runs."""
    return name not in _blind_to_new_rows


def records_payment(name: str) -> bool:
    """Whether the action records the card authorization made before its step."""
    return name in _payment_recorders


def known_actions() -> set[str]:
    return set(_actions)


def known_guards() -> set[str]:
    return set(_guards)


# Payment hooks: how a service authorizes a payment before a transition that takes money
# (one whose actions include `hold_payment`). The ledger registers them in its ready(), so
# commerce needs no import of it. `authorize` runs outside any transaction and returns the
# notes the transition's actions receive; `abandon` undoes it when the transition then fails.
@dataclass(frozen=True)
class PaymentHooks:
    authorize: Callable[..., dict[str, Any]]
    abandon: Callable[[dict[str, Any]], None]
    # A checkout for the browser to confirm (the payment element): its id, client secret and
    # amount; the id is then the `payment_method` the paying step takes.
    prepare: Callable[..., dict[str, Any]] | None = None
    # A payment method the paying step will not use after all (the deal could not open, or
    # its price moved): a checkout the customer confirmed is voided. Never raises.
    release: Callable[..., None] | None = None
    # A deal that starts beyond the provider's authorization window: `defer` answers the notes
    # of a saved card to authorize nearer the date (a step's `ahead` runs with them), or None
    # when the payment method is not one of the payer's saved cards (the step authorizes now).
    defer: Callable[..., dict[str, Any] | None] | None = None
    # How long before the start a deferred payment is authorized (the window less a margin):
    # the `payment_due` timepoint.
    authorization_lead: Callable[[], timedelta] | None = None


_payment_hooks: list[PaymentHooks] = []


def register_payment_hooks(
    *,
    authorize: Callable[..., dict[str, Any]],
    abandon: Callable[[dict[str, Any]], None],
    prepare: Callable[..., dict[str, Any]] | None = None,
    release: Callable[..., None] | None = None,
    defer: Callable[..., dict[str, Any] | None] | None = None,
    authorization_lead: Callable[[], timedelta] | None = None,
) -> None:
    _payment_hooks[:] = [
        PaymentHooks(
            authorize=authorize,
            abandon=abandon,
            prepare=prepare,
            release=release,
            defer=defer,
            authorization_lead=authorization_lead,
        )
    ]


def payment_hooks() -> PaymentHooks:
    if not _payment_hooks:
        raise RuntimeError("no payment hooks are registered (the ledger app registers them)")
    return _payment_hooks[0]


# What a higher app adds to a deal's API detail for its viewer (the ledger: the provider's
# payouts of the deal, `payouts`): each answers {field: value}, and the deal's detail shows it.
# Registered in the app's ready(), so commerce needs no import of it.
DealDetail = Callable[[Any, Any], dict[str, Any]]
_deal_details: dict[str, DealDetail] = {}


def register_deal_detail(name: str, detail: DealDetail) -> None:
    _deal_details[name] = detail


def deal_details(tx: Any, viewer: Any) -> dict[str, Any]:
    """Every registered detail of the deal `tx` for `viewer`, merged."""
    found: dict[str, Any] = {}
    for detail in _deal_details.values():
        found.update(detail(tx, viewer))
    return found

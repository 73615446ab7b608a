"""The vocabulary processes are written in: states, transitions, actors and time triggers.

A process is plain data. The engine (barnraise.commerce.engine) interprets it; actions and
guards are named, and looked up in their registries when a transition runs. Everything the
rest of the code knows about a step is here too: whether it takes money, who is told, what
people read about it (`Say`), and what a deal in each state awaits (`Awaits`). No other
module keys anything by a step's name.

A version's behaviour (`Process.behaviour()`) is frozen once released: `versions.lock` holds
its fingerprint (`lock.fingerprint`) and `manage.py check` fails when it changes. What people read (`say`,
`awaits`, `description`) is not behaviour and may be reworded at any time.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from barnraise.commerce.processes import words
from barnraise.commerce.processes.words import Awaits as Awaits
from barnraise.commerce.processes.words import Say as Say

Actor = Literal["customer", "provider", "operator", "system"]
# `payment_due`: the booking's start less the payment provider's authorization lead (its
# window less a margin), when a deal paid with a saved card is authorized (booking v3).
Timepoint = Literal["initiated", "entered_state", "booking_start", "booking_end", "payment_due"]
INITIAL = "initial"


@dataclass(frozen=True)
class At:
    """A moment relative to a timepoint of the transaction."""

    timepoint: Timepoint
    offset: timedelta = timedelta(0)

    def describe(self) -> str:
        hours = int(self.offset.total_seconds() // 3600)
        sign = "+" if hours >= 0 else "-"
        span = (
            f" {sign} {abs(hours) // 24}d"
            if hours % 24 == 0 and hours
            else (f" {sign} {abs(hours)}h" if hours else "")
        )
        return f"{self.timepoint}{span}"


@dataclass(frozen=True)
class Transition:
    name: str
    from_states: tuple[str, ...]
    to: str
    actor: Actor
    actions: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    # A timed transition is taken by the system at the earliest of these moments.
    at: tuple[At, ...] = ()
    # Parameters the caller may pass, by name; anything else is refused.
    params: tuple[str, ...] = ()
    description: str = ""
    # The customer's card is authorized before the step runs (an action of it records the
    # hold): the caller sends a `payment_method`, which the service takes (never stored).
    takes_payment: bool = False
    # The actor must have confirmed their email address (not to close a conversation).
    needs_verified_email: bool = True
    say: Say | None = None
    # The step taken instead when the deal starts beyond the payment provider's authorization
    # window and the customer pays with a saved card: the card is kept, not authorized, and
    # authorized off-session nearer the date (booking v3's `request` and `book`).
    ahead: str = ""

    @property
    def caller_params(self) -> tuple[str, ...]:
        """What a caller may send: the step's params, and `payment_method` where it takes payment."""
        return (*self.params, "payment_method") if self.takes_payment else self.params

    @property
    def button(self) -> str:
        return str(self.say.button) if self.say else self.name.replace("_", " ").capitalize()

    @property
    def done(self) -> str:
        return str(self.say.done) if self.say else self.name.replace("_", " ")

    def behaviour(self) -> dict[str, Any]:
        """What the engine does with the step (not what people read about it)."""
        return {
            "name": self.name,
            "from_states": list(self.from_states),
            "to": self.to,
            "actor": self.actor,
            "guards": list(self.guards),
            "actions": list(self.actions),
            "at": [[a.timepoint, int(a.offset.total_seconds())] for a in self.at],
            "params": list(self.params),
            "takes_payment": self.takes_payment,
            "needs_verified_email": self.needs_verified_email,
            # only where set, so that the versions released before it keep their fingerprints
            **({"ahead": self.ahead} if self.ahead else {}),
        }


@dataclass(frozen=True)
class Process:
    name: str
    version: int
    description: str
    transitions: tuple[Transition, ...]
    final_states: tuple[str, ...]
    # Listing kinds this process serves.
    kinds: tuple[str, ...] = field(default=())
    # Whose move a deal waits for, per state (a state not listed waits for no party).
    awaits: tuple[Awaits, ...] = ()

    @property
    def states(self) -> list[str]:
        seen: list[str] = [INITIAL]
        for t in self.transitions:
            for state in (*t.from_states, t.to):
                if state not in seen:
                    seen.append(state)
        return seen

    def transition(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.from_states]

    def initial_transitions(self) -> list[Transition]:
        return self.from_state(INITIAL)

    def awaiting(self, state: str) -> Awaits | None:
        return next((a for a in self.awaits if a.state == state), None)

    def behaviour(self) -> dict[str, Any]:
        """The version's behaviour, as `versions.lock` fingerprints it: states, transitions,
        actors, guards, actions, timers and params; not its wording (`say`, `awaits`,
        `description`), which may change after release."""
        return {
            "name": self.name,
            "version": self.version,
            "kinds": list(self.kinds),
            "final_states": list(self.final_states),
            "transitions": [t.behaviour() for t in self.transitions],
        }

    def mermaid(self) -> str:
        """The process as a Mermaid state diagram."""
        lines = ["stateDiagram-v2"]
        for t in self.transitions:
            for source in t.from_states:
                label = f"{t.name} ({t.actor}"
                if t.at:
                    label += ", at " + " or ".join(a.describe() for a in t.at)
                label += ")"
                origin = "[*]" if source == INITIAL else source
                lines.append(f"    {origin} --> {t.to}: {label}")
        for state in self.final_states:
            lines.append(f"    {state} --> [*]")
        return "\n".join(lines)


def timed(
    name: str,
    from_states: tuple[str, ...],
    to: str,
    *at: At,
    actions: tuple[str, ...] = (),
    description: str = "",
    say: Say | None = None,
) -> Transition:
    return Transition(
        name, from_states, to, "system", actions=actions, at=at, description=description, say=say
    )


# Steps several processes share, so each process reads as what makes it different.
INQUIRY_STEPS = (
    Transition(
        "inquire",
        (INITIAL,),
        "inquiry",
        "customer",
        params=("message",),
        description="Ask first; the deal can follow in the same transaction.",
        say=words.INQUIRE,
    ),
    Transition(
        "close_inquiry",
        ("inquiry",),
        "closed",
        "customer",
        needs_verified_email=False,
        say=words.CLOSE_INQUIRY,
    ),
)
# Version 1 (no money). The dispute's record (the `Dispute` row the operators' queue and the
# parties' dispute pages read) is written here too: bookkeeping that moves no money, added
# after version 1 first ran, so that no disputed deal is without one.
DISPUTE_STEPS = (
    Transition(
        "dispute",
        ("completed",),
        "disputed",
        "customer",
        guards=("within_dispute_window",),
        actions=("record_dispute",),
        params=("reason",),
        say=words.DISPUTE,
    ),
    Transition(
        "resolve",
        ("disputed",),
        "resolved",
        "operator",
        actions=("close_dispute",),
        params=("outcome",),
        say=words.RESOLVE,
    ),
)


# Money steps, from version 2 on. The customer's card is authorized before the deal opens and
# `hold_payment` records the authorization; the step that commits the provider asks for the
# capture (`request_capture`) and the deal waits in `payment_pending` until the worker reports
# the provider's answer through one of these system transitions. The action names are the
# ledger's (barnraise.ledger.escrow); commerce only names them.
def payment_result_steps(
    *, release: tuple[str, ...], on_capture: tuple[str, ...] = ()
) -> tuple[Transition, ...]:
    return (
        Transition(
            "payment_captured",
            ("payment_pending",),
            "accepted",
            "system",
            actions=("record_capture", *on_capture, "reveal_contact_details"),
            description="The provider captured the payment into escrow.",
            say=words.PAYMENT_CAPTURED,
        ),
        Transition(
            "payment_failed",
            ("payment_pending",),
            "payment_failed",
            "system",
            actions=(*release, "void_payment"),
            description="The capture failed; the hold is released.",
            say=words.PAYMENT_FAILED,
        ),
    )


PAID_DISPUTE_STEPS = (
    Transition(
        "dispute",
        ("completed",),
        "disputed",
        "customer",
        guards=("within_dispute_window", "reason_given"),
        actions=("freeze_payout", "record_dispute"),
        params=("reason",),
        say=words.DISPUTE,
    ),
    Transition(
        "dispute_by_provider",
        ("completed",),
        "disputed",
        "provider",
        guards=("within_dispute_window", "reason_given"),
        actions=("freeze_payout", "record_dispute"),
        params=("reason",),
        say=words.DISPUTE_BY_PROVIDER,
    ),
    Transition(
        "chargeback",
        ("accepted", "completed", "disputed"),
        "disputed",
        "system",
        actions=("record_chargeback", "freeze_payout", "record_dispute"),
        description="The card issuer reversed the payment; an operator decides who bears it.",
        say=words.CHARGEBACK,
    ),
    Transition(
        "resolve",
        ("disputed",),
        "resolved",
        "operator",
        actions=("resolve_dispute", "close_dispute"),
        params=("outcome", "refund"),
        description="The operator refunds any amount (none, part or all); the rest is paid out.",
        say=words.RESOLVE,
    ),
)

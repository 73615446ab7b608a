"""Escrow: the money steps the processes name, and the provider answers that move deals on.

A deal's payment (`Payment`, one per transaction) goes:

    authorized ──request_capture──▶ capture_pending ──▶ captured ──release──▶ released
        │                                 │                 └──refund (all)──▶ refunded
        └──void──▶ voided                 └──▶ capture_failed (then voided)

- `actions`: the guard and the actions the processes name, run inside the engine's
  transaction, so money moves exactly when the transition commits;
- `settlement`: emptying a deal's escrow (release, refunds, claw-backs) and, when the dispute
  window closes (a timer), moving the provider's pending share to *available*, unless a
  dispute froze it;
- `answers`: a provider's answer (a capture, a dispute webhook) as a `system` transition
  (`payment_captured`, `payment_failed`, `chargeback`).

They reach commerce only through `barnraise.ledger.deals`. The entries they post are
described, with a worked example, in docs/money.md.
"""


def register() -> None:
    """Called by LedgerConfig.ready()."""
    from barnraise.ledger.escrow import actions, answers, settlement

    actions.register()
    settlement.register()
    answers.register()

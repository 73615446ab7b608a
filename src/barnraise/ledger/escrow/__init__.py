"""Escrow: the money steps the processes name, and the provider answers that move deals on.

A deal's payment (`Payment`, one per transaction) goes:

    authorized ──request_capture──▶ capture_pending ──▶ captured ──release──▶ released
        │                                 │                 └──refund (all)──▶ refunded
        └──void──▶ voided                 └──▶ capture_failed (then voided)

    authorized, capture_pending ──the hold lapsed (lapse)──▶ scheduled (held again, or paid again)

- `actions`: the guard and the actions the processes name, run inside the engine's
  transaction, so money moves exactly when the transition commits;
- `settlement`: emptying a deal's escrow (release, refunds, claw-backs) and, when the dispute
  window closes (a timer), moving the provider's pending share to *available*, unless a
  dispute froze it;
- `answers`: a provider's answer (a capture, a dispute webhook) as a `system` transition
  (`payment_captured`, `payment_failed`, `chargeback`);
- `scheduled`: a saved card authorized nearer the date (booking v3);
- `lapse`: a hold that lapsed at the bank before its capture, asked for again (booking v4).

They reach commerce only through `barnraise.ledger.deals`. The entries they post are
described, with a worked example, in docs/money.md.
"""


def register() -> None:
    """Called by LedgerConfig.ready()."""
    from barnraise.ledger.escrow import actions, answers, lapse, settlement

    actions.register()
    settlement.register()
    answers.register(on_failed_capture=lapse.on_failed_capture)

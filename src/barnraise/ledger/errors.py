"""The ledger's domain errors; each code is part of the public contract."""

from django.utils.translation import gettext_lazy as _

from barnraise.errors import Conflict, DomainError


class UnbalancedEntry(DomainError):
    """An entry with fewer than two postings, or whose postings do not sum to zero per currency."""

    code = "unbalanced_entry"
    status = 422
    default_message = _("The entry's postings must sum to zero in each currency.")


class CurrencyMismatch(DomainError):
    """A line whose amount is not in its account's currency: the ledger never converts."""

    code = "currency_mismatch"
    status = 422
    default_message = _("An amount is not in its account's currency.")


class IdempotencyKeyReused(DomainError):
    """The key already names an entry with different content."""

    code = "idempotency_key_reused"
    status = 422
    default_message = _("This idempotency key was used for a different entry.")


class InsufficientFunds(Conflict):
    """The entry would take a member's available balance below zero."""

    code = "insufficient_funds"
    default_message = _("The available balance is too low for this.")


class PayoutAccountRequired(Conflict):
    """Taking a paid deal needs a payout account that finished onboarding."""

    code = "payout_account_required"
    default_message = _("The provider needs a payout account before taking paid deals.")


class AuthenticationRequired(DomainError):
    """The card asks for authentication (3-D Secure). `details.authentication_url` is where the
    customer confirms it; then send the request again with `payment_method` set to
    `details.payment_method`."""

    code = "authentication_required"
    status = 402
    default_message = _("Your bank asks you to confirm this payment. Confirm it, then send it again.")


class PayoutsOnHold(Conflict):
    code = "payouts_on_hold"
    default_message = _("Payouts for this account are on hold; contact support.")


class PayoutAccountNotReady(Conflict):
    """The payout account's onboarding is not finished: the message says what the provider
    still needs; `details.requirements` lists it and `details.onboarding_url` is where to go."""

    code = "payout_account_not_ready"
    default_message = _("Your payout account is not ready yet: finish setting it up.")


class PayoutScheduleNotOffered(DomainError):
    """The marketplace does not offer that payout schedule; `details.offered` lists those it does."""

    code = "payout_schedule_not_offered"
    status = 422
    default_message = _("This marketplace does not offer that payout schedule.")

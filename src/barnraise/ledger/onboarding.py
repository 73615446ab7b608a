"""A payout account's onboarding in plain words: what the provider still needs, and why payouts
are or are not possible yet.

The provider names what it needs with Stripe's requirement names (`individual.dob.day`,
`external_account`, `tos_acceptance.date`…); the sandbox uses the same names. Several names
often make one sentence (a date of birth is three fields), so the sentences are deduplicated.
A name not in the table still gets a readable sentence made from its last words.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from barnraise.ledger.models import PayoutAccount

PROVIDER_NAMES = {"stripe": "Stripe", "sandbox": "the sandbox"}

# A requirement name's prefix -> what is needed ("your date of birth"), longest prefix first.
_NEEDS: tuple[tuple[str, str], ...] = (
    ("individual.verification.additional_document", "a second identity document"),
    ("individual.verification.document", "a photo of your identity document"),
    ("individual.dob", "your date of birth"),
    ("individual.first_name", "your legal name"),
    ("individual.last_name", "your legal name"),
    ("individual.address", "your home address"),
    ("individual.email", "your email address"),
    ("individual.phone", "your phone number"),
    ("individual.ssn_last_4", "the last 4 digits of your social security number"),
    ("individual.id_number", "your national identity number"),
    ("individual.political_exposure", "whether you hold a public office"),
    ("external_account", "your bank account"),
    ("tos_acceptance", "you to accept its terms of service"),
    ("business_type", "to know whether you sell as a person or a company"),
    ("business_profile.url", "your website or a description of what you sell"),
    ("business_profile.product_description", "a description of what you sell"),
    ("business_profile.mcc", "your kind of business"),
    ("business_profile", "details about your business"),
    ("company.name", "your company's name"),
    ("company.tax_id", "your company's tax number"),
    ("company.address", "your company's address"),
    ("company.phone", "your company's phone number"),
    ("company.verification.document", "a document proving your company's registration"),
    ("company", "details about your company"),
    ("representative", "details about your company's representative"),
    ("owners", "details about your company's owners"),
    ("directors", "details about your company's directors"),
    ("executives", "details about your company's executives"),
    ("settings.payments.statement_descriptor", "the name to show on customers' card statements"),
)


@dataclass(frozen=True, slots=True)
class Requirement:
    code: str  # the provider's first requirement name behind this sentence
    message: str
    overdue: bool


@dataclass(frozen=True, slots=True)
class AccountState:
    """The state of a payout account, for people: `code` is for the API, the rest for pages."""

    code: str  # ready, action_needed, in_review, disabled
    headline: str
    requirements: tuple[Requirement, ...]
    disabled: str  # why the provider switched it off, or ""

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.code,
            "state_message": self.headline,
            "requirements": [
                {"code": r.code, "message": r.message, "overdue": r.overdue} for r in self.requirements
            ],
            "disabled_reason_message": self.disabled,
        }


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, _("the payment provider"))


def _need(name: str) -> str:
    for prefix, need in _NEEDS:
        if name == prefix or name.startswith(prefix + "."):
            return need
    words = [part.replace("_", " ") for part in name.split(".") if part and not part.isdigit()]
    detail = words[-1] if words else name
    return _("one more detail: %(detail)s") % {"detail": detail}


def requirement_sentences(
    *, provider: str, currently_due: list[str], past_due: list[str]
) -> list[Requirement]:
    """One sentence per thing needed ("Stripe needs your date of birth."), overdue ones first."""
    who = provider_name(provider)
    sentences: dict[str, Requirement] = {}
    for overdue, names in ((True, past_due), (False, currently_due)):
        for name in names:
            need = _need(str(name))
            if need not in sentences:
                message = capfirst(_("%(provider)s needs %(need)s.") % {"provider": who, "need": need})
                sentences[need] = Requirement(str(name), message, overdue)
    return list(sentences.values())


def disabled_sentence(*, provider: str, reason: str) -> str:
    """Why the provider switched the account off, in words; "" when it is not."""
    return capfirst(_disabled(provider, reason))


def _disabled(provider: str, reason: str) -> str:
    who = provider_name(provider)
    if not reason:
        return ""
    if reason in ("requirements.past_due", "action_required.requested_capabilities"):
        return _("%(provider)s pauses payouts until the details below are given.") % {"provider": who}
    if reason == "requirements.pending_verification":
        return _("%(provider)s is checking your details; this usually takes minutes, sometimes a day.") % {
            "provider": who
        }
    if reason == "under_review" or reason == "listed":
        return _("%(provider)s is reviewing your account; it will write to you.") % {"provider": who}
    if reason.startswith("rejected"):
        return _("%(provider)s closed this account. Contact support.") % {"provider": who}
    if reason == "platform_paused":
        return _("The marketplace paused this account. Contact support.")
    return _("%(provider)s has switched this account off for now. Contact support.") % {"provider": who}


def account_state(account: PayoutAccount) -> AccountState:
    """Where the account stands, and what is missing, as sentences."""
    who = provider_name(account.provider)
    needs = requirement_sentences(
        provider=account.provider, currently_due=list(account.currently_due), past_due=list(account.past_due)
    )
    disabled = disabled_sentence(provider=account.provider, reason=account.disabled_reason)
    if account.ready:
        code, headline = "ready", _("Ready: payouts go to your account at %(provider)s.") % {"provider": who}
    elif needs:
        code = "action_needed"
        headline = _("Not finished: %(provider)s needs a few more details before you can be paid.") % {
            "provider": who
        }
    elif account.disabled_reason == "requirements.pending_verification" or account.details_submitted:
        code = "in_review"
        headline = _("Almost there: %(provider)s is checking your details.") % {"provider": who}
    elif account.disabled_reason:
        code, headline = "disabled", _("Payouts to this account are switched off.")
    else:
        code = "action_needed"
        headline = _("Not finished: set up where your money goes at %(provider)s.") % {"provider": who}
    return AccountState(code, headline, tuple(needs), disabled)

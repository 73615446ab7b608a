"""The emails a deal's steps send: their wording, its placeholders, and the operator's overrides.

Each (process, step, party told) pair has a default subject and text, built from the process
data's words (`Say.headline`, `Say.done`, `Awaits`, the buttons a party has next) and a few
gettext'd sentences, translated into the reader's language. An operator may replace either
with their own, per language of `settings.LANGUAGES` (`DealEmailText`, saved through
`email_text_save`, which writes an event). Both are written in a small placeholder
language: `{listing}`, `{customer}`, `{dates}`… (`PLACEHOLDERS`); anything else in braces is
refused when saved. `compose` fills them for a real deal, `preview` for a sample one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import get_language, get_supported_language_variant, gettext_lazy, to_locale
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.commerce import processes
from barnraise.commerce.models import DealEmailText
from barnraise.commerce.processes import words
from barnraise.commerce.processes.definitions import Process, Transition
from barnraise.errors import InvalidInput, NotFound
from barnraise.eventlog.models import EventType
from barnraise.eventlog.services import Subject, record
from barnraise.money import Money

if TYPE_CHECKING:
    from barnraise.accounts.models import User
    from barnraise.commerce.models import Transaction

PLACEHOLDERS: dict[str, object] = {
    "customer": gettext_lazy("the customer's name"),
    "provider": gettext_lazy("the provider's name"),
    "actor": gettext_lazy("who took the step (a name, or “Our team”)"),
    "listing": gettext_lazy("the listing's title"),
    "what": gettext_lazy("what happened, as a sentence"),
    "dates": gettext_lazy("the deal's dates in the listing's time zone, labelled (or its quantity)"),
    "total": gettext_lazy("what the customer pays"),
    "payout": gettext_lazy("what the provider is paid"),
    "money": gettext_lazy("the money, as a sentence for the reader"),
    "next": gettext_lazy("what happens next, as a sentence for the reader"),
    "deal_link": gettext_lazy("the link to the deal"),
}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
DATE = "D j M Y"
TIME = "D j M Y, H:i"


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    link: str
    language: str

    def plain(self) -> str:
        """The plain-text part, as `notification_send` sends it: the text, then the link."""
        return f"{self.text}\n\n{self.link}"

    def html(self) -> str:
        """The HTML part, from the same template the notification's email uses, in the email's
        language."""
        context = {"headline": self.subject, "text": self.text, "deal_link": self.link}
        with translation.override(self.language):
            return render_to_string("notifications/transaction_update/email.html", context).strip()


@dataclass(frozen=True)
class Deal:
    """What an email reads of a deal: a real one (`Deal.of`) or the preview's sample."""

    customer: str
    provider: str
    listing: str
    kind: str
    unit: str
    start: datetime | None
    end: datetime | None
    zone: str
    day_based: bool
    quantity: int
    total: Money
    payout: Money
    path: str

    @classmethod
    def of(cls, tx: Transaction) -> Deal:
        return cls(
            customer=tx.customer.name,
            provider=tx.provider.name,
            listing=tx.listing.title,
            kind=tx.listing.kind,
            unit=tx.listing.unit,
            start=tx.start,
            end=tx.end,
            zone=tx.listing.timezone,
            day_based=tx.listing.unit in ("day", "night"),
            quantity=tx.quantity,
            total=Money(tx.total_amount_minor, tx.currency),
            payout=Money(tx.provider_payout_minor, tx.currency),
            path=f"/transactions/{tx.id}/",
        )


def sample_deal(process: Process) -> Deal:
    """The preview's deal: two nights in a garden room a fortnight from now, or (a process
    that sells things) two of an item, or (a process for requests) a job asked for."""
    start = (timezone.now() + timedelta(days=14)).replace(hour=14, minute=0, second=0, microsecond=0)
    stay = Deal(
        customer="Bruno Booker",
        provider="Alice Host",
        listing=str(_("Garden room")),
        kind="rental",
        unit="night",
        start=start,
        end=start + timedelta(days=2),
        zone="Europe/Paris",
        day_based=True,
        quantity=1,
        total=Money(19800, "EUR"),
        payout=Money(18000, "EUR"),
        path="/transactions/00000000-0000-0000-0000-000000000000/",
    )
    if process.kinds == ("request",):
        return replace(
            stay,
            provider="Alice Maker",
            start=None,
            end=None,
            day_based=False,
            listing=str(_("A logo for my bakery")),
            kind="request",
            unit="job",
            total=Money(33000, "EUR"),
            payout=Money(30000, "EUR"),
        )
    if not {"rental", "service"} & set(process.kinds):
        return replace(
            stay,
            provider="Alice Maker",
            start=None,
            end=None,
            day_based=False,
            listing=str(_("Oak stool")),
            kind="sale",
            unit="item",
            quantity=2,
            total=Money(9200, "EUR"),
            payout=Money(8000, "EUR"),
        )
    return stay


# Placeholders ---------------------------------------------------------------------------------


def placeholder_errors(template: str) -> list[str]:
    """What is wrong with the placeholders of an operator's text: unknown names, and braces
    that open or close no placeholder. Empty when it is fine."""
    errors = []
    for name in PLACEHOLDER.findall(template):
        if name not in PLACEHOLDERS:
            errors.append(_("“{%(name)s}” is not a placeholder.") % {"name": name})
    stray = PLACEHOLDER.sub("", template)
    if "{" in stray or "}" in stray:
        errors.append(_("A “{” or “}” opens or closes no placeholder."))
    return errors


def fill(template: str, values: dict[str, str]) -> str:
    """The template with its placeholders filled; lines left empty by an empty one collapse."""
    text = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# Default wording ------------------------------------------------------------------------------


def default_subject(step: Transition) -> str:
    headline = step.say.headline if step.say else None
    if headline is None:
        return _("Update on “{listing}”")
    return str(headline).replace("%(listing)s", "{listing}")


def default_text(audience: str) -> str:
    if audience == "customer":
        return _("Hello {customer},\n\n{what}\n\n{dates}\n{money}\n\n{next}")
    return _("Hello {provider},\n\n{what}\n\n{dates}\n{money}\n\n{next}")


def _what(step: Transition, actor_name: str, listing: str) -> str:
    if step.actor == "system":
        return _("%(what)s (“%(listing)s”).") % {"what": step.done.capitalize(), "listing": listing}
    if step.actor == "operator":  # the timeline's "cancelled (operator)": the reader knows who
        done = re.sub(r"\s*\([^)]*\)$", "", step.done)
        return _("%(who)s %(what)s (“%(listing)s”).") % {"who": actor_name, "what": done, "listing": listing}
    return _("%(who)s %(what)s (“%(listing)s”).") % {"who": actor_name, "what": step.done, "listing": listing}


def _dates(deal: Deal) -> str:
    if deal.start is None or deal.end is None:
        return _("Quantity: %(quantity)s") % {"quantity": deal.quantity}
    zone = ZoneInfo(deal.zone)
    start, end = deal.start.astimezone(zone), deal.end.astimezone(zone)
    shape = DATE if deal.day_based else TIME
    return _("Dates: %(start)s to %(end)s (local time, %(zone)s)") % {
        "start": formats.date_format(start, shape),
        "end": formats.date_format(end, shape if deal.day_based or start.date() != end.date() else "H:i"),
        "zone": deal.zone,
    }


def _money(process: Process, to_state: str, audience: str, deal: Deal, locale: str) -> str:
    """The money, for the reader: what they pay or are paid, and when in the deal's own terms
    (`words.paid_when`: after check-out, once the buyer has received it…); once the deal can go
    no further (cancelled, declined, settled), where to read what was refunded or paid."""
    if deal.total.amount_minor == 0 and deal.payout.amount_minor == 0:
        return ""
    over = to_state in process.final_states and not process.from_state(to_state)
    if audience == "customer":
        if over:
            return _("What you paid and any refund are shown on the deal's page.")
        return _("Your total: %(total)s.") % {"total": deal.total.format(locale)}
    if over:
        return _("What you are paid, if anything, is shown on the deal's page.")
    return _("You'll be paid %(payout)s %(when)s.") % {
        "payout": deal.payout.format(locale),
        "when": words.paid_when(deal.kind, deal.unit),
    }


def _next(process: Process, to_state: str, audience: str) -> str:
    """What happens next, in the process data's words: whose move it is, or what the reader may
    do from here, or that nothing more is needed."""
    awaits = process.awaiting(to_state)
    if awaits is not None:
        if awaits.party == audience:
            return _("It's your move: the deal waits for %(what)s.") % {"what": awaits.what}
        return _("Next: the deal waits for %(what)s.") % {"what": awaits.what}
    if to_state in process.final_states:
        return _("This deal is finished; nothing more is needed from you.")
    buttons = [str(t.button) for t in process.from_state(to_state) if t.actor == audience]
    if buttons:
        return _("From the deal's page you can: %(steps)s.") % {"steps": ", ".join(buttons)}
    return _("Nothing is needed from you for now; we'll email you when something changes.")


def values_for(
    *, process: Process, step: Transition, audience: str, deal: Deal, actor_name: str
) -> dict[str, str]:
    locale = to_locale(get_language() or settings.LANGUAGE_CODE)
    return {
        "customer": deal.customer,
        "provider": deal.provider,
        "actor": actor_name,
        "listing": deal.listing,
        "what": _what(step, actor_name, deal.listing),
        "dates": _dates(deal),
        "total": deal.total.format(locale),
        "payout": deal.payout.format(locale),
        "money": _money(process, step.to, audience, deal, locale),
        "next": _next(process, step.to, audience),
        "deal_link": f"{settings.SITE_URL}{deal.path}",
    }


# Languages ------------------------------------------------------------------------------------


def languages() -> list[tuple[str, str]]:
    """The site's languages (`settings.LANGUAGES`): code and name."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def site_language() -> str:
    """The site's default language, as a code of `settings.LANGUAGES`."""
    return get_supported_language_variant(settings.LANGUAGE_CODE)


def language_of(member: User) -> str:
    """The language a member's emails are written in. Members choose no language of their own,
    so it is the site's default: an email is never in the language of whoever's browser
    happened to take the step that sent it."""
    return site_language()


def language_known(language: str) -> bool:
    return language in dict(settings.LANGUAGES)


# Rendering ------------------------------------------------------------------------------------


def pairs() -> list[tuple[Process, Transition, str]]:
    """Every (process version, step, party told) that sends an email, from the process data."""
    found: list[tuple[Process, Transition, str]] = []
    for process in processes.PROCESSES.values():
        for step in process.transitions:
            found += [(process, step, party) for party in (step.say.notify if step.say else ())]
    return found


Overrides = dict[tuple[str, str, str, str], DealEmailText]


def overrides_all() -> Overrides:
    """Every operator's override, by (process, step, audience, language): for pages that list
    them all."""
    return {(o.process, o.transition, o.audience, o.language): o for o in DealEmailText.objects.all()}


def languages_edited(process: str, transition: str, audience: str) -> set[str]:
    """The languages one step's email to one party has an operator's override in."""
    found = DealEmailText.objects.filter(process=process, transition=transition, audience=audience)
    return set(found.values_list("language", flat=True))


def wording(
    process: str,
    step: Transition,
    audience: str,
    language: str,
    overrides: Overrides | None = None,
) -> tuple[str, str, DealEmailText | None]:
    """The subject and text in force in `language`: the operator's override in that language,
    else the default, translated into it. `overrides` (from `overrides_all`) answers without a
    query."""
    if overrides is not None:
        override = overrides.get((process, step.name, audience, language))
    else:
        override = DealEmailText.objects.filter(
            process=process, transition=step.name, audience=audience, language=language
        ).first()
    with translation.override(language):
        subject = override.subject if override and override.subject else default_subject(step)
        text = override.text if override and override.text else default_text(audience)
    return subject, text, override


def render(
    *,
    process: Process,
    step: Transition,
    audience: str,
    deal: Deal,
    actor_name: str,
    language: str,
    draft: tuple[str, str] | None = None,
) -> Email:
    """The email, in `language`: its wording (the override in that language, else the default
    translated) and every sentence, date and amount it is filled with. The caller renders
    anything else it sends with it (the HTML part) in that language too."""
    subject, text, _override = wording(process.name, step, audience, language)
    with translation.override(language):
        if draft is not None:
            subject, text = draft[0] or default_subject(step), draft[1] or default_text(audience)
        values = values_for(process=process, step=step, audience=audience, deal=deal, actor_name=actor_name)
        return Email(
            subject=" ".join(fill(subject, values).split()),
            text=fill(text, values),
            link=values["deal_link"],
            language=language,
        )


def actor_name_of(step: Transition, actor: User | None) -> str:
    if step.actor == "operator" or actor is None:
        return _("Our team")
    return actor.name


def preview(
    process_name: str,
    version: int,
    transition: str,
    audience: str,
    *,
    language: str | None = None,
    draft: tuple[str, str] | None = None,
) -> Email:
    """The email a step sends `audience` in `language` (the site's default unless given),
    filled for the sample deal (the console's preview): with the wording in force, or with a
    `draft` (subject, text) not yet saved."""
    process, step = step_of(process_name, version, transition, audience)
    language = language or site_language()
    with translation.override(language):
        deal = sample_deal(process)
        actor = {"customer": deal.customer, "provider": deal.provider}.get(step.actor, _("Our team"))
    return render(
        process=process,
        step=step,
        audience=audience,
        deal=deal,
        actor_name=actor,
        language=language,
        draft=draft,
    )


def step_of(process_name: str, version: int, transition: str, audience: str) -> tuple[Process, Transition]:
    found = processes.PROCESSES.get((process_name, version))
    step = found.transition(transition) if found else None
    if found is None or step is None or step.say is None or audience not in step.say.notify:
        raise NotFound()
    return found, step


# The operator's door --------------------------------------------------------------------------


def email_text_save(
    *, actor: User, process: str, transition: str, audience: str, language: str, subject: str, text: str
) -> DealEmailText:
    """An admin operator sets (or, with both empty, clears) the wording of one step's email to
    one party in one language of the site. Placeholders are checked first: an unknown or broken
    one is refused by name."""
    operators.require_operator(actor, operators.ADMIN)
    latest = processes.latest(process)
    if latest is None:
        raise NotFound()
    step_of(process, latest.version, transition, audience)
    if not language_known(language):
        raise InvalidInput(details={"language": [_("The site has no such language.")]})
    subject, text = subject.strip(), text.strip()
    errors = {
        field: found
        for field, found in (("subject", placeholder_errors(subject)), ("text", placeholder_errors(text)))
        if found
    }
    if len(subject) > 200:
        errors["subject"] = [*errors.get("subject", []), _("Keep the subject under 200 characters.")]
    if len(text) > 5000:
        errors["text"] = [*errors.get("text", []), _("Keep the text under 5,000 characters.")]
    if errors:
        raise InvalidInput(details=errors)
    with transaction.atomic(durable=True):
        row, _created = DealEmailText.objects.select_for_update().get_or_create(
            process=process, transition=transition, audience=audience, language=language
        )
        row.subject, row.text, row.updated_by, row.updated_at = subject, text, actor, timezone.now()
        if subject or text:
            row.save(update_fields=["subject", "text", "updated_by", "updated_at"])
        else:  # both empty: back to the default wording
            row.delete()
        record(
            Subject("deal_email", f"{process}.{transition}.{audience}"),
            EventType.DEAL_EMAIL_TEXT_SAVED,
            actor=actor,
            payload={"language": language, "subject_set": bool(subject), "text_set": bool(text)},
        )
    return row

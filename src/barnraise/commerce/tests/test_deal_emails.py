"""Every step's email to every party it tells, found from the process registry: filled in, in
words, in HTML and plain text, in every language of the site; the operator's wording in one
language reaches only the readers of that language; and a deal's step sends one through the
real path (issue #20)."""

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from barnraise.accounts.services import operator_create
from barnraise.catalog.models import KIND_UNITS
from barnraise.commerce import emails, processes
from barnraise.commerce.models import DealEmailText
from barnraise.commerce.processes import words
from barnraise.commerce.tests.conftest import after_commit, book, slot, step
from barnraise.commerce.tests.process_codes import codes_shown
from barnraise.money import Money

pytestmark = pytest.mark.django_db
# Two languages, as a site that runs in several has them; English is the default.
TWO_LANGUAGES = override_settings(LANGUAGES=[("en", "English"), ("fr", "Français")], LANGUAGE_CODE="en")


def problems_in(part: str) -> list[str]:
    """What must not be in an email: a placeholder left unfilled (or a brace), a Python format
    left over, or a state or step code of the process data."""
    found = [f"the code {code!r}" for code in codes_shown(part)]
    if "{" in part or "}" in part:
        found.append("a brace: a placeholder left unfilled")
    if "%(" in part:
        found.append("a %(…)s left unfilled")
    return found


def problems_in_every_email(language: str = "en") -> dict[str, list[str]]:
    problems = {}
    for process, transition, audience in emails.pairs():
        email = emails.preview(process.name, process.version, transition.name, audience, language=language)
        for kind, part in (("subject", email.subject), ("text", email.plain()), ("html", email.html())):
            found = problems_in(part)
            if not part.strip():
                found.append("empty")
            if found:
                problems[f"{process.name} v{process.version} {transition.name} → {audience} ({kind})"] = found
    return problems


def test_the_pairs_are_every_step_and_party_the_process_data_tells() -> None:
    # given the process registry
    expected = {
        (p.name, p.version, t.name, party)
        for p in processes.PROCESSES.values()
        for t in p.transitions
        for party in (t.say.notify if t.say else ())
    }
    # when the emails' pairs are listed
    found = {(p.name, p.version, t.name, party) for p, t, party in emails.pairs()}
    # then they are the same, across every process and version
    assert found == expected
    assert len(found) > 50
    assert {name for name, *_rest in found} == set(processes.names())


def test_every_email_is_filled_in_and_in_words() -> None:
    # given every (process, version, step, party told) of the registry, with the default wording
    # when each email is rendered for the sample deal, as subject, plain text and HTML
    problems = problems_in_every_email()
    # then none has a placeholder left, a format left, or a code of the process data
    assert problems == {}


@TWO_LANGUAGES
def test_every_email_is_filled_in_and_in_words_in_every_language_of_the_site() -> None:
    # given a site in English and French, and every email of the registry
    for language, _name in emails.languages():
        # when each is rendered in that language
        problems = problems_in_every_email(language)
        # then none has a placeholder left, a format left, or a code of the process data
        assert problems == {}, language
    # and each is really written in its language: the sample stay's amounts and dates are
    # formatted the French way in French, in both parts
    english = emails.preview("booking", 2, "request", "provider", language="en")
    french = emails.preview("booking", 2, "request", "provider", language="fr")
    assert Money(18000, "EUR").format("fr") in french.text and "€180.00" in english.text
    assert Money(18000, "EUR").format("fr") not in english.text
    assert "€180.00" not in french.html() and Money(18000, "EUR").format("fr") in french.html()


@TWO_LANGUAGES
def test_the_operators_wording_in_one_language_is_read_only_in_that_language() -> None:
    # given an admin who rewords the booking request's email to the provider in French only
    ada = operator_create(email="ada@example.com", name="Ada Admin", password="", groups=["admin"])
    emails.email_text_save(
        actor=ada,
        process="booking",
        transition="request",
        audience="provider",
        language="fr",
        subject="Nouvelle demande : {listing}",
        text="Bonjour {provider},\n\n{money}",
    )
    # when the email is rendered in each language
    french = emails.preview("booking", 2, "request", "provider", language="fr")
    english = emails.preview("booking", 2, "request", "provider", language="en")
    # then the French reader has the operator's words, the English one the default
    assert french.subject == "Nouvelle demande : Garden room"
    assert french.text.startswith("Bonjour Alice Host,")
    assert english.subject == "New request for “Garden room”"
    assert english.text.startswith("Hello Alice Host,")
    # and a language the site does not have is refused, with nothing saved
    with pytest.raises(emails.InvalidInput):
        emails.email_text_save(
            actor=ada,
            process="booking",
            transition="request",
            audience="provider",
            language="de",
            subject="Neue Anfrage",
            text="",
        )
    assert list(DealEmailText.objects.values_list("language", flat=True)) == ["fr"]


@override_settings(LANGUAGES=[("en", "English"), ("fr", "Français")], LANGUAGE_CODE="fr")
def test_the_provider_reads_their_email_in_their_language_not_the_customers_browsers(
    customer: Any, provider: Any, listing: Any, no_fees: None
) -> None:
    # given a French site (members choose no language of their own, so they read the site's)
    # whose operator wrote the request's email to the provider in French and in English
    ada = operator_create(email="ada@example.com", name="Ada Admin", password="", groups=["admin"])
    for language, subject in (("fr", "Nouvelle demande : {listing}"), ("en", "New ask: {listing}")):
        emails.email_text_save(
            actor=ada,
            process="booking",
            transition="request",
            audience="provider",
            language=language,
            subject=subject,
            text="{what}\n\n{money}",
        )
    room = listing(title="Garden room")
    mail.outbox.clear()
    # when a customer whose browser asks for English books through the API
    start, end = slot()
    body = {
        "listing_id": str(room.public_id),
        "start": start,
        "end": end,
        "payment_method": "4242424242424242",
    }
    created = after_commit(
        lambda: customer.call("POST", "transactions", json=body, headers={"Accept-Language": "en"})
    )
    assert created.status_code == 201, created.json()
    # then the provider's email is the French wording, with the money the French way
    [message] = [m for m in mail.outbox if m.to == [provider.user.email]]
    assert message.subject == "Nouvelle demande : Garden room"
    assert Money(3000, "EUR").format("fr") in message.body
    assert problems_in(message.body) == []


def test_when_the_provider_is_paid_is_said_in_the_deals_own_terms() -> None:
    # given every kind of listing and each pricing unit it may use
    for kind, units in KIND_UNITS.items():
        for unit in units:
            # then the payout's moment is the kind's own, never the generic one
            assert words.paid_when(kind, unit) != str(words.DEAL_DONE), (kind, unit)
    assert words.paid_when("rental", "night") == "after check-out"
    assert words.paid_when("service", "job") == "after the job is done"
    assert words.paid_when("sale", "item") == "once the buyer has received it"
    assert words.paid_when("unknown", "item") == "once the deal is complete"
    # and the sample emails say it: a stay, goods, a request
    stay = emails.preview("booking", 2, "request", "provider")
    goods = emails.preview("purchase", 2, "request", "provider")
    asked = emails.preview("request", 2, "accept_offer", "provider")
    assert "You'll be paid €180.00 after check-out." in stay.text
    assert "You'll be paid €80.00 once the buyer has received it." in goods.text
    assert "You'll be paid €300.00 once the customer approves the work." in asked.text


def test_the_check_fails_on_an_email_with_a_code_or_a_placeholder_left() -> None:
    # given an operator's wording with a state code and a placeholder nobody fills (stored
    # directly, past the door that would refuse the placeholder)
    DealEmailText.objects.create(
        process="booking",
        transition="accept",
        audience="customer",
        language="en",
        text="Now payment_pending. {nope}",
    )
    # when every email is checked
    problems = problems_in_every_email()
    # then that pair is named, for both faults, in both parts, and every version of the step
    versions = [p.version for p in processes.PROCESSES.values() if p.name == "booking"]
    assert set(problems) == {
        f"booking v{version} accept → customer ({part})" for version in versions for part in ("text", "html")
    }
    assert problems["booking v2 accept → customer (text)"] == [
        "the code 'payment_pending'",
        "a brace: a placeholder left unfilled",
    ]
    assert problems_in("Status: Payment pending") == ["the code 'Payment pending'"]
    assert problems_in("Hello %(name)s") == ["a %(…)s left unfilled"]


def test_a_booking_request_emails_the_provider_what_happened_what_next_and_the_money(
    customer: Any, provider: Any, listing: Any, no_fees: None, settings: Any
) -> None:
    # given a room by the hour at €15.00, in Brussels, and a site at its public address
    settings.SITE_URL = "https://market.example"
    room = listing(title="Garden room", timezone="Europe/Brussels")
    mail.outbox.clear()
    # when the customer asks for two hours through the API (tasks run on commit)
    tx = book(customer, room, seats=1).json()
    # then the provider gets one email, in plain text and HTML
    [message] = [m for m in mail.outbox if m.to == [provider.user.email]]
    assert message.subject == "New request for “Garden room”"
    text = message.body
    assert "Hello Pat Provider," in text
    assert "Cam Customer sent a request (“Garden room”)." in text
    assert "(local time, Europe/Brussels)" in text
    assert "You'll be paid €30.00 once the booked hours are over." in text
    assert "It's your move: the deal waits for the provider's answer." in text
    link = f"https://market.example/transactions/{tx['id']}/"
    assert text.endswith(link)
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="{link}"' in html and "You&#x27;ll be paid €30.00" in html
    for part in (message.subject, text, html):
        assert problems_in(part) == []


def test_the_customer_hears_of_the_answer_with_their_total(
    customer: Any, provider: Any, listing: Any, no_fees: None
) -> None:
    # given a request the provider accepts
    room = listing(title="Garden room")
    tx = book(customer, room, seats=1).json()
    mail.outbox.clear()
    # when the provider accepts through the API
    step(provider, tx["id"], "accept")
    # then the customer's email says who accepted, the total, and that nothing waits on them
    # while the payment is taken (the payment and its receipt have emails of their own)
    [message] = [m for m in mail.outbox if m.to == [customer.user.email] and m.subject.startswith("Accepted")]
    assert message.subject == "Accepted: “Garden room”"
    assert "Pat Provider accepted (“Garden room”)." in message.body
    assert "Your total: €30.00." in message.body
    assert "Nothing is needed from you for now; we'll email you when something changes." in message.body
    assert problems_in(message.body) == []


def test_placeholders_are_checked_by_name() -> None:
    assert emails.placeholder_errors("Hi {customer}, {listing} on {dates}") == []
    assert emails.placeholder_errors("Hi {custmer}") == ["“{custmer}” is not a placeholder."]
    assert emails.placeholder_errors("Hi {customer") == ["A “{” or “}” opens or closes no placeholder."]
    assert emails.placeholder_errors("Hi } there") == ["A “{” or “}” opens or closes no placeholder."]

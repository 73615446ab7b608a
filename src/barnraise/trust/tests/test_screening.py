"""The screening table: evasive messages must be caught, ordinary ones must pass untouched."""

import pytest

from barnraise.trust.screening import EMAIL, HANDLE, PHONE, URL, screen

# (message, kinds found, words that must be gone from the masked text)
EVASIVE: list[tuple[str, set[str], list[str]]] = [
    ("call me on 0123 456 789", {PHONE}, ["0123", "789"]),
    ("my number: +44 20 7946 0958", {PHONE}, ["7946", "0958"]),
    ("ring 020-7946-0958 after six", {PHONE}, ["7946"]),
    ("US folks: (415) 555-2671", {PHONE}, ["(415)", "555-2671"]),
    ("(or call 0123 456 789)", {PHONE}, ["0123"]),
    ("text me at 415.555.2671 tonight", {PHONE}, ["2671"]),
    ("06 12 34 56 78 c'est mon portable", {PHONE}, ["56 78"]),
    ("+33612345678", {PHONE}, ["+336"]),
    ("0044 20 7946 0958", {PHONE}, ["7946"]),
    ("call five five five", {PHONE}, ["five"]),
    ("zero six one two three four five six seven eight", {PHONE}, ["eight", "zero"]),
    ("my digits are O6l2345678", {PHONE}, ["O6l2345678"]),
    ("O4l2 3S6 789 is my mobile", {PHONE}, ["O4l2", "789"]),
    ("oh six, one two, three four, five six, seven eight", {PHONE}, ["seven"]),
    ("double five, triple seven, two one", {PHONE}, ["double", "triple"]),
    ("Seven Seven Seven Nine", {PHONE}, ["Seven"]),
    ("zero seven seven double oh one two three four five six", {PHONE}, ["double", "oh", "six"]),
    ("0470/12.34.56 (Belgium)", {PHONE}, ["0470", "34"]),
    ("zero six one two, 34 56 78 90", {PHONE}, ["zero", "34 56"]),
    ("mail me: jo@example.com", {EMAIL}, ["jo@", "example"]),
    ("jo at example dot com", {EMAIL}, ["example"]),
    ("jo (at) example (dot) com", {EMAIL}, ["example"]),
    ("jo [at] example [dot] co [dot] uk", {EMAIL}, ["example"]),
    ("write to jo.smith+deals @ mail-host . org please", {EMAIL}, ["mail-host"]),
    ("jo_smith at gmail", {EMAIL}, ["gmail"]),
    ("jo dot smith at outlook dot fr", {EMAIL}, ["jo dot", "outlook"]),
    ("gmail: jo.smith", {EMAIL}, ["jo.smith"]),
    ("JO AT EXAMPLE DOT COM", {EMAIL}, ["EXAMPLE"]),
    ("see https://example.com/my-shop for more", {URL}, ["example.com"]),
    ("www.cheap-bikes.net has it cheaper", {URL}, ["cheap-bikes"]),
    ("see www . cheap-bikes . net", {URL}, ["cheap-bikes"]),
    ("check cheapbikes.shop", {URL}, ["cheapbikes"]),
    ("cheapbikes dot com has a sale", {URL}, ["cheapbikes"]),
    ("chat on wa.me/33612345678", {URL}, ["wa.me", "3361"]),
    ("join t.me/jo_deals", {URL}, ["t.me"]),
    ("follow @jo_smith for pics", {HANDLE}, ["jo_smith"]),
    ("insta: jo.smith.art", {HANDLE}, ["jo.smith.art"]),
    ("my snapchat is jo_smith99", {HANDLE}, ["jo_smith99"]),
    ("add me on telegram jo_deals", {HANDLE}, ["jo_deals"]),
    ("my signal name is jo_deals", {HANDLE}, ["jo_deals"]),
    ("IG=jo.makes", {HANDLE}, ["jo.makes"]),
    ("see my shop on http://shop.example.me/jo", {URL}, ["example"]),
    ("whatsapp: +33 6 12 34 56 78", {PHONE}, ["12 34"]),
    ("jo@example.com or www.example.com", {EMAIL, URL}, ["jo@", "www"]),
    (
        "call me on five five five, 0123 456 789 or mail jo at example dot com",
        {PHONE, EMAIL},
        ["five", "456"],
    ),
]

INNOCENT: list[str] = [
    "2 chairs for 40 euros on 12/5",
    "The bike is 150 EUR, pick up on 12.05.2026 at 14:30",
    "I can do 10-12 people on 2026-05-12",
    "Price is 1,250 or 1.250,00 with delivery",
    "It's about 1 250 000 grains of rice, joke",
    "Room 12, floor 3, open 9 to 5",
    "We need 3 tables, 24 chairs and 2 tents for 150 guests",
    "Can you do it between 10:00 and 16:30 on Friday the 13th?",
    "Size 42, colour blue, 2 pairs",
    "One or two hours should be enough",
    "Look at the photos, the table is 180 x 90 x 75 cm",
    "Meet at the station at 5pm, I'll be at the gate",
    "Is it available from 1 to 15 June?",
    "I saw it on facebook last week and loved it",
    "e.g. a drill, approx. 600 W, etc.",
    "Order of 3 x 250 g for 7.50",
    "Year 2019, 45000 km, one owner",
    "The flat is 3.5 rooms, 72 m2, rent 1450 per month",
    "Thanks! See you at 7.",
    "Ok, 5 5 euros each is fine",
    "we are at home all day",
    "Postcode area 75011, near the park",
    "see you @5pm @home",
    "Tracking BE123456789, model A1234567",
    "one, two, three, go! Counting down: five four three",
    "ISBN 978-3-16-148410-0, invoice no. 2026-0042",
    "The signal is weak here, threads: cotton and linen",
    "Size 2 x 100cm, ok.no problem. Thanks.Me too",
    "Pick it up at 5.In the evening is fine too",
]


@pytest.mark.parametrize(("message", "kinds", "gone"), EVASIVE)
def test_evasive_messages_are_masked(message, kinds, gone):
    # when
    result = screen(message)
    # then
    assert set(result.kinds) == kinds, result
    for word in gone:
        assert word not in result.text, result.text
    assert "[hidden]" in result.text


@pytest.mark.parametrize("message", INNOCENT)
def test_innocent_messages_pass_untouched(message):
    # when
    result = screen(message)
    # then
    assert result.clean, result.findings
    assert result.text == message


def test_the_table_is_big_enough():
    assert len(EVASIVE) + len(INNOCENT) >= 40


def test_masking_keeps_the_words_around_a_finding():
    # when
    result = screen("Hi! Call 0123 456 789 tomorrow.")
    bracketed = screen("Call me (0123 456 789).")
    # then
    assert bracketed.text == "Call me ([hidden])."
    assert result.text == "Hi! Call [hidden] tomorrow."
    assert [(f.kind, f.start, f.end) for f in result.findings] == [(PHONE, 9, 21)]


@pytest.mark.parametrize("text", ["a dot " * 660, "a at a dot " * 360, "1 " * 2000, "www . " * 660])
def test_long_adversarial_texts_are_screened_quickly(text):
    # given: the longest message there is, made of what the patterns look for
    import time

    started = time.perf_counter()
    # when
    screen(text[:4000])
    # then: linear work, not quadratic (about 0.05 s here; 2 s allows a slow, busy machine)
    assert time.perf_counter() - started < 2

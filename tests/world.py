"""A small marketplace seeded for real, through the apps' services, for the suite-wide proofs.

Two pairs of parties each own one object of every kind the API and the pages name by id:
listings (published and closed, with photos), deals on every process (an inquiry, a paid
booking with messages, a purchase with both reviews, a completed booking under dispute with
evidence, an offer on a request), a document, a portfolio piece, a skills-test attempt, a
saved search, a token, a payout account, a card awaiting the bank's check, notifications.
The first pair (`owner`, `counterparty`) owns the objects the authorization matrix aims at;
the second (`wrong_provider`, `wrong_customer`) is party to objects of the same kinds, but
not those. A `stranger` owns nothing; three operators hold one group each.

`World.targets` names the first pair's objects by the names their ids take in URLs (the
OpenAPI document's path parameters and the URLconf's converters), one `Target` per object;
`World.secrets` holds what none but their parties (and operators entitled to it) may read.
"""

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from PIL import Image

from barnraise.accounts import skills
from barnraise.accounts.models import User
from barnraise.accounts.portfolio import portfolio_item_create
from barnraise.accounts.services import operator_create, token_create
from barnraise.accounts.verification import document_upload
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.photos import photo_add
from barnraise.catalog.services import category_create, listing_close, listing_create
from barnraise.commerce import disputes
from barnraise.commerce.models import TaxRate, Transaction
from barnraise.commerce.services import (
    offer_create,
    transaction_checkout,
    transaction_create,
    transaction_transition,
)
from barnraise.conftest import pdf_with_script
from barnraise.errors import DomainError
from barnraise.ledger import saved_cards
from barnraise.ledger.journal import balances_snapshot
from barnraise.ledger.models import Document, PayoutAccount
from barnraise.ledger.payouts import (
    payout_account_open,
    payout_hold_place,
    payout_request,
    sandbox_onboarding_finish,
)
from barnraise.ledger.providers.sandbox import SandboxProvider
from barnraise.messaging.services import message_send
from barnraise.notifications.models import Notification
from barnraise.reputation.models import CategoryAspects
from barnraise.reputation.services import review_create
from barnraise.search.services import saved_search_create
from barnraise.timers import services as timers
from barnraise.trust.models import TrustPolicy
from barnraise.trust.services import report_file, strike_issue
from barnraise.trust.suspensions import appeal_file

TEST_CARD = "4242424242424242"  # the sandbox's card that always succeeds
NEEDS_AUTHENTICATION = "4000002500003155"  # the sandbox's card whose bank asks the payer to confirm
ZONE = ZoneInfo("Europe/Brussels")
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Target:
    """One object of the first pair: its ids by URL parameter name, and whose it is."""

    label: str
    ids: dict[str, str]
    parties: tuple[str, ...]  # caller names that may act on it as its parties


@dataclass
class World:
    members: dict[str, User]
    tokens: dict[str, str]
    targets: list[Target] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    # Secrets a public answer may still show: a published review names its deal (an id that
    # gets anyone but its parties a 404 everywhere).
    shown_in_public: set[str] = field(default_factory=set)


def image(name: str = "photo.png", colour: tuple[int, int, int] = (40, 120, 200)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def pdf(name: str) -> SimpleUploadedFile:
    """A real one-page PDF: its page is rendered to an image after the upload commits."""
    return SimpleUploadedFile(name, pdf_with_script(pages=1), "application/pdf")


def _run(call: Any) -> Any:
    """Run a service, then what it queued for after the commit (provider calls, emails)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call()


def _member(email: str, name: str) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, name=name)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    account = payout_account_open(actor=user)
    sandbox_onboarding_finish(actor=user, external_id=account.external_id)
    return user


def _slot(days: int) -> dict[str, str]:
    day = (datetime.now(ZONE) + timedelta(days=days)).date()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=ZONE)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}


def _listing(author: User, category: Category, kind: str, tag: str, **fields: Any) -> Listing:
    defaults: dict[str, dict[str, Any]] = {
        "rental": {"unit": "hour", "seats": 4, "price_amount_minor": 1500},
        "sale": {"unit": "item", "stock": 5, "price_amount_minor": 20000},
        "request": {"unit": "job", "price_amount_minor": 8000},
    }
    listing = listing_create(
        actor=author,
        kind=kind,
        category=category,
        title=fields.pop("title", f"A {kind} of {author.name}"),
        description="Described for the proofs of the suite.",
        currency="EUR",
        lat=50.85,
        lng=4.35,
        timezone="Europe/Brussels",
        address=f"{tag} Secret Street 1",
        **{**defaults[kind], **fields},
    )
    if kind != "request":
        photo_add(actor=author, public_id=listing.public_id, upload=image(), alt_text="A photo")
    return listing


def _step(actor: User, tx: Transaction, name: str, **params: Any) -> None:
    _run(lambda: transaction_transition(actor=actor, transaction_id=tx.pk, name=name, params=params))


def _completed_booking(customer: User, room: Listing, days: int) -> Transaction:
    slot = _slot(days)
    tx = _run(
        lambda: transaction_create(
            actor=customer, listing_id=room.public_id, params=slot, payment_method=TEST_CARD
        )
    ).tx
    _step(room.author, tx, "accept")
    with time_machine.travel(datetime.fromisoformat(slot["end"]) + timedelta(days=1, minutes=1), tick=False):
        _run(timers.sweep)
    tx.refresh_from_db()
    assert tx.state == "completed", tx.state
    return tx


def _deals(provider: User, customer: User, cats: dict[str, Category], tag: str) -> dict[str, Transaction]:
    """A deal on every process between the two, in the states the matrix needs."""
    room = _listing(provider, cats["rooms"], "rental", tag)
    item = _listing(provider, cats["goods"], "sale", tag)
    wanted = _listing(customer, cats["help"], "request", tag)
    deals: dict[str, Transaction] = {}
    deals["inquiry"] = transaction_create(
        actor=customer,
        listing_id=item.public_id,
        process="inquiry",
        params={"message": f"{tag}-INQUIRY-MESSAGE is it still there?"},
    ).tx
    booking = _run(
        lambda: transaction_create(
            actor=customer, listing_id=room.public_id, params=_slot(3), payment_method=TEST_CARD
        )
    ).tx
    _step(provider, booking, "accept")
    for author, text in ((customer, f"{tag}-CUSTOMER-MESSAGE"), (provider, f"{tag}-PROVIDER-MESSAGE")):
        _run(
            lambda author=author, text=text: message_send(actor=author, transaction_id=booking.pk, body=text)
        )
    deals["booking"] = booking
    purchase = _run(
        lambda: transaction_create(
            actor=customer, listing_id=item.public_id, params={"quantity": 1}, payment_method=TEST_CARD
        )
    ).tx
    _step(provider, purchase, "accept")
    _step(provider, purchase, "mark_shipped", tracking=f"{tag}-TRACKING")
    _step(customer, purchase, "confirm_receipt")
    deals["purchase"] = purchase
    deals["disputed"] = _completed_booking(customer, room, days=5)
    deals["offer"] = _run(
        lambda: offer_create(
            actor=provider,
            listing_id=wanted.public_id,
            params={"price": {"amount_minor": 7000, "currency": "EUR"}, "message": f"{tag}-OFFER-MESSAGE"},
        )
    ).tx
    return deals


# The text each pair's objects carry, after the pair's tag: none but their parties may read it.
MARKERS = (
    "INQUIRY-MESSAGE",
    "CUSTOMER-MESSAGE",
    "PROVIDER-MESSAGE",
    "TRACKING",
    "OFFER-MESSAGE",
    "HIDDEN-REVIEW",
    "DISPUTE",
    "EVIDENCE",
    "DOCUMENT",
    "SAVED-SEARCH",
    "TOKEN",
    "CLOSED-LISTING",
)


def _reviews_and_dispute(provider: User, customer: User, deals: dict[str, Transaction], tag: str) -> Any:
    """Both reviews of the purchase (published), the customer's alone of the disputed deal
    (hidden), then the dispute with a photo as evidence."""
    purchase, disputed = deals["purchase"], deals["disputed"]
    published = _run(
        lambda: review_create(
            actor=customer, transaction_id=purchase.pk, rating=5, text=f"{tag}-PUBLISHED-REVIEW"
        )
    )
    _run(lambda: review_create(actor=provider, transaction_id=purchase.pk, rating=4, text="Paid on time."))
    hidden = _run(
        lambda: review_create(
            actor=customer, transaction_id=disputed.pk, rating=2, text=f"{tag}-HIDDEN-REVIEW", private_score=3
        )
    )
    _run(lambda: disputes.dispute_open(actor=customer, transaction_id=disputed.pk, reason=f"{tag}-DISPUTE"))
    evidence = _run(
        lambda: disputes.evidence_add(
            actor=customer, transaction_id=disputed.pk, text=f"{tag}-EVIDENCE", upload=pdf("invoice.pdf")
        )
    )
    return published, hidden, evidence


def _belongings(provider: User, cats: dict[str, Category], test_id: Any, tag: str) -> dict[str, Any]:
    """What the provider keeps for themselves: a document, a portfolio piece, a skills attempt,
    a saved search, a token, a notification, a payout account, a closed listing."""
    notification = Notification.objects.filter(recipient=provider).order_by("id").first()
    assert notification is not None, "the deals notify their provider"
    closed = _listing(provider, cats["rooms"], "rental", tag, title=f"{tag}-CLOSED-LISTING")
    listing_close(actor=provider, public_id=closed.public_id)
    return {
        "document": _run(
            lambda: document_upload(
                actor=provider, kind="identity", upload=pdf("passport.pdf"), title=f"{tag}-DOCUMENT"
            )
        ),
        "piece": portfolio_item_create(actor=provider, title="A shelf I built", description="Oak."),
        "attempt": skills.skill_attempt_start(actor=provider, test_id=test_id),
        "search": saved_search_create(actor=provider, name=f"{tag}-SAVED-SEARCH", params={"q": "bike"}),
        "token": token_create(user=provider, name=f"{tag}-TOKEN")[0],
        "notification": notification,
        "payout_account": PayoutAccount.objects.get(owner=provider),
        "closed": closed,
        "saved_card": _saved_card(provider),
    }


def _saved_card(member: User) -> str:
    """A card the member saved (through a setup the sandbox confirms, as its page would)."""
    setup = saved_cards.setup_begin(member=member)
    return (
        SandboxProvider()
        .setup_confirm(setup_id=setup.id, client_secret=setup.client_secret, card_number="4242424242424242")
        .id
    )


def _seed_pair(
    world: World, provider: User, customer: User, cats: dict[str, Category], test_id: Any, tag: str
) -> list[Target]:
    """Every kind of object between `provider` and `customer`; the targets name them."""
    deals = _deals(provider, customer, cats, tag)
    published, hidden, evidence = _reviews_and_dispute(provider, customer, deals, tag)
    own = _belongings(provider, cats, test_id, tag)
    authorization = _awaiting_authentication(customer, cats, provider, tag)
    checkout = transaction_checkout(
        actor=customer,
        listing_id=_listing(provider, cats["rooms"], "rental", f"{tag}-checkout").public_id,
        params=_slot(9),
        idempotency_key=f"{tag}-checkout",
    )["id"]
    setup = saved_cards.setup_begin(member=customer).id  # a card being saved, not yet confirmed
    document, piece, attempt, search = own["document"], own["piece"], own["attempt"], own["search"]
    token, notification, payout_account, closed = (
        own["token"],
        own["notification"],
        own["payout_account"],
        own["closed"],
    )
    private = (*deals.values(), hidden, evidence, document, attempt, search, token, notification)
    world.secrets |= {provider.email, customer.email, f"{tag} Secret Street"}
    world.secrets |= {f"{tag}-{marker}" for marker in MARKERS}
    world.secrets |= {str(row.pk) for row in private} | {payout_account.external_id, authorization}
    world.shown_in_public.add(str(deals["purchase"].pk))
    disputed, room = deals["disputed"], deals["booking"].listing
    parties = ("owner", "counterparty")
    photo = room.photos.first()
    closed_photo = closed.photos.first()
    assert photo is not None and closed_photo is not None
    return [
        Target("published listing", {"listing_id": str(room.public_id)}, ("owner",)),
        Target("closed listing", {"listing_id": str(closed.public_id)}, ("owner",)),
        Target("request listing", {"listing_id": str(deals["offer"].listing.public_id)}, ("counterparty",)),
        Target("photo", {"listing_id": str(room.public_id), "photo_id": str(photo.pk)}, ("owner",)),
        Target(
            "photo of a closed listing",
            {"listing_id": str(closed.public_id), "photo_id": str(closed_photo.pk)},
            ("owner",),
        ),
        *(Target(f"{name} deal", {"transaction_id": str(tx.pk)}, parties) for name, tx in deals.items()),
        Target(
            "dispute evidence", {"transaction_id": str(disputed.pk), "evidence_id": str(evidence.pk)}, parties
        ),
        Target("published review", {"review_id": str(published.pk)}, ("owner",)),
        Target("hidden review", {"review_id": str(hidden.pk)}, ("owner",)),
        Target("member", {"user_id": str(provider.pk)}, ("owner",)),
        Target("document", {"document_id": str(document.pk)}, ("owner",)),
        Target("page of a document", {"document_id": str(document.pk), "number": "1"}, ("owner",)),
        Target(
            "page of the evidence",
            {"transaction_id": str(disputed.pk), "evidence_id": str(evidence.pk), "number": "1"},
            parties,
        ),
        *_paperwork_targets(deals["purchase"]),
        Target("portfolio piece", {"item_id": str(piece.pk)}, ("owner",)),
        Target("skills attempt", {"attempt_id": str(attempt.pk)}, ("owner",)),
        Target("saved search", {"saved_search_id": str(search.pk)}, ("owner",)),
        Target("token", {"token_id": str(token.pk)}, ("owner",)),
        Target("notification", {"notification_id": str(notification.pk)}, ("owner",)),
        Target("payout account", {"account_id": payout_account.external_id}, ("owner",)),
        Target("saved card", {"method_id": own["saved_card"]}, ("owner",)),
        Target("card awaiting the bank", {"authorization_id": authorization}, ("counterparty",)),
        # The sandbox's client side answers its client secret or token only, never a member's session.
        Target("sandbox checkout", {"checkout_id": checkout}, ()),
        Target("sandbox card setup", {"setup_id": setup}, ()),
    ]


def _paperwork_targets(purchase: Transaction) -> list[Target]:
    """The completed purchase's receipt (the customer's) and fee invoice (the provider's)."""
    papers = {
        document.kind: document
        for document in Document.objects.filter(reference=f"transaction:{purchase.pk}")
    }
    return [
        Target("receipt", {"paper_id": str(papers["receipt"].pk)}, ("counterparty",)),
        Target("fee invoice", {"paper_id": str(papers["fee_invoice"].pk)}, ("owner",)),
    ]


def _awaiting_authentication(customer: User, cats: dict[str, Category], provider: User, tag: str) -> str:
    """The id of a card authorization that waits for the payer's confirmation (3-D Secure)."""
    room = _listing(provider, cats["rooms"], "rental", f"{tag}-3DS")
    try:
        transaction_create(
            actor=customer, listing_id=room.public_id, params=_slot(9), payment_method=NEEDS_AUTHENTICATION
        )
    except DomainError as asked:
        return str(asked.details["payment_method"])
    raise AssertionError("the sandbox's authentication card opened a deal without asking")


def _seed_payout(provider: User, customer: User, cats: dict[str, Category]) -> None:
    """A purchase whose money became available once its dispute window closed, paid out.
    Seeded first: the sweep in the future must not move the other deals' timers."""
    item = _listing(provider, cats["goods"], "sale", "PAID")
    tx = _run(
        lambda: transaction_create(
            actor=customer, listing_id=item.public_id, params={"quantity": 1}, payment_method=TEST_CARD
        )
    ).tx
    for actor, name in ((provider, "accept"), (provider, "mark_shipped"), (customer, "confirm_receipt")):
        _step(actor, tx, name)
    with time_machine.travel(datetime.now(ZONE) + timedelta(days=30), tick=False):
        _run(timers.sweep)
    _run(lambda: payout_request(actor=provider, currency="EUR"))


def _seed_safety(people: dict[str, User], world: World, cats: dict[str, Category]) -> None:
    """What operators handle: a report, a screened message, strikes that suspend a member
    (who is no caller of the matrix) and their appeal; review aspects; a balance snapshot."""
    listing = Listing.objects.filter(author=people["owner"], status="published").order_by("id").first()
    assert listing is not None
    report_file(
        actor=people["stranger"],
        subject="listing",
        subject_id=str(listing.public_id),
        reason="other",
        details="OWNED-REPORT-DETAILS",
    )
    inquiry = Transaction.objects.filter(customer=people["counterparty"], process="inquiry").get()
    _run(
        lambda: message_send(
            actor=people["counterparty"], transaction_id=inquiry.pk, body="Call me on +32 470 12 34 56 please"
        )
    )
    offender = _member("offender@example.com", "Otto Offender")
    for _n in range(TrustPolicy.objects.get().strikes_to_suspend):
        _run(lambda: strike_issue(member=offender, reason="report", actor=people["support"], note="Spam."))
    appeal_file(actor=offender, text="I will stop.")
    CategoryAspects.objects.create(category=cats["rooms"], aspects=[{"key": "clean", "label": "Cleanliness"}])
    balances_snapshot()
    world.secrets |= {"OWNED-REPORT-DETAILS", "+32 470 12 34 56"}


def build_world() -> World:
    """Seed the marketplace; returns who is who (with a bearer token each) and the targets."""
    people = {
        "owner": _member("owner@example.com", "Olga Owner"),
        "counterparty": _member("counterparty@example.com", "Carl Counterparty"),
        "wrong_provider": _member("wrong.provider@example.com", "Wendy Wrong"),
        "wrong_customer": _member("wrong.customer@example.com", "Walt Wrong"),
        "stranger": _member("stranger@example.com", "Stan Stranger"),
    }
    for group in ("support", "finance", "admin"):
        people[group] = operator_create(
            email=f"{group}@example.com", name=f"{group.title()} Operator", password=PASSWORD, groups=[group]
        )
    cats = {
        "rooms": category_create(slug="rooms", name="Rooms", kinds=["rental"]),
        "goods": category_create(
            slug="goods", name="Goods", kinds=["sale"], processes=["purchase", "inquiry"]
        ),
        "help": category_create(slug="help", name="Help", kinds=["request", "service"]),
    }
    test = skills.skill_test_create(
        actor=people["admin"],
        category=cats["help"],
        title="Helping basics",
        questions=[(f"Question {n}?", ["Right", "Wrong"], 0) for n in range(4)],
        questions_per_attempt=2,
    )
    _seed_payout(people["wrong_provider"], people["wrong_customer"], cats)
    world = World(members=people, tokens={})
    world.targets = _seed_pair(world, people["owner"], people["counterparty"], cats, test.pk, "OWNED")
    hold = payout_hold_place(actor=people["finance"], owner=people["owner"], reason="OWNED-HOLD-REASON")
    world.targets.append(Target("payout hold", {"hold_id": str(hold.pk)}, ()))
    world.targets.append(Target("skills test", {"test_id": str(test.pk)}, ()))
    world.secrets |= {"OWNED-HOLD-REASON"}
    other_secrets = World(members=people, tokens={})
    _seed_pair(other_secrets, people["wrong_provider"], people["wrong_customer"], cats, test.pk, "OTHER")
    _seed_safety(people, world, cats)
    # A tax rate for the admin's pages (of another country: the deals above stay as priced).
    TaxRate.objects.create(label="VAT", country="FR", percent=Decimal("20"))
    world.tokens = {name: token_create(user=user, name="proof")[1] for name, user in people.items()}
    return world

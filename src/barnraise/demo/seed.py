"""Build the demo marketplace through the same services members use. Idempotent."""

import random
from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from barnraise.accounts.models import User
from barnraise.accounts.services import operator_create
from barnraise.catalog.defaults import listing_defaults
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.photos import photo_add
from barnraise.catalog.services import availability_set, category_create, listing_create
from barnraise.commerce import taxes
from barnraise.commerce.models import CommercePolicy, TaxRate
from barnraise.demo import conversations, credentials, data, deals, emails, pictures, reviews, safety
from barnraise.web.wizard_forms import step_number

DEMO_PASSWORD = "barnraise-demo"  # noqa: S105 - the demo logins are printed on purpose
DEMO_DOMAIN = "demo.barnraise.example"
OPERATOR_EMAIL = f"operator@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str


# Services work weekdays 9 to 5 and Saturday mornings, in the listing's local time.
WORKING_HOURS = [
    *({"weekday": day, "start": time(9), "end": time(17), "seats": 1} for day in range(5)),
    {"weekday": 5, "start": time(9), "end": time(13), "seats": 1},
]

DEMO_LOGINS = (
    DemoLogin("customer", f"alice.martin@{DEMO_DOMAIN}"),
    DemoLogin("provider", f"bob.nguyen@{DEMO_DOMAIN}"),
)


def _member_email(index: int) -> str:
    first = data.FIRST_NAMES[index % len(data.FIRST_NAMES)]
    last = data.LAST_NAMES[index % len(data.LAST_NAMES)]
    suffix = "" if index < len(data.FIRST_NAMES) else str(index)
    return f"{first.lower()}.{last.lower()}{suffix}@{DEMO_DOMAIN}"


def seed_categories() -> dict[str, Category]:
    by_slug = {c.slug: c for c in Category.objects.all()}
    for position, (slug, name, parent, kinds, schema) in enumerate(data.CATEGORIES):
        if slug not in by_slug:
            by_slug[slug] = category_create(
                slug=slug,
                name=name,
                parent=by_slug[parent] if parent else None,
                kinds=kinds,
                attribute_schema=schema,
                position=position,
                listing_defaults=data.CATEGORY_DEFAULTS.get(slug),
            )
    return by_slug


def seed_taxes(categories: dict[str, Category]) -> int:
    """The demo town's taxes (docs/taxes.md): Vermont's 6% sales tax on prices and fees, its 9%
    rooms tax on rooms, the marketplace collecting both as facilitator. Demo rates, not advice."""
    made = 0
    rates = [
        ("Sales tax", None, Decimal("6")),
        ("Rooms tax", categories.get("rooms"), Decimal("9")),
    ]
    for label, category, percent in rates:
        if not TaxRate.objects.filter(country="US", region="VT", category=category, active=True).exists():
            rate = TaxRate(label=label, country="US", region="VT", category=category, percent=percent)
            taxes.tax_rate_save(actor=None, rate=rate)
            made += 1
    policy = CommercePolicy.objects.first() or CommercePolicy()
    if not policy.marketplace_facilitator:
        policy.marketplace_facilitator = True
        policy.save()
    return made


def seed_members(count: int, rng: random.Random) -> list[User]:
    """Members with verified emails. Passwords share one hash: hashing is slow by design."""
    password_hash = make_password(DEMO_PASSWORD)
    existing = {u.email: u for u in User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")}
    members = []
    for index in range(count):
        email = _member_email(index)
        user = existing.get(email)
        if user is None:
            first = data.FIRST_NAMES[index % len(data.FIRST_NAMES)]
            last = data.LAST_NAMES[index % len(data.LAST_NAMES)]
            with transaction.atomic():
                user = User.objects.create(
                    email=email,
                    name=f"{first} {last[0]}.",
                    password=password_hash,
                    bio=rng.choice(data.BIOS),
                    location=data.CITY_NAME,
                    # Some chose the town's zone in their settings; the rest follow their browser.
                    time_zone=data.CITY_TIMEZONE if index % 3 == 0 else "",
                )
                EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        members.append(user)
    return members


def _add_listing(author: User, slug: str, categories: dict[str, Category], rng: random.Random) -> Listing:
    kind, unit, (low, high), titles, attribute_choices = data.LISTING_IDEAS[slug]
    listing = listing_create(
        actor=author,
        kind=kind,
        category=categories[slug],
        unit=unit,
        title=rng.choice(titles),
        description=rng.choice(data.DESCRIPTIONS),
        attributes={name: rng.choice(values) for name, values in attribute_choices.items()},
        price_amount_minor=rng.randrange(low, high, 50),
        currency=data.CURRENCY,
        stock=rng.randint(1, 20) if kind == "sale" else None,
        seats=rng.choice([1, 1, 1, 2, 4]) if kind == "rental" else 1,
        deadline=timezone.now() + timedelta(days=rng.randint(3, 30)) if kind == "request" else None,
        instant_booking=kind == "rental" and author.email != DEMO_LOGINS[1].email and rng.random() < 0.3,
        lat=data.CITY_LAT + rng.gauss(0, 0.03),
        lng=data.CITY_LNG + rng.gauss(0, 0.04),
        timezone=data.CITY_TIMEZONE,
        address=f"{rng.randint(1, 400)} {rng.choice(['Pine', 'Maple', 'Church', 'North'])} St",
    )
    if kind == "service":
        availability_set(actor=author, public_id=listing.public_id, weekly=WORKING_HOURS, exceptions=[])
    if kind != "request":
        for index in range(rng.choice([1, 1, 2])):
            picture = SimpleUploadedFile(f"{slug}-{index}.jpg", pictures.photo_bytes(slug, rng), "image/jpeg")
            photo_add(actor=author, public_id=listing.public_id, upload=picture, alt_text=listing.title)
    return listing


def seed_listings(
    count: int, members: list[User], categories: dict[str, Category], rng: random.Random, progress: bool
) -> int:
    have = Listing.objects.filter(author__email__endswith=f"@{DEMO_DOMAIN}").count()
    missing = max(0, count - have)
    alice, bob, others = members[0], members[1], members[2:]
    slugs = sorted(data.LISTING_IDEAS)
    # The demo logins first: Bob offers rooms, desks and services; Alice posts a request.
    starters = [(bob, slug) for slug in ("rooms", "desks", "equipment", "cleaning", "tutoring", "bikes")]
    starters.append((alice, "errands"))
    plan = starters[:missing] if have == 0 else []
    plan += [(rng.choice(others) if others else bob, rng.choice(slugs)) for _ in range(missing - len(plan))]
    for author, slug in tqdm(plan, desc="listings", unit="listing", disable=not progress):
        _add_listing(author, slug, categories, rng)
    if have == 0:
        _add_wizard_draft(bob, categories["rooms"])
    return missing


def _add_wizard_draft(author: User, rooms: Category) -> Listing:
    """A stay Bob began in the listing wizard and left after its details: "My listings" offers
    to continue it at the photos, with a stay's defaults (per night, check-in and check-out)."""
    defaults = listing_defaults("rental", rooms)
    defaults.pop("hours", None)
    return listing_create(
        actor=author,
        publish=False,
        kind="rental",
        category=rooms,
        title="Studio flat above the bakery",
        description="Half written: photos and the price still to come.",
        attributes={"bedrooms": 1, "wifi": True},
        price_amount_minor=0,
        currency=data.CURRENCY,
        lat=data.CITY_LAT,
        lng=data.CITY_LNG,
        timezone=data.CITY_TIMEZONE,
        wizard_steps=step_number("details"),
        **defaults,
    )


def run(
    *, members: int = 50, listings: int = 300, random_seed: int = 7, progress: bool = False
) -> dict[str, int]:
    rng = random.Random(random_seed)  # noqa: S311 - demo data, reproducible by seed
    categories = seed_categories()
    people = seed_members(members, rng)
    if not User.objects.filter(email=OPERATOR_EMAIL).exists():
        operator_create(
            email=OPERATOR_EMAIL,
            name="Olive Operator",
            password=DEMO_PASSWORD,
            groups=["support", "finance", "admin"],
        )
    emails.seed_email_texts(User.objects.get(email=OPERATOR_EMAIL))
    added = seed_listings(listings, people, categories, rng, progress)
    taxed = seed_taxes(categories)
    made = deals.seed_deals(people[0], people[1], people, rng) if len(people) > 2 else 0
    reviewed = reviews.seed_reviews(people, rng)
    tests = credentials.seed_skill_tests(User.objects.get(email=OPERATOR_EMAIL), categories, people, rng)
    talked = conversations.seed_conversations(people[0]) if made else 0
    reported = safety.seed_reports(people, rng)
    return {
        "members": len(people),
        "categories": len(categories),
        "listings_added": added,
        "tax_rates_added": taxed,
        "deals_added": made,
        "reviews_added": reviewed,
        "skills_tests_added": tests,
        "messages_added": talked,
        "reports_added": reported,
    }

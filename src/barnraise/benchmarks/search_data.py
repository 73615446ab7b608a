"""The search benchmark's data set: where it lives, and the generator of realistic listings."""

import json
import os
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

GENERATOR_VERSION = 1
VENDORS = ("sqlite", "postgresql")
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"

# name, lat, lng, timezone, currency, share of listings
CITIES = [
    ("Burlington", 44.4759, -73.2121, "America/New_York", "USD", 0.30),
    ("Montreal", 45.5019, -73.5674, "America/Toronto", "CAD", 0.28),
    ("Boston", 42.3601, -71.0589, "America/New_York", "USD", 0.22),
    ("Portland", 43.6591, -70.2568, "America/New_York", "USD", 0.12),
    ("Albany", 42.6526, -73.7562, "America/New_York", "USD", 0.08),
]
# Share of listings per category of demo.data.LISTING_IDEAS: a long tail, like a real market.
CATEGORY_SHARE = {
    "produce": 0.14,
    "equipment": 0.12,
    "cleaning": 0.10,
    "tutoring": 0.09,
    "errands": 0.09,
    "furniture": 0.08,
    "rooms": 0.07,
    "bikes": 0.06,
    "moving": 0.06,
    "handmade": 0.05,
    "pets": 0.05,
    "desks": 0.04,
    "vehicles": 0.03,
    "design": 0.02,
}
ADJECTIVES = [
    "great",
    "sturdy",
    "cosy",
    "bright",
    "spacious",
    "lightweight",
    "reliable",
    "classic",
    "modern",
    "rustic",
    "compact",
    "handy",
    "local",
    "affordable",
    "friendly",
    "quiet",
    "vintage",
    "solid",
    "clean",
    "practical",
    "charming",
    "careful",
    "experienced",
    "seasonal",
    "weatherproof",
    "portable",
    "restored",
    "polished",
    "premium",
    "simple",
    "tidy",
]
EXTRA_SENTENCES = [
    "Collection from the porch any evening after six.",
    "Cash or card on pick-up; receipts on request.",
    "I have done this for years and my neighbours keep coming back.",
    "Everything is cleaned and checked before it leaves the house.",
    "Weekends work best, weekday mornings by arrangement.",
    "Parking right outside, step-free access from the street.",
    "Bring your own bags, or borrow one of ours.",
    "Happy to answer questions by message before you book.",
    "Discount for students and for longer bookings.",
    "Pets welcome, smoke-free home.",
]
SYLLABLES = [
    "bar",
    "lin",
    "to",
    "ven",
    "mor",
    "ka",
    "sel",
    "dra",
    "quin",
    "fel",
    "ro",
    "tan",
    "wick",
    "hol",
    "ber",
    "ash",
    "pem",
    "lu",
    "gor",
    "vis",
]
BRANDS = 3000  # makers, Zipf-distributed: a few everywhere, most rare
COMMON_TERMS = ("desk", "quiet", "truck")  # each in about 5% of listings
RARE_BRAND_RANKS = (240, 420, 610)  # ranks in the Zipf list of makers: about 0.05% of rows each
QUERY_TYPES = ("text_common", "text_rare", "geo", "geo_text", "geo_price_window", "attr_category")
LAYERS = ("sql", "service", "http")
META_TABLE = "bench_meta"


# ---------------------------------------------------------------------------------------------
# Where the data set lives


@dataclass(frozen=True)
class Target:
    vendor: str
    listings: int
    seed: int
    url: str  # the DATABASE_URL Django will use
    admin_url: str = ""  # PostgreSQL: the maintenance database used to create the bench one


def var_dir() -> Path:
    """The settings' VAR_DIR, computed the same way but before Django starts."""
    return Path(os.environ.get("BARNRAISE_VAR_DIR", Path.cwd() / "var")).resolve()


def target(vendor: str, listings: int, seed: int, postgres_url: str = DEFAULT_POSTGRES_URL) -> Target:
    if vendor == "sqlite":
        path = var_dir() / "bench" / f"search-{listings}-{seed}.sqlite3"
        return Target(vendor, listings, seed, f"sqlite:///{path}")
    parts = urlsplit(postgres_url)
    url = urlunsplit(parts._replace(path=f"/barnraise_bench_{listings}_{seed}"))
    return Target(vendor, listings, seed, url, admin_url=postgres_url)


def _sqlite_path(t: Target) -> Path:
    return Path(t.url.removeprefix("sqlite:///"))


def prepare_storage(t: Target, rebuild: bool) -> bool:
    """Make sure the database exists, before Django connects. True when a finished load is there."""
    if t.vendor == "sqlite":
        path = _sqlite_path(t)
        if path.exists() and not rebuild and _sqlite_meta_complete(path):
            return True
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return False
    import psycopg

    name = urlsplit(t.url).path.lstrip("/")
    with psycopg.connect(t.admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not rebuild:
            with psycopg.connect(t.url) as bench:
                found = bench.execute("SELECT to_regclass(%s)", [META_TABLE]).fetchone()
                if found and found[0] and _meta_ok(bench.execute(f"SELECT value FROM {META_TABLE}")):
                    return True
        # The name is built from two integers only.
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return False


def _meta_ok(cursor: Any) -> bool:
    row = cursor.fetchone()
    if row is None:
        return False
    meta = json.loads(row[0])
    return bool(meta.get("complete")) and meta.get("generator") == GENERATOR_VERSION


def _sqlite_meta_complete(path: Path) -> bool:
    import sqlite3

    with sqlite3.connect(path) as conn:
        try:
            return _meta_ok(conn.execute(f"SELECT value FROM {META_TABLE}"))
        except sqlite3.Error:
            return False


# ---------------------------------------------------------------------------------------------
# Generating listings


def _zipf_weights(count: int, exponent: float = 1.0) -> list[float]:
    return [1.0 / (rank**exponent) for rank in range(1, count + 1)]


def brand_names() -> list[str]:
    """Made-up maker names, the same for every seed so the rare query terms are stable."""
    rng = random.Random(20261122)  # noqa: S311 - test data
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < BRANDS:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3))))
        if name not in seen and len(name) >= 5:
            seen.add(name)
            names.append(name)
    return names


def rare_terms() -> list[str]:
    names = brand_names()
    return [names[rank - 1] for rank in RARE_BRAND_RANKS]


@dataclass
class Generated:
    listings: list[tuple[Any, ...]]
    slots: list[tuple[Any, ...]]
    exceptions: list[tuple[Any, ...]]


LISTING_COLUMNS = [
    "id",
    "public_id",
    "author_id",
    "kind",
    "category_id",
    "title",
    "description",
    "attributes",
    "price_amount_minor",
    "currency",
    "unit",
    "stock",
    "seats",
    "lat",
    "lng",
    "address",
    "public_lat",
    "public_lng",
    "timezone",
    "slot_minutes",
    "min_units",
    "max_units",
    "buffer_minutes",
    "min_notice_hours",
    "max_advance_days",
    "instant_booking",
    "deadline",
    "status",
    "rejection_reason",
    "rating_score",
    "created_at",
    "updated_at",
    "published_at",
]
SLOT_COLUMNS = ["listing_id", "weekday", "start", "end", "seats"]
EXCEPTION_COLUMNS = ["listing_id", "start", "end", "seats", "note"]


class Generator:
    """Listings for one seed, in id order, with values already shaped for the database."""

    def __init__(self, seed: int, total: int, vendor: str, authors: list[Any], categories: dict[str, Any]):
        from barnraise.demo import data

        self.rng = random.Random(seed)  # noqa: S311 - test data, reproducible
        self.total = total
        self.sqlite = vendor == "sqlite"
        self.authors = authors
        self.categories = categories
        self.ideas = data.LISTING_IDEAS
        self.slugs = list(CATEGORY_SHARE)
        self.slug_weights = [CATEGORY_SHARE[s] for s in self.slugs]
        self.sentences = [*data.DESCRIPTIONS, *EXTRA_SENTENCES, *data.BIOS]
        self.sentence_weights = _zipf_weights(len(self.sentences), 0.8)
        self.adjective_weights = _zipf_weights(len(ADJECTIVES))
        self.brands = brand_names()
        self.brand_cum = _cumulative(_zipf_weights(BRANDS))
        self.city_weights = [c[5] for c in CITIES]
        self.start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=730)
        self.step = timedelta(days=730) / max(total, 1)

    def _uuid(self) -> Any:
        value = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        return value.hex if self.sqlite else value

    def _when(self, moment: datetime | None) -> Any:
        if moment is None or not self.sqlite:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    def _time(self, value: dtime) -> Any:
        return value.isoformat() if self.sqlite else value

    def batch(self, first_id: int, count: int) -> Generated:
        out = Generated([], [], [])
        rng = self.rng
        for listing_id in range(first_id, first_id + count):
            slug = rng.choices(self.slugs, self.slug_weights)[0]
            kind, unit, (low, high), titles, attribute_choices = self.ideas[slug]
            if kind == "service" and rng.random() < 0.08:
                kind, unit = "request", "job"
            city = rng.choices(CITIES, self.city_weights)[0]
            title = titles[min(int(rng.paretovariate(1.2)) - 1, len(titles) - 1)]
            if rng.random() < 0.4:
                adjective = rng.choices(ADJECTIVES, self.adjective_weights)[0]
                title = f"{adjective.capitalize()} {title[0].lower()}{title[1:]}"
            sentences = rng.choices(self.sentences, self.sentence_weights, k=rng.choice((1, 2, 2, 3)))
            brand = self.brands[_pick(self.brand_cum, rng.random())]
            description = " ".join(sentences) + f" Made by {brand.capitalize()}."
            attributes = {name: rng.choice(values) for name, values in attribute_choices.items()}
            lat = city[1] + rng.gauss(0, 0.08)
            lng = city[2] + rng.gauss(0, 0.10)
            created = self.start + self.step * listing_id
            roll = rng.random()
            status = (
                "published"
                if roll < 0.92
                else "closed"
                if roll < 0.96
                else "draft"
                if roll < 0.98
                else "pending_approval"
            )
            seats = rng.choice((1, 1, 1, 2, 4)) if slug == "desks" else 1
            out.listings.append(
                (
                    listing_id,
                    self._uuid(),
                    self.authors[rng.randrange(len(self.authors))],
                    kind,
                    self.categories[slug],
                    title[:120],
                    description,
                    json.dumps(attributes),
                    rng.randrange(low, high, 50),
                    city[4],
                    unit,
                    rng.randint(1, 20) if kind == "sale" else None,
                    seats,
                    lat + rng.uniform(-0.002, 0.002),
                    lng + rng.uniform(-0.003, 0.003),
                    f"{rng.randint(1, 400)} {rng.choice(['Pine', 'Maple', 'Church', 'North'])} St",
                    lat,
                    lng,
                    city[3],
                    60,
                    1,
                    None,
                    0,
                    rng.choice((0, 0, 0, 24)),
                    365,
                    rng.random() < 0.3,
                    self._when(created + timedelta(days=30)) if kind == "request" else None,
                    status,
                    "",
                    round(rng.uniform(3.0, 5.0), 2) if rng.random() < 0.6 else None,
                    self._when(created),
                    self._when(created),
                    self._when(created) if status == "published" else None,
                )
            )
            if kind in ("rental", "service"):
                self._availability(out, listing_id, seats, created)
        return out

    def _availability(self, out: Generated, listing_id: int, seats: int, created: datetime) -> None:
        rng = self.rng
        if rng.random() < 0.6:  # every day 08:00-20:00
            days, begin, end = range(7), dtime(8), dtime(20)
        else:  # weekdays 09:00-17:00
            days, begin, end = range(5), dtime(9), dtime(17)
        for weekday in days:
            out.slots.append((listing_id, weekday, self._time(begin), self._time(end), seats))
        if rng.random() < 0.05:  # closed for a week some time in the coming two months
            start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
                days=rng.randint(0, 60)
            )
            out.exceptions.append(
                (listing_id, self._when(start), self._when(start + timedelta(days=7)), 0, "away")
            )


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, running, out = sum(weights), 0.0, []
    for weight in weights:
        running += weight
        out.append(running / total)
    return out


def _pick(cumulative: Sequence[float], value: float) -> int:
    from bisect import bisect_left

    return min(bisect_left(cumulative, value), len(cumulative) - 1)


# ---------------------------------------------------------------------------------------------
# Loading

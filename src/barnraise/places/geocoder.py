"""An address or a place name turned into a point.

With `GEOCODER_URL` set, the operator's Nominatim-compatible service is asked first
(`GET {GEOCODER_URL}/search?q=…&format=jsonv2&limit=1`, the shape Nominatim documents: a list of
objects with `lat`, `lon` as strings, `display_name` and `addresstype`). It is given 3 seconds;
when it fails, finds nothing, or isn't set, the address falls back to the first town it names
that the gazetteer knows ("12 Church St, Burlington, VT" → Burlington, Vermont), and the answer
says so (`precision: "town"`), so that the page can ask the member to drag the pin.
"""

import json
import logging
from dataclasses import dataclass
from typing import Literal
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from barnraise.errors import NotFound
from barnraise.places import gazetteer

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 3


class PlaceNotFound(NotFound):
    code = "place_not_found"
    default_message = _("No place by that name is known: try the nearest town.")


@dataclass(frozen=True)
class Located:
    lat: float
    lng: float
    label: str
    precision: Literal["address", "town"]
    time_zone: str = ""  # the town's zone, where the gazetteer gave the point


def _from_service(text: str) -> Located | None:
    base = settings.GEOCODER_URL
    if not base:
        return None
    query = urlencode({"q": text, "format": "jsonv2", "limit": 1})
    request = Request(  # noqa: S310 - the operator's own https (or local) URL, checked in settings
        f"{base}/search?{query}", headers={"User-Agent": f"{settings.SITE_NAME} (Barnraise)"}
    )
    try:
        with urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - as above
            found = json.loads(answer.read(1_000_000))
        first = found[0] if isinstance(found, list) and found else None
        if not isinstance(first, dict):
            return None
        lat, lng = float(first["lat"]), float(first["lon"])
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            return None
        return Located(lat, lng, str(first.get("display_name") or text)[:200], "address")
    except (URLError, TimeoutError, OSError, ValueError, KeyError, TypeError) as error:
        log.warning("geocoder unavailable, falling back to the gazetteer: %s", type(error).__name__)
        return None


def _from_gazetteer(text: str, near: tuple[float, float] | None) -> Located | None:
    """The first comma-separated part, from the left, that names a known place, read together
    with the parts after it ("Burlington, VT")."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    for start in range(len(parts)):
        candidate = ", ".join(parts[start:])
        place = gazetteer.resolve(candidate, near=near)
        if place is not None and gazetteer.fold(place.name) == gazetteer.fold(parts[start]):
            return Located(place.lat, place.lng, place.label, "town", place.time_zone)
    place = gazetteer.resolve(text, near=near) if len(parts) == 1 else None
    return Located(place.lat, place.lng, place.label, "town", place.time_zone) if place else None


def locate(text: str, *, near: tuple[float, float] | None = None) -> Located | None:
    text = " ".join(text.split())[:300]
    if not text:
        return None
    return _from_service(text) or _from_gazetteer(text, near)

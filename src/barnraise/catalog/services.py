"""Writes for the catalog: categories, listings, availability, approval."""

import math
import secrets
import zoneinfo
from datetime import time
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts import operators, standing
from barnraise.accounts.models import User
from barnraise.accounts.services import user_require_verified_email
from barnraise.catalog import attributes, cancellation_policies
from barnraise.catalog.defaults import defaults_check
from barnraise.catalog.models import (
    KIND_UNITS,
    AvailabilityException,
    Calendar,
    CatalogPolicy,
    Category,
    Kind,
    Listing,
    WeeklySlot,
)
from barnraise.errors import Conflict, InvalidInput, NotFound, PermissionDenied, UnknownCancellationPolicy
from barnraise.eventlog.models import EventType
from barnraise.eventlog.services import Subject, record
from barnraise.money import check_currency

PUBLIC_FUZZ_METRES = 300  # the public point lies within this distance of the exact one
# Changing these on an approved listing sends it back to the approval queue.
REVIEWED_FIELDS = ("title", "description", "price_amount_minor", "currency", "photos")
# What an author may set on a listing: listing_update takes these (and `status`), the API's
# ListingIn/ListingPatch and the web's ListingForm offer exactly these, in their own shapes
# (a test in web/tests holds all three to this list).
EDITABLE_FIELDS = (
    "category",
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
    "timezone",
    "slot_minutes",
    "min_units",
    "max_units",
    "buffer_minutes",
    "min_notice_hours",
    "max_advance_days",
    "instant_booking",
    "check_in",
    "check_out",
    "deadline",
    "cancellation_policy",
)


def policy() -> CatalogPolicy:
    current, _created = CatalogPolicy.objects.get_or_create(pk=1)
    return current


def listing_approval_switch(*, actor: User, on: bool) -> CatalogPolicy:
    """An admin operator turns listing approval on or off. While on, new listings (and edits of
    the fields in REVIEWED_FIELDS) wait in the console's queue until approved."""
    operators.require_operator(actor, operators.ADMIN)
    with transaction.atomic(durable=True):
        current, _created = CatalogPolicy.objects.select_for_update().get_or_create(pk=1)
        if current.approval_required != on:
            before = "on" if current.approval_required else "off"
            current.approval_required = on
            current.save(update_fields=["approval_required"])
            record(
                Subject("catalog_policy", "1"),
                EventType.LISTING_APPROVAL_SWITCHED,
                actor=actor,
                payload={"from": before, "to": "on" if on else "off"},
            )
    return current


def category_path(category: Category) -> str:
    parent_path = category.parent.path if category.parent else "/"
    return f"{parent_path}{category.slug}/"


def category_create(
    *,
    slug: str,
    name: str,
    parent: Category | None = None,
    kinds: list[str] | None = None,
    attribute_schema: list[dict[str, Any]] | None = None,
    position: int = 0,
    processes: list[str] | None = None,
    listing_defaults: dict[str, Any] | None = None,
) -> Category:
    category = Category(
        listing_defaults=defaults_check({} if listing_defaults is None else listing_defaults),
        slug=slug,
        name=name,
        parent=parent,
        kinds=kinds or [k.value for k in Kind],
        attribute_schema=attributes.schema_check(attribute_schema or []),
        position=position,
        processes=processes or [],
    )
    category.path = category_path(category)
    category.save()
    return category


def fuzz_point(lat: float, lng: float, *, metres: int = PUBLIC_FUZZ_METRES) -> tuple[float, float]:
    """A point spread uniformly over a disc of `metres` around (lat, lng). Computed once."""
    rng = secrets.SystemRandom()
    distance = metres * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111_320
    dlng = distance * math.sin(bearing) / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    return round(max(-90.0, min(90.0, lat + dlat)), 6), round(((lng + dlng + 540) % 360) - 180, 6)


def _check_rules(fields: dict[str, Any], errors: dict[str, list[str]]) -> None:
    if fields["slot_minutes"] not in (15, 30, 60, 120, 240, 1440):
        errors["slot_minutes"] = [_("Use 15, 30, 60, 120, 240 or 1440 minutes.")]
    if fields["max_units"] is not None and fields["max_units"] < fields["min_units"]:
        errors["max_units"] = [_("Must be at least min_units.")]
    if fields["min_units"] < 1:
        errors["min_units"] = [_("Must be at least 1.")]
    if not 1 <= fields["max_advance_days"] <= 730:
        errors["max_advance_days"] = [_("Must lie between 1 and 730 days.")]


@cache
def _time_zones() -> frozenset[str]:
    """The IANA names the system knows: listing them opens every file of the zone database
    (some 600), so once per process."""
    return frozenset(zoneinfo.available_timezones())


def _validate(fields: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    kind, unit, category = fields["kind"], fields["unit"], fields["category"]
    if unit not in KIND_UNITS[kind]:
        units = " or ".join(KIND_UNITS[kind])
        errors["unit"] = [_("A %(kind)s is priced %(units)s.") % {"kind": kind, "units": units}]
    if category.kinds and kind not in category.kinds:
        errors["category"] = [_("This category does not take listings of this kind.")]
    if not fields["title"].strip():
        errors["title"] = [_("Give the listing a title.")]
    if fields["price_amount_minor"] < 0:
        errors["price"] = [_("The price cannot be negative.")]
    if not (-90 <= fields["lat"] <= 90) or not (-180 <= fields["lng"] <= 180):
        errors["location"] = [_("Latitude must lie in [-90, 90] and longitude in [-180, 180].")]
    if fields["timezone"] not in _time_zones():
        errors["timezone"] = [_("Use an IANA time zone such as Europe/Paris.")]
    if kind == Kind.SALE and fields.get("stock") is None:
        errors["stock"] = [_("Say how many you have.")]
    if kind == Kind.REQUEST and fields.get("deadline") and fields["deadline"] <= timezone.now():
        errors["deadline"] = [_("The deadline must be in the future.")]
    _check_rules(fields, errors)
    return errors


def _check_policy(slug: Any) -> None:
    known = cancellation_policies.policies()
    if known and slug not in known:
        names = ", ".join(sorted(known))
        raise UnknownCancellationPolicy(details={"cancellation_policy": [_("Choose one of: %s.") % names]})


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    fields["currency"] = check_currency(fields["currency"])
    fields["title"] = " ".join(str(fields["title"]).split())
    errors = _validate(fields)
    if not errors:
        try:
            fields["attributes"] = attributes.attributes_clean(
                fields["category"].attribute_schema, fields.get("attributes") or {}
            )
        except InvalidInput as exc:
            errors.update(exc.details)
    if errors:
        raise InvalidInput(details=errors)
    return fields


def _published_status() -> str:
    if policy().approval_required:
        return Listing.Status.PENDING_APPROVAL
    return Listing.Status.PUBLISHED


LISTING_DEFAULTS: dict[str, Any] = {
    "description": "",
    "attributes": {},
    "stock": None,
    "seats": 1,
    "address": "",
    "timezone": "UTC",
    "slot_minutes": 60,
    "min_units": 1,
    "max_units": None,
    "buffer_minutes": 0,
    "min_notice_hours": 0,
    "max_advance_days": 365,
    "instant_booking": False,
    "check_in": None,
    "check_out": None,
    "deadline": None,
    "cancellation_policy": "moderate",
}


def listing_create(*, actor: User, publish: bool = True, **fields: Any) -> Listing:
    """Create a listing for `actor`: published at once, or queued when approval is required."""
    user_require_verified_email(user=actor)
    if fields.get("kind") not in KIND_UNITS:
        raise InvalidInput(details={"kind": [_("Choose one of: %s.") % ", ".join(KIND_UNITS)]})
    fields = _clean({**LISTING_DEFAULTS, **fields})
    _check_policy(fields["cancellation_policy"])
    for name in ("title", "description"):  # contact details are masked before others read them
        fields[name] = standing.public_text(author=actor, text=fields[name], where="listing")
    public_lat, public_lng = fuzz_point(fields["lat"], fields["lng"])
    status = _published_status() if publish else Listing.Status.DRAFT
    now = timezone.now()
    with transaction.atomic():
        listing = Listing.objects.create(
            author=actor,
            public_lat=public_lat,
            public_lng=public_lng,
            status=status,
            published_at=now if status == Listing.Status.PUBLISHED else None,
            created_at=now,
            updated_at=now,
            **fields,
        )
        _status_record(listing, EventType.LISTING_CREATED, "", actor, "created")
        if listing.kind in (Kind.RENTAL, Kind.SERVICE):
            listing.calendar = Calendar.objects.create(owner=actor)
            listing.save(update_fields=["calendar"])
            # Open every day, all day, until the provider says otherwise (PUT …/availability).
            WeeklySlot.objects.bulk_create(
                WeeklySlot(listing=listing, weekday=day, start=time(0), end=time(0), seats=listing.seats)
                for day in range(7)
            )
    return listing


def _own_listing_for_update(actor: User, public_id: Any) -> Listing:
    listing = Listing.objects.select_for_update().filter(public_id=public_id).first()
    if listing is None or (listing.author_id != actor.pk and listing.status != Listing.Status.PUBLISHED):
        raise NotFound()
    if listing.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can change a listing."))
    return listing


def listing_update(
    *, actor: User, public_id: Any, changes: dict[str, Any], wizard_steps: int | None = None
) -> Listing:
    """Apply the author's changes. Status may move draft ⇄ published (through approval).
    `wizard_steps` records how far the listing wizard has come with a draft (never lowered)."""
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"status"}
    if unknown:
        raise InvalidInput(details={name: [_("This field cannot be changed.")] for name in unknown})
    if "cancellation_policy" in changes:  # one the admin removed since stays until changed
        _check_policy(changes["cancellation_policy"])
    for name in ("title", "description"):  # contact details are masked before others read them
        if isinstance(changes.get(name), str):
            changes[name] = standing.public_text(
                author=actor, text=changes[name], where="listing", subject_id=str(public_id)
            )
    with transaction.atomic():
        listing = _own_listing_for_update(actor, public_id)
        if listing.status == Listing.Status.CLOSED:
            raise Conflict(_("This listing is closed."))
        status = changes.pop("status", None)
        current = {name: getattr(listing, name) for name in EDITABLE_FIELDS}
        merged = _clean({**current, **changes, "kind": listing.kind})
        merged.pop("kind")
        reviewed_change = any(merged[f] != current[f] for f in REVIEWED_FIELDS if f in merged)
        if (merged["lat"], merged["lng"]) != (current["lat"], current["lng"]):
            listing.public_lat, listing.public_lng = fuzz_point(merged["lat"], merged["lng"])
        for name, value in merged.items():
            setattr(listing, name, value)
        if wizard_steps is not None and listing.wizard_steps is not None:
            listing.wizard_steps = max(listing.wizard_steps, wizard_steps)
        to, reason = _status_asked(actor, listing, status, reviewed_change)
        listing.updated_at = timezone.now()
        listing.save()
        listing_status_change(listing=listing, to=to, actor=actor, reason=reason)
    return listing


def _status_asked(
    actor: User, listing: Listing, status: str | None, reviewed_change: bool
) -> tuple[str, str]:
    """The status an author's edit leads to, and why."""
    to, reason = listing.status, "author"
    if status == Listing.Status.DRAFT:
        to = Listing.Status.DRAFT
    elif status == Listing.Status.PUBLISHED and listing.status == Listing.Status.DRAFT:
        user_require_verified_email(user=actor)
        to = _published_status()
    elif status not in (None, Listing.Status.PUBLISHED, Listing.Status.DRAFT):
        raise InvalidInput(details={"status": [_("Set draft or published; DELETE closes.")]})
    if reviewed_change and to == Listing.Status.PUBLISHED and policy().approval_required:
        to, reason = Listing.Status.PENDING_APPROVAL, "edited"
    return to, reason


# The one door for a listing's status: every write of it goes through listing_status_change.
STATUS_EVENTS = {
    Listing.Status.DRAFT: EventType.LISTING_UNPUBLISHED,
    Listing.Status.PENDING_APPROVAL: EventType.LISTING_SUBMITTED,
    Listing.Status.PUBLISHED: EventType.LISTING_PUBLISHED,
    Listing.Status.CLOSED: EventType.LISTING_CLOSED,
}


def listing_status_change(
    *, listing: Listing, to: str, actor: User | None, reason: str, also: tuple[str, ...] = ()
) -> bool:
    """Move a locked listing to status `to` and log why (`reason`, a stable code: author,
    edited, photos_changed, approved, rejected, member_suspended, suspension_lifted,
    member_deleted, request_fulfilled). `also` names other fields set by the caller to save
    with it. Returns False, writing nothing, when the listing already has that status."""
    if to not in STATUS_EVENTS:
        raise ValueError(f"{to!r} is not a listing status")
    if listing.status == to:
        return False
    before, listing.status, listing.updated_at = listing.status, to, timezone.now()
    fields = ["status", "updated_at", *also]
    if to == Listing.Status.PUBLISHED and listing.published_at is None:
        listing.published_at = listing.updated_at
        fields.append("published_at")
    listing.save(update_fields=fields)
    _status_record(listing, STATUS_EVENTS[Listing.Status(to)], before, actor, reason)
    return True


def _status_record(listing: Listing, type: EventType, before: str, actor: User | None, reason: str) -> None:
    subject = Subject("listing", str(listing.public_id), listing.author_id)
    record(subject, type, actor=actor, payload={"from": before, "to": listing.status, "reason": reason})


def _locked(**lookup: Any) -> list[Listing]:
    """Listings locked for a status change, in primary-key order."""
    return list(Listing.objects.select_for_update().filter(**lookup).order_by("pk"))


def listing_close(*, actor: User, public_id: Any) -> Listing:
    with transaction.atomic():
        listing = _own_listing_for_update(actor, public_id)
        listing_status_change(listing=listing, to=Listing.Status.CLOSED, actor=actor, reason="author")
    return listing


def listing_photos_changed(*, listing: Listing, actor: User | None = None) -> None:
    """Called by the photo services: a new photo on an approved listing needs a new review."""
    if listing.status == Listing.Status.PUBLISHED and policy().approval_required:
        with transaction.atomic():
            for locked in _locked(pk=listing.pk, status=Listing.Status.PUBLISHED):
                listing_status_change(
                    listing=locked, to=Listing.Status.PENDING_APPROVAL, actor=actor, reason="photos_changed"
                )


def listing_approve(*, actor: User, listing_id: int) -> Listing:
    from barnraise.notifications.services import notification_send

    operators.require_operator(actor, operators.SUPPORT)
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing_id)
        if listing.status != Listing.Status.PENDING_APPROVAL:
            raise Conflict(_("Only listings waiting for approval can be approved."))
        listing.rejection_reason = ""
        listing_status_change(
            listing=listing,
            to=Listing.Status.PUBLISHED,
            actor=actor,
            reason="approved",
            also=("rejection_reason",),
        )
        notification_send(
            recipient=listing.author,
            kind="listing_approved",
            context={"listing": listing},
            url=f"/listings/{listing.public_id}/",
        )
    return listing


def listing_reject(*, actor: User, listing_id: int, reason: str) -> Listing:
    from barnraise.notifications.services import notification_send

    operators.require_operator(actor, operators.SUPPORT)
    if not reason.strip():
        raise InvalidInput(details={"reason": [_("Tell the author why.")]})
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing_id)
        if listing.status != Listing.Status.PENDING_APPROVAL:
            raise Conflict(_("Only listings waiting for approval can be rejected."))
        listing.rejection_reason = reason.strip()[:500]
        listing_status_change(
            listing=listing,
            to=Listing.Status.DRAFT,
            actor=actor,
            reason="rejected",
            also=("rejection_reason",),
        )
        notification_send(
            recipient=listing.author,
            kind="listing_rejected",
            context={"listing": listing, "reason": listing.rejection_reason},
            url=f"/listings/{listing.public_id}/edit/",
        )
    return listing


def availability_set(
    *, actor: User, public_id: Any, weekly: list[dict[str, Any]], exceptions: list[dict[str, Any]]
) -> Listing:
    """Replace the weekly plan and the exceptions of the actor's listing."""
    errors: dict[str, list[str]] = {}
    for index, slot in enumerate(weekly):
        end_ok = slot["end"] == time(0) or slot["end"] > slot["start"]
        if not 0 <= slot["weekday"] <= 6 or not end_ok or not 0 <= slot["seats"] <= 1000:
            errors[f"weekly[{index}]"] = [
                _("weekday 0–6, start before end (00:00 = midnight), seats 0–1000.")
            ]
    for index, exc in enumerate(exceptions):
        if exc["end"] <= exc["start"] or not 0 <= exc["seats"] <= 1000:
            errors[f"exceptions[{index}]"] = [_("start before end, seats 0–1000.")]
    if errors:
        raise InvalidInput(details=errors)
    with transaction.atomic():
        listing = _own_listing_for_update(actor, public_id)
        if listing.kind not in (Kind.RENTAL, Kind.SERVICE):
            raise InvalidInput(details={"kind": [_("Only rentals and services have availability.")]})
        WeeklySlot.objects.filter(listing=listing).delete()
        AvailabilityException.objects.filter(listing=listing).delete()
        WeeklySlot.objects.bulk_create(WeeklySlot(listing=listing, **slot) for slot in weekly)
        AvailabilityException.objects.bulk_create(
            AvailabilityException(listing=listing, **exc) for exc in exceptions
        )
        listing.updated_at = timezone.now()
        listing.save(update_fields=["updated_at"])
    return listing


def listings_close_for_deleted_member(user: User) -> None:
    """Account deletion: the member's open listings leave the marketplace."""
    for listing in _locked(author=user, status__in=set(STATUS_EVENTS) - {Listing.Status.CLOSED}):
        listing.address = ""
        listing_status_change(
            listing=listing, to=Listing.Status.CLOSED, actor=None, reason="member_deleted", also=("address",)
        )


def stock_take(*, listing_id: int, quantity: int) -> bool:
    """Take `quantity` from stock in one conditional update; False when there is not enough."""
    taken = Listing.objects.filter(pk=listing_id, stock__gte=quantity).update(stock=F("stock") - quantity)
    return taken == 1


def stock_return(*, listing_id: int, quantity: int) -> None:
    Listing.objects.filter(pk=listing_id).update(stock=F("stock") + quantity)


def listing_mark_fulfilled(*, listing_id: int) -> None:
    """A request whose offer was accepted leaves search: the system closes it."""
    for listing in _locked(pk=listing_id, status=Listing.Status.PUBLISHED):
        listing_status_change(
            listing=listing, to=Listing.Status.CLOSED, actor=None, reason="request_fulfilled"
        )


def listing_rating_set(*, listing_id: int, score: float | None) -> None:
    """Store the listing's reputation score (computed by barnraise.reputation) for search."""
    Listing.objects.filter(pk=listing_id).update(rating_score=score)


def listings_withdraw_for_member(*, member: User, actor: User | None = None) -> list[int]:
    """A suspended member's published listings leave search (back to draft); returns their ids."""
    withdrawn = _locked(author=member, status=Listing.Status.PUBLISHED)
    for listing in withdrawn:
        listing_status_change(
            listing=listing, to=Listing.Status.DRAFT, actor=actor, reason="member_suspended"
        )
    return [listing.pk for listing in withdrawn]


def listings_restore_for_member(*, member: User, listing_ids: list[int], actor: User | None = None) -> int:
    """Publish again what listings_withdraw_for_member took out, where still a draft."""
    restored = _locked(author=member, pk__in=listing_ids, status=Listing.Status.DRAFT)
    to = _published_status()
    for listing in restored:
        listing_status_change(listing=listing, to=to, actor=actor, reason="suspension_lifted")
    return len(restored)

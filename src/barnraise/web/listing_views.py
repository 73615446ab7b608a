"""Listing pages: the listing and its calendar of free dates, closing it, its availability,
"My listings". Making and editing a listing is the wizard's (wizard_views.py)."""

from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from barnraise import errors
from barnraise.accounts.models import User
from barnraise.catalog.cancellation_policies import policy_view
from barnraise.catalog.models import Kind, Listing
from barnraise.catalog.selectors import (
    availability_of,
    listing_start_times,
    listing_visible,
    listings_by_author,
)
from barnraise.catalog.services import listing_close
from barnraise.commerce.services import booking_quote
from barnraise.markup import render_markdown
from barnraise.reputation import selectors as reputation_selectors
from barnraise.web.deal_forms import Parsed, add_domain_error, parse_params
from barnraise.web.deal_presenters import Panel, deal_panel, line_rows, money
from barnraise.web.listing_forms import (
    BOOKABLE,
)
from barnraise.web.listing_presenters import (
    MonthCalendar,
    attribute_rows,
    breadcrumb,
    month_asked,
    month_calendar,
    weekly_summary,
)
from barnraise.web.templatetags import moments as moments_tags
from barnraise.web.views import lag_tolerant, member_of

GET_POST = ["GET", "POST"]


def viewer_of(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _visible(request: HttpRequest, public_id: UUID) -> Listing:
    try:
        return listing_visible(public_id=public_id, viewer=viewer_of(request))
    except errors.NotFound as error:
        raise Http404(error.message) from error


def _own(request: HttpRequest, public_id: UUID) -> Listing:
    """The author's own listing; anyone else gets 404 (unpublished) or 403 (published)."""
    listing = _visible(request, public_id)
    if listing.author_id != member_of(request).pk:
        raise PermissionDenied
    return listing


@require_GET
@lag_tolerant(visitors_only=True)
def listing_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return listing_page(request, _visible(request, public_id))


def listing_page(request: HttpRequest, listing: Listing, *, status: int = 200, **extra: Any) -> HttpResponse:
    """The listing page; the deal views render it again with their form's values and errors."""
    viewer = viewer_of(request)
    is_author = viewer is not None and listing.author_id == viewer.pk
    bookable = listing.kind in BOOKABLE
    panel = None if is_author else deal_panel(listing)
    quote = None
    if panel is not None and panel.mode == "booking" and ("start" in request.GET or "end" in request.GET):
        # Dates chosen without JavaScript (the quote form, or back from logging in): price them,
        # and fill the booking form with them.
        quote = quote_of(listing, request.GET, viewer)
        extra.setdefault("deal", Parsed(values=dict(quote["parsed"].values)))
        if quote["ready"] and viewer is not None:  # the booking form's preview, at once
            extra.setdefault("preview", {"lines": quote["lines"], "total": quote["total"]})
    context = {
        "listing": listing,
        "is_author": is_author,
        "panel": panel,
        "quote": quote,
        "deal_key": uuid4(),
        # Sanitized by render_markdown (nh3): the one place the page trusts HTML.
        "description_html": mark_safe(render_markdown(listing.description)),  # noqa: S308
        "attributes": attribute_rows(listing),
        "breadcrumb": breadcrumb(listing.category),
        "photos": list(listing.photos.all()),
        "weekly": weekly_summary(availability_of(listing)) if bookable else None,
        "cancellation": policy_view(listing.cancellation_policy) if bookable else None,
        "calendar": _calendar_of(request, listing) if bookable else None,
        "pick": _pickable(listing, panel),
        "listing_reputation": reputation_selectors.reputation_of_listing(listing_id=listing.pk),
        "author_reputation": reputation_selectors.reputations_of(user_id=listing.author_id)["provider"],
        "listing_reviews": reputation_selectors.reviews_of_listing(listing_id=listing.pk),
        **extra,
    }
    return render(request, "web/listings/detail.html", context, status=status)


def _calendar_of(request: HttpRequest, listing: Listing) -> MonthCalendar:
    today = timezone.now().astimezone(ZoneInfo(listing.timezone)).date()
    # Chosen dates open on their month (back from logging in with ?start=…).
    asked = request.GET.get("month") or request.GET.get("start", "")[:7] or None
    return month_calendar(listing, month_asked(asked, today), today)


@require_GET
@lag_tolerant(visitors_only=True)
def listing_calendar(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Another month of free dates: the calendar alone for htmx, else the listing page at it."""
    listing = _visible(request, public_id)
    if listing.kind not in BOOKABLE:
        raise Http404(_("Only rentals and services have a calendar."))
    if not request.headers.get("HX-Request"):
        month = urlencode({"month": request.GET.get("month", "")})
        return redirect(f"{reverse('listing_detail', args=[listing.public_id])}?{month}#free-dates")
    viewer = viewer_of(request)
    panel = None if viewer is not None and listing.author_id == viewer.pk else deal_panel(listing)
    context = {
        "listing": listing,
        "calendar": _calendar_of(request, listing),
        "pick": _pickable(listing, panel),
    }
    return render(request, "web/listings/_calendar.html", context)


def _pickable(listing: Listing, panel: Panel | None) -> str:
    """How the calendar picks: "days" for bookings by the day or night (a first and a last
    date), "hours" for bookings by the hour (a day, then a start time and a length); "" where
    it does not (by the job, the form's date and time fields choose)."""
    if panel is None or panel.mode != "booking":
        return ""
    if panel.date_input == "date":
        return "days"
    return "hours" if listing.unit == "hour" else ""


@require_GET
@lag_tolerant(visitors_only=True)
def listing_times(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The start times and lengths free on one day (?day=YYYY-MM-DD) of a listing booked by the
    hour, in the listing's zone: the fragment for htmx, else the listing page at that day."""
    listing = _visible(request, public_id)
    if listing.kind not in BOOKABLE or listing.unit != "hour":
        raise Http404(_("Only listings booked by the hour have start times."))
    raw = request.GET.get("day", "")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if not request.headers.get("HX-Request"):
        month = urlencode({"month": raw[:7]} if day else {})
        return redirect(f"{reverse('listing_detail', args=[listing.public_id])}?{month}#free-dates")
    found = listing_start_times(listing=listing, day=day) if day else []
    times = [
        {
            "value": t.start.strftime("%Y-%m-%dT%H:%M"),
            "clock": t.start.strftime("%H:%M"),
            "hours": ",".join(str(h) for h in t.hours),
            "summary": moments_tags.format_time(t.start, ZoneInfo(listing.timezone)),
        }
        for t in found
    ]
    context = {
        "listing": listing,
        "day": day,
        "times": times,
        "hours": range(
            min((t.hours[0] for t in found), default=1), max((t.hours[-1] for t in found), default=0) + 1
        ),
        "zone_label": moments_tags.zone_label(found[0].start) if found else "",
    }
    return render(request, "web/listings/_times.html", context, status=200 if day else 400)


QUOTE_FIELDS = ("start", "end", "seats")


def quote_of(listing: Listing, data: Any, customer: User | None = None) -> dict[str, Any]:
    """The price of a booking of the chosen window, priced by the booking's own step
    (`commerce.services.booking_quote`): its lines as the customer sees them, the total and the
    cancellation policy; or the errors in human sentences."""
    parsed = parse_params(QUOTE_FIELDS, data, listing=listing, currency=listing.currency)
    quote: dict[str, Any] = {"parsed": parsed, "lines": [], "total": "", "ready": False}
    if not (parsed.values.get("start") and parsed.values.get("end")):
        return quote  # half chosen: a hint, not an error
    if not parsed.errors:
        try:
            tx = booking_quote(listing_id=listing.public_id, params=parsed.params, customer=customer)
        except errors.NotAvailable:
            parsed.top_error = _("Those dates are not free. Choose other dates on the calendar.")
        except errors.DomainError as error:
            add_domain_error(parsed, error, QUOTE_FIELDS)
        else:
            quote.update(
                ready=True,
                lines=line_rows(tx.line_items),
                total=money(tx.total_amount_minor, tx.currency),
                total_minor=tx.total_amount_minor,
            )
    quote["problems"] = [m for name in QUOTE_FIELDS for m in parsed.errors.get(name, [])]
    return quote


@require_GET
@lag_tolerant(visitors_only=True)
def listing_quote(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The price of the chosen dates, for anyone: the fragment for htmx, else the listing page
    with it."""
    listing = _visible(request, public_id)
    if listing.kind not in BOOKABLE:
        raise Http404(_("Only rentals and services can be booked."))
    if not request.headers.get("HX-Request"):
        asked = urlencode({k: request.GET.get(k, "") for k in QUOTE_FIELDS if k in request.GET})
        return redirect(f"{reverse('listing_detail', args=[listing.public_id])}?{asked}#quote")
    context = {
        "listing": listing,
        "quote": quote_of(listing, request.GET, viewer_of(request)),
        "cancellation": policy_view(listing.cancellation_policy),
    }
    return render(request, "web/listings/_quote.html", context)


@login_required
@require_GET
def listing_new(request: HttpRequest) -> HttpResponse:
    """Old links to the one-page form: the wizard, at the step their kind and category reach."""
    kind, slug = request.GET.get("kind"), request.GET.get("category")
    if kind not in Kind.values:
        return redirect("wizard_kind")
    if not slug:
        return redirect(f"{reverse('wizard_category')}?{urlencode({'kind': kind})}")
    return redirect(f"{reverse('wizard_new_details')}?{urlencode({'kind': kind, 'category': slug})}")


@login_required
@require_http_methods(GET_POST)
def listing_close_confirm(request: HttpRequest, public_id: UUID) -> HttpResponse:
    listing = _own(request, public_id)
    if request.method == "GET":
        return render(request, "web/listings/close.html", {"listing": listing})
    try:
        listing_close(actor=member_of(request), public_id=listing.public_id)
    except errors.DomainError as error:
        messages.error(request, error.message)
        return redirect("listing_detail", public_id=listing.public_id)
    messages.success(request, _("The listing is closed. It no longer appears in search."))
    return redirect("my_listings")


@login_required
@require_GET
def my_listings(request: HttpRequest) -> HttpResponse:
    return render(
        request, "web/listings/mine.html", {"listings": listings_by_author(user=member_of(request))}
    )

"""The listing wizard: kind → category → details → photos → price and rules → availability →
preview → publish, one short page each (docs/web.md, "Listing something"). It is also the one
editor of a listing that exists.

The draft is made at the details step (publish=False) and every later step saves into it
through the catalog's services, so a member can leave and come back to "My listings". It stays
a draft, seen by its author only, until "Publish" (which waits for an operator's review when the
marketplace reviews listings).

Once a listing has been through every step (or was made elsewhere, through the API), "Edit"
opens its overview (`wizard_overview`, at /listings/<id>/edit/): each step with what it holds
now and a "Change" link; a step saved there comes back to the overview, through the same
catalog services (a reviewed change sends a published listing back for review).
"""

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from barnraise import errors
from barnraise.catalog.defaults import listing_defaults, weekly_plan
from barnraise.catalog.models import Category, Kind, Listing
from barnraise.catalog.selectors import availability_of, categories_all, marketplace_currency
from barnraise.catalog.services import availability_set, listing_create, listing_update, policy
from barnraise.web.availability_forms import (
    Plan,
    plan_add_error,
    plan_from_availability,
    plan_from_post,
    plan_parse,
    weekday_choices,
)
from barnraise.web.deal_presenters import money
from barnraise.web.listing_forms import (
    BOOKABLE,
    COMMON_CURRENCIES,
    COMMON_ZONES,
    category_choices,
    listing_form_add_error,
    listing_initial,
)
from barnraise.web.listing_presenters import attribute_rows, weekly_summary
from barnraise.web.listing_views import _own, listing_page
from barnraise.web.views import member_of
from barnraise.web.wizard_forms import (
    STEP_NAMES,
    STEPS,
    StepForm,
    field_rows,
    kind_sentences,
    rule_sentences,
    step_number,
)

GET_POST = ["GET", "POST"]
PRICED = step_number("price")  # a draft may be published once its price step is saved


def editing(listing: Listing) -> bool:
    """Whether the wizard edits the listing (each saved step goes back to its overview) rather
    than walking a new draft through its steps: it is published, waiting, or has been through
    every step (a draft taken back down), or it was not made in the wizard."""
    return listing.status != Listing.Status.DRAFT or (listing.wizard_steps or len(STEPS)) >= len(STEPS)


def steps_of(listing: Listing | None, current: str, kind: str | None = None) -> list[dict[str, Any]]:
    """The progress list: each step's name, its link when it can be visited, and which is open."""
    kind = listing.kind if listing else kind
    done = step_number("category") if listing is None else (listing.wizard_steps or len(STEPS))
    rows = []
    for step in STEPS:
        if step == "availability" and kind not in BOOKABLE:
            continue
        number, url = step_number(step), ""
        if listing is not None and step not in ("kind", "category") and number <= done + 1:
            url = reverse(f"wizard_{step}", args=[listing.public_id])
        rows.append(
            {"name": STEP_NAMES[step], "url": url, "current": step == current, "done": number <= done}
        )
    return rows


def _step_page(
    request: HttpRequest,
    template: str,
    step: str,
    *,
    listing: Listing | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    kind = listing.kind if listing else extra.get("kind")
    context = {
        "listing": listing,
        "step": step,
        "steps": steps_of(listing, step, kind),
        "editing": listing is not None and editing(listing),
        **extra,
    }
    return render(request, f"web/listings/wizard/{template}.html", context, status=status)


def _kind_of(value: Any) -> str | None:
    return value if value in Kind.values else None


def _categories_for(kind: str) -> list[Category]:
    return [c for c in categories_all() if not c.kinds or kind in c.kinds]


@login_required
@require_http_methods(GET_POST)
def wizard_kind(request: HttpRequest) -> HttpResponse:
    """Step 1: what kind of listing."""
    if request.method == "POST":
        kind = _kind_of(request.POST.get("kind"))
        if kind is not None:
            return redirect(f"{reverse('wizard_category')}?{urlencode({'kind': kind})}")
        error = _("Choose what kind of listing it is.")
        return _step_page(request, "kind", "kind", kinds=kind_sentences(), error=error, status=422)
    return _step_page(request, "kind", "kind", kinds=kind_sentences(), chosen=request.GET.get("kind"))


@login_required
@require_http_methods(GET_POST)
def wizard_category(request: HttpRequest) -> HttpResponse:
    """Step 2: its category, among those that take this kind."""
    data = request.POST if request.method == "POST" else request.GET
    kind = _kind_of(data.get("kind"))
    if kind is None:
        return redirect("wizard_kind")
    categories = _categories_for(kind)
    context: dict[str, Any] = {
        "kind": kind,
        "kind_label": Kind(kind).label,
        "categories": category_choices(categories)[1:],
    }
    if request.method == "GET":
        return _step_page(request, "category", "category", chosen=data.get("category", ""), **context)
    slug = data.get("category", "")
    if not any(c.slug == slug for c in categories):
        error = _("Choose a category from the list.")
        return _step_page(request, "category", "category", error=error, chosen=slug, status=422, **context)
    return redirect(f"{reverse('wizard_new_details')}?{urlencode({'kind': kind, 'category': slug})}")


def _details_page(
    request: HttpRequest, form: StepForm, *, listing: Listing | None, status: int = 200, **extra: Any
) -> HttpResponse:
    kind = listing.kind if listing else form.kind_value
    return _step_page(
        request,
        "details",
        "details",
        listing=listing,
        status=status,
        form=form,
        kind=kind,
        kind_label=Kind(kind).label,
        category=form.category_obj,
        zones=COMMON_ZONES,
        **extra,
    )


def _refused(request: HttpRequest, form: StepForm, error: errors.DomainError) -> dict[str, Any]:
    """A service's refusal beside the fields: 403 for an unconfirmed email, else 422."""
    if isinstance(error, errors.PermissionDenied) and not isinstance(error, errors.EmailUnverified):
        raise PermissionDenied(error.message) from error
    listing_form_add_error(form, error)
    unverified = isinstance(error, errors.EmailUnverified)
    return {"status": 403 if unverified else 422, "email_unverified": unverified}


@login_required
@require_http_methods(GET_POST)
def wizard_new_details(request: HttpRequest) -> HttpResponse:
    """Step 3 of a new listing: title, description, the category's details and the place. Saving
    makes the draft, with the defaults of its kind and category."""
    data = request.POST if request.method == "POST" else request.GET
    kind = _kind_of(data.get("kind"))
    category = next((c for c in categories_all() if c.slug == data.get("category")), None)
    if kind is None or category is None or (category.kinds and kind not in category.kinds):
        return redirect(
            f"{reverse('wizard_category')}?{urlencode({'kind': kind})}" if kind else "wizard_kind"
        )
    if request.method == "GET":
        form = StepForm(step="details", kind=kind, category=category, categories=[category])
        return _details_page(request, form, listing=None)
    form = StepForm(data, step="details", kind=kind, category=category, categories=[category])
    if not form.is_valid():
        return _details_page(request, form, listing=None, status=422)
    defaults = listing_defaults(kind, category)
    hours = defaults.pop("hours", None)
    fields = {"price_amount_minor": 0, "currency": marketplace_currency() or "USD", **defaults}
    try:
        listing = listing_create(
            actor=member_of(request),
            publish=False,
            kind=kind,
            wizard_steps=step_number("details"),
            **fields,
            **form.service_fields(),
        )
        if hours is not None and hours != "all_week":
            availability_set(
                actor=member_of(request),
                public_id=listing.public_id,
                weekly=weekly_plan(hours, listing.seats),
                exceptions=[],
            )
    except errors.DomainError as error:
        return _details_page(request, form, listing=None, **_refused(request, form, error))
    messages.success(request, _("Your draft is saved. Only you can see it until you publish it."))
    return redirect("wizard_photos", public_id=listing.public_id)


def _editable(request: HttpRequest, public_id: UUID) -> Listing:
    listing = _own(request, public_id)
    if listing.status == Listing.Status.CLOSED:
        raise Http404(_("This listing is closed and can no longer be changed."))
    return listing


def _save_step(request: HttpRequest, listing: Listing, form: StepForm, step: str) -> Listing | dict[str, Any]:
    """The step's fields saved into the listing; or how the page should say why not."""
    try:
        return listing_update(
            actor=member_of(request),
            public_id=listing.public_id,
            changes=form.service_fields(),
            wizard_steps=step_number(step),
        )
    except errors.DomainError as error:
        return _refused(request, form, error)


def _saved(request: HttpRequest, before: Listing, after: Listing, step: str) -> HttpResponse:
    """Where a saved step goes: the listing's overview when editing, else the next step."""
    if not editing(before):
        return redirect(f"wizard_{next_step(before, step)}", public_id=before.public_id)
    if after.status == Listing.Status.PENDING_APPROVAL and before.status == Listing.Status.PUBLISHED:
        messages.success(request, _("Your changes are saved. The listing waits for a new review."))
    else:
        messages.success(request, _("Your changes are saved."))
    return redirect("listing_edit", public_id=before.public_id)


def next_step(listing: Listing, step: str) -> str:
    following = STEPS[STEPS.index(step) + 1]
    if following == "availability" and listing.kind not in BOOKABLE:
        following = "preview"
    return following


@login_required
@require_http_methods(GET_POST)
def wizard_details(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Step 3 again, for a listing that exists: here its category may change too, among those
    that take its kind ("refresh" redraws the category's own fields, keeping what was typed)."""
    listing = _editable(request, public_id)
    categories = _categories_for(listing.kind)
    if listing.category not in categories:
        categories.append(listing.category)
    slug = request.POST.get("category") if request.method == "POST" else None
    category = next((c for c in categories if c.slug == slug), listing.category)
    shape: dict[str, Any] = {"kind": listing.kind, "category": category, "categories": categories}
    if request.method == "GET" or request.POST.get("action") == "refresh":
        initial = listing_initial(listing) if request.method == "GET" else dict(request.POST.items())
        return _details_page(request, StepForm(initial=initial, step="details", **shape), listing=listing)
    form = StepForm(request.POST, step="details", **shape)
    if not form.is_valid():
        return _details_page(request, form, listing=listing, status=422)
    saved = _save_step(request, listing, form, "details")
    if isinstance(saved, dict):
        return _details_page(request, form, listing=listing, **saved)
    return _saved(request, listing, saved, "details")


@login_required
@require_http_methods(["GET"])
def wizard_resume(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Back to a draft: the step after the last one saved (from "My listings" or the listing);
    a listing being edited opens on its overview."""
    listing = _editable(request, public_id)
    if editing(listing):
        return redirect("listing_edit", public_id=listing.public_id)
    done = STEPS[(listing.wizard_steps or len(STEPS)) - 1]
    step = "preview" if done == "preview" else next_step(listing, done)
    return redirect(f"wizard_{step}", public_id=listing.public_id)


def _price_page(
    request: HttpRequest, listing: Listing, form: StepForm, unit: str, **extra: Any
) -> HttpResponse:
    return _step_page(
        request,
        "price",
        "price",
        listing=listing,
        form=form,
        rules=rule_sentences(form, unit),
        currencies=COMMON_CURRENCIES,
        **extra,
    )


@login_required
@require_http_methods(GET_POST)
def wizard_price(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Step 5: the price and its unit, and the booking rules in sentences."""
    listing = _editable(request, public_id)
    shape: dict[str, Any] = {
        "kind": listing.kind,
        "category": listing.category,
        "categories": [listing.category],
    }
    data = request.POST
    unit = str(data.get("unit") or listing.unit) if request.method == "POST" else listing.unit
    if request.method == "GET" or data.get("action") == "refresh":
        initial = listing_initial(listing) if request.method == "GET" else dict(data.items())
        return _price_page(
            request, listing, StepForm(initial=initial, step="price", unit=unit, **shape), unit
        )
    form = StepForm(data, step="price", unit=unit, **shape)
    if not form.is_valid():
        return _price_page(request, listing, form, unit, status=422)
    saved = _save_step(request, listing, form, "price")
    if isinstance(saved, dict):
        return _price_page(request, listing, form, unit, **saved)
    return _saved(request, listing, saved, "price")


def _availability_page(
    request: HttpRequest,
    listing: Listing,
    plan: Plan,
    *,
    status: int = 200,
    problems: list[str] | None = None,
) -> HttpResponse:
    return _step_page(
        request,
        "availability",
        "availability",
        listing=listing,
        status=status,
        plan=plan,
        weekdays=weekday_choices(),
        problems=problems or [],
    )


@login_required
@require_http_methods(GET_POST)
def wizard_availability(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Step 6, for rentals and services: the weekly plan (and dated exceptions)."""
    listing = _editable(request, public_id)
    if listing.kind not in BOOKABLE:
        return redirect("wizard_preview", public_id=listing.public_id)
    if request.method == "GET":
        return _availability_page(
            request, listing, plan_from_availability(availability_of(listing), listing.timezone)
        )
    plan = plan_from_post(request.POST)
    if request.POST.get("action") != "save":
        return _availability_page(request, listing, plan)
    weekly, exceptions = plan_parse(plan, listing.timezone)
    if plan.has_errors:
        return _availability_page(request, listing, plan, status=422)
    actor = member_of(request)
    try:
        availability_set(actor=actor, public_id=listing.public_id, weekly=weekly, exceptions=exceptions)
        saved = listing_update(
            actor=actor, public_id=listing.public_id, changes={}, wizard_steps=step_number("availability")
        )
    except errors.InvalidInput as error:
        return _availability_page(request, listing, plan, status=422, problems=plan_add_error(plan, error))
    except errors.DomainError as error:
        return _availability_page(request, listing, plan, status=error.status, problems=[error.message])
    return _saved(request, listing, saved, "availability")


@login_required
@require_http_methods(GET_POST)
def availability_moved(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The old availability page edited the same weekly plan and exceptions with the same form:
    it is now this step. A form posted from a page drawn before the move is sent on (307 keeps
    the method and body), so it still saves."""
    listing = _own(request, public_id)
    return redirect(
        "wizard_availability", public_id=listing.public_id, preserve_request=request.method == "POST"
    )


@login_required
@require_http_methods(["GET"])
def wizard_preview(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Step 7: the listing page as a visitor will see it, and the button that publishes it."""
    listing = _editable(request, public_id)
    ready = listing.wizard_steps is None or listing.wizard_steps >= PRICED
    return listing_page(
        request,
        listing,
        is_author=False,
        preview={"steps": steps_of(listing, "preview"), "ready": ready},
        approval_required=policy().approval_required,
    )


@login_required
@require_POST
def wizard_publish(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Publish the draft through the catalog (or send it for review), or save a published one."""
    listing = _editable(request, public_id)
    if listing.wizard_steps is not None and listing.wizard_steps < PRICED:
        messages.error(request, _("Set the price before you publish."))
        return redirect("wizard_price", public_id=listing.public_id)
    try:
        listing = listing_update(
            actor=member_of(request),
            public_id=listing.public_id,
            changes={"status": "published"},
            wizard_steps=len(STEPS),  # through every step: "Edit" opens its overview from now on
        )
    except errors.DomainError as error:
        messages.error(request, error.message)
        return redirect("wizard_preview", public_id=listing.public_id)
    if listing.status == Listing.Status.PENDING_APPROVAL:
        messages.success(request, _("Sent for review. We will let you know when it is live."))
    else:
        messages.success(request, _("Your listing is live."))
    return redirect("listing_detail", public_id=listing.public_id)


@login_required
@require_POST
def wizard_unpublish(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Take a published (or waiting) listing back down to a draft, seen by its author only."""
    listing = _editable(request, public_id)
    try:
        listing_update(actor=member_of(request), public_id=listing.public_id, changes={"status": "draft"})
    except errors.DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your listing is a draft again. Only you can see it."))
    return redirect("listing_edit", public_id=listing.public_id)


def _price_rows(listing: Listing) -> list[tuple[str, str]]:
    shape: dict[str, Any] = {"kind": listing.kind, "category": listing.category}
    form = StepForm(
        initial=listing_initial(listing),
        step="price",
        unit=listing.unit,
        categories=[listing.category],
        **shape,
    )
    price = f"{money(listing.price_amount_minor, listing.currency)} · {listing.get_unit_display()}"
    rows = [(str(_("Price")), price)]
    return rows + field_rows(form, skip=("price", "currency", "unit"))


@login_required
@require_GET
def wizard_overview(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """ "Edit": each step of the listing with what it holds now, a "Change" link to each, and
    its status (publish, take down, close)."""
    listing = _own(request, public_id)
    if listing.status == Listing.Status.CLOSED:
        messages.info(request, _("This listing is closed and can no longer be changed."))
        return redirect("listing_detail", public_id=listing.public_id)
    if not editing(listing):
        return redirect("wizard_resume", public_id=listing.public_id)
    bookable = listing.kind in BOOKABLE
    return _step_page(
        request,
        "overview",
        "overview",
        listing=listing,
        attributes=attribute_rows(listing),
        photos=list(listing.photos.all()),
        price_rows=_price_rows(listing),
        weekly=weekly_summary(availability_of(listing)) if bookable else None,
        ready=listing.wizard_steps is None or listing.wizard_steps >= PRICED,
        approval_required=policy().approval_required,
    )

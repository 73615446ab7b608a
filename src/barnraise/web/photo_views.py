"""The author's photo manager: upload, delete and reorder a listing's photos.

Reordering needs no JavaScript: each "move" button posts the whole new order, worked out when
the page was drawn.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from barnraise import errors
from barnraise.catalog.models import Listing, Photo
from barnraise.catalog.photos import ALT_TEXT_MAX, photo_add, photo_delete, photos_reorder
from barnraise.web.listing_views import _own
from barnraise.web.views import member_of


@dataclass
class PhotoRow:
    photo: Photo
    up: str  # the order with this photo one place earlier, or "" when it is first
    down: str


def _rows(photos: list[Photo]) -> list[PhotoRow]:
    ids = [str(p.id) for p in photos]
    rows = []
    for i, photo in enumerate(photos):
        up, down = "", ""
        if i > 0:
            moved = ids[:]
            moved[i - 1], moved[i] = moved[i], moved[i - 1]
            up = ",".join(moved)
        if i < len(ids) - 1:
            moved = ids[:]
            moved[i + 1], moved[i] = moved[i], moved[i + 1]
            down = ",".join(moved)
        rows.append(PhotoRow(photo, up, down))
    return rows


def _page(request: HttpRequest, listing: Listing, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "listing": listing,
        "rows": _rows(list(listing.photos.all())),
        "alt_max": ALT_TEXT_MAX,
        "errors": {},
        "alt_text": "",
        **extra,
    }
    return render(request, "web/listings/photos.html", context, status=status)


@login_required
@require_GET
def photo_manager(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _page(request, _own(request, public_id))


def _upload_errors(error: errors.DomainError) -> dict[str, list[str]]:
    if isinstance(error, errors.InvalidInput) and isinstance(error.details, dict):
        return {str(k): [str(m) for m in v] for k, v in error.details.items()}
    return {"image": [error.message]}


@login_required
@require_POST
def photo_upload(request: HttpRequest, public_id: UUID) -> HttpResponse:
    listing = _own(request, public_id)
    upload = request.FILES.get("image")
    alt_text = request.POST.get("alt_text", "")
    if upload is None:
        found = {"image": [_("Choose a photo to upload.")]}
        return _page(request, listing, status=422, errors=found, alt_text=alt_text)
    try:
        photo_add(actor=member_of(request), public_id=listing.public_id, upload=upload, alt_text=alt_text)
    except errors.DomainError as error:
        return _page(request, listing, status=error.status, errors=_upload_errors(error), alt_text=alt_text)
    messages.success(request, _("The photo is added."))
    return redirect("listing_photos", public_id=listing.public_id)


def _said(error: errors.DomainError) -> str:
    """One line for a message at the top: the field details when there are some."""
    found = _upload_errors(error)
    return " ".join(m for messages_ in found.values() for m in messages_) or error.message


@login_required
@require_POST
def photo_remove(request: HttpRequest, public_id: UUID, photo_id: UUID) -> HttpResponse:
    listing = _own(request, public_id)
    try:
        photo_delete(actor=member_of(request), public_id=listing.public_id, photo_id=photo_id)
    except errors.DomainError as error:
        messages.error(request, _said(error))
    else:
        messages.success(request, _("The photo is deleted."))
    return redirect("listing_photos", public_id=listing.public_id)


@login_required
@require_POST
def photo_order(request: HttpRequest, public_id: UUID) -> HttpResponse:
    listing = _own(request, public_id)
    order = [part.strip() for part in request.POST.get("order", "").split(",") if part.strip()]
    try:
        photos_reorder(actor=member_of(request), public_id=listing.public_id, photo_ids=order)
    except errors.DomainError as error:
        messages.error(request, _said(error))
    else:
        messages.success(request, _("The order is saved. The first photo is the cover."))
    return redirect("listing_photos", public_id=listing.public_id)

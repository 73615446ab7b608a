"""The listing wizard's photo step: several photos uploaded at once, put in order (dragged on
a desktop, moved with buttons or by touch on a phone), one made the cover, some removed. It is
the one place the site edits a listing's photos: the old photo manager's addresses
(`/listings/<id>/photos/...`) send the author here.

Each photo has an optional short description (its alt text; the listing's title stands in when
it is empty), typed beside it: every button of the list's form saves the descriptions first.

Without JavaScript every button works on its own: each "move" or "cover" button posts the whole
new order, worked out when the page was drawn. The
script (static/web/photo-order.js) lets the rows be dragged and then posts the order it shows.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from barnraise import errors
from barnraise.catalog.models import Listing, Photo
from barnraise.catalog.photos import ALT_TEXT_MAX, photo_add, photo_delete, photo_describe, photos_reorder
from barnraise.catalog.services import listing_update, policy
from barnraise.web.listing_views import _own
from barnraise.web.views import member_of
from barnraise.web.wizard_forms import step_number
from barnraise.web.wizard_views import _editable, _saved, _step_page


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


def _said(error: errors.DomainError) -> str:
    """One line for the page: the field details when there are some, else the message."""
    if isinstance(error, errors.InvalidInput) and isinstance(error.details, dict):
        found = [str(m) for messages_ in error.details.values() for m in messages_]
        return " ".join(found) or error.message
    return error.message


def _cover_orders(photos: list[Photo]) -> list[str]:
    """For each photo, the order that makes it the cover (the others keep theirs)."""
    ids = [str(p.id) for p in photos]
    return [",".join([pid, *(other for other in ids if other != pid)]) for pid in ids]


def _page(request: HttpRequest, listing: Listing, *, status: int = 200, **extra: Any) -> HttpResponse:
    photos = list(listing.photos.all())
    rows = list(zip(_rows(photos), _cover_orders(photos), strict=True))
    context = {
        "rows": rows,
        "order": ",".join(str(p.id) for p in photos),
        "alt_max": ALT_TEXT_MAX,
        "max_photos": policy().max_photos,
        "problems": [],
        **extra,
    }
    return _step_page(request, "photos", "photos", listing=listing, status=status, **context)


@login_required
@require_GET
def wizard_photos(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _page(request, _editable(request, public_id))


@login_required
@require_POST
def wizard_photos_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Each chosen file is checked and added in turn; the ones refused are named with why."""
    listing = _editable(request, public_id)
    uploads = request.FILES.getlist("images")
    if not uploads:
        return _page(request, listing, status=422, problems=[_("Choose one or more photos to upload.")])
    added, problems, status = 0, [], 200
    for upload in uploads:
        try:
            photo_add(actor=member_of(request), public_id=listing.public_id, upload=upload)
        except errors.DomainError as error:
            problems.append(f"{upload.name}: {_said(error)}")
            status = error.status
        else:
            added += 1
    if problems:
        if added:
            problems.insert(0, ngettext("%d photo is added.", "%d photos are added.", added) % added)
        return _page(request, listing, status=status, problems=problems)
    messages.success(request, ngettext("%d photo is added.", "%d photos are added.", added) % added)
    return redirect("wizard_photos", public_id=listing.public_id)


def _describe(request: HttpRequest, listing: Listing) -> tuple[list[str], int]:
    """The descriptions posted beside the photos (`alt_<photo id>`), each saved through the
    photo door when it changed: the problems, and the page's status."""
    problems, status = [], 200
    for position, photo in enumerate(listing.photos.all(), start=1):
        posted = request.POST.get(f"alt_{photo.id}")
        if posted is None or " ".join(posted.split()) == photo.alt_text:
            continue
        try:
            photo_describe(
                actor=member_of(request), public_id=listing.public_id, photo_id=photo.id, alt_text=posted
            )
        except errors.DomainError as error:
            problems.append(_("Photo %(n)d: %(why)s") % {"n": position, "why": _said(error)})
            status = error.status
    return problems, status


@login_required
@require_POST
def wizard_photos_order(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The photos' descriptions, then a new order (from a move or cover button, or a drag), or
    "save" (the descriptions alone), or "continue" to the next step."""
    listing = _editable(request, public_id)
    problems, status = _describe(request, listing)
    if problems:
        return _page(request, listing, status=status, problems=problems)
    action = request.POST.get("action")
    if action == "continue":
        try:
            saved = listing_update(
                actor=member_of(request),
                public_id=listing.public_id,
                changes={},
                wizard_steps=step_number("photos"),
            )
        except errors.DomainError as error:
            return _page(request, listing, status=error.status, problems=[error.message])
        return _saved(request, listing, saved, "photos")
    if action == "save":
        messages.success(request, _("The descriptions are saved."))
        return redirect("wizard_photos", public_id=listing.public_id)
    order = [part.strip() for part in request.POST.get("order", "").split(",") if part.strip()]
    try:
        photos_reorder(actor=member_of(request), public_id=listing.public_id, photo_ids=order)
    except errors.DomainError as error:
        return _page(request, listing, status=error.status, problems=[_said(error)])
    messages.success(request, _("The order is saved. The first photo is the cover."))
    return redirect("wizard_photos", public_id=listing.public_id)


@login_required
@require_POST
def wizard_photo_remove(request: HttpRequest, public_id: UUID, photo_id: UUID) -> HttpResponse:
    listing = _editable(request, public_id)
    try:
        photo_delete(actor=member_of(request), public_id=listing.public_id, photo_id=photo_id)
    except errors.DomainError as error:
        return _page(request, listing, status=error.status, problems=[_said(error)])
    messages.success(request, _("The photo is removed."))
    return redirect("wizard_photos", public_id=listing.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def photos_moved(request: HttpRequest, public_id: UUID, photo_id: UUID | None = None) -> HttpResponse:
    """The old photo manager (its page, and its add, order and delete forms): the author is sent
    to the photo step, which does all it did but for a closed listing's photos (the wizard
    refuses closed listings; the API still deletes their photos). A form posted from a page drawn
    before the move changes nothing (the step's forms differ) and is told so, by a 303 to the step."""
    listing = _own(request, public_id)
    if request.method == "POST":
        messages.info(request, _("Photos are now edited here. Nothing was changed: please try again."))
        moved = HttpResponseRedirect(reverse("wizard_photos", args=[listing.public_id]))
        moved.status_code = 303  # See Other: the step is fetched, the old form is not sent again
        return moved
    return redirect("wizard_photos", public_id=listing.public_id)

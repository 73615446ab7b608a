"""Writes for listing photos: add, describe, delete, reorder.

A photo's files are written only once the upload has passed every check, and outside any lock
(storage may be a network service). If the database write then fails, the files are deleted
again; a deleted photo's files go only after its row is gone for good (on commit).
"""

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.catalog import services
from barnraise.catalog.models import Listing, Photo
from barnraise.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TooManyPhotos
from barnraise.images import IngestedImage, Size, Upload, image_ingest

PHOTO_SIZES = {"image": Size(2000), "thumbnail": Size(480)}
ALT_TEXT_MAX = 200


def _own_listing(actor: User, public_id: Any, *, lock: bool) -> Listing:
    """The actor's listing: 404 when the actor may not even see it, 403 when it is someone else's."""
    rows = Listing.objects.select_for_update() if lock else Listing.objects.all()
    listing = rows.filter(public_id=public_id).first()
    if listing is None or (listing.author_id != actor.pk and listing.status != Listing.Status.PUBLISHED):
        raise NotFound()
    if listing.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can change a listing's photos."))
    return listing


def _require_open(listing: Listing) -> None:
    if listing.status == Listing.Status.CLOSED:
        raise Conflict(_("This listing is closed."))


def _require_room(listing: Listing, limit: int) -> None:
    if Photo.objects.filter(listing=listing).count() >= limit:
        raise TooManyPhotos(details={"limit": limit})


def _clean_alt_text(alt_text: str) -> str:
    alt_text = " ".join(alt_text.split())
    if len(alt_text) > ALT_TEXT_MAX:
        raise InvalidInput(details={"alt_text": [_("Use at most %d characters.") % ALT_TEXT_MAX]})
    return alt_text


def _touch(listing: Listing, actor: User) -> None:
    Listing.objects.filter(pk=listing.pk).update(updated_at=timezone.now())
    services.listing_photos_changed(listing=listing, actor=actor)


def _delete_files(*files: FieldFile) -> None:
    for file in files:
        if file.name:
            file.storage.delete(file.name)


def photo_add(*, actor: User, public_id: Any, upload: Upload, alt_text: str = "") -> Photo:
    """Add a photo to the actor's open listing, re-encoded without metadata, with a thumbnail.

    Refusals (403/404, 409 closed or `too_many_photos`, 413 `file_too_large`, 422
    `invalid_image`) write nothing. An approved listing goes back to the approval queue when
    the marketplace reviews listings.
    """
    alt_text = _clean_alt_text(alt_text)
    current = services.policy()
    # Cheap checks first, so a stranger or a full listing never makes us decode an image.
    listing = _own_listing(actor, public_id, lock=False)
    _require_open(listing)
    _require_room(listing, current.max_photos)
    ingested = image_ingest(upload, max_bytes=current.max_photo_bytes, sizes=PHOTO_SIZES)
    photo = _photo_with_files(listing, ingested, alt_text)
    try:
        with transaction.atomic(durable=True):
            listing = _own_listing(actor, public_id, lock=True)  # again: things may have moved
            _require_open(listing)
            _require_room(listing, current.max_photos)
            last = Photo.objects.filter(listing=listing).aggregate(last=Max("position"))["last"]
            photo.position = 0 if last is None else last + 1
            photo.save(force_insert=True)
            _touch(listing, actor)
    except BaseException:
        _delete_files(photo.image, photo.thumbnail)
        raise
    return photo


def _photo_with_files(listing: Listing, ingested: IngestedImage, alt_text: str) -> Photo:
    """An unsaved Photo whose two files are already in storage."""
    image, thumbnail = ingested["image"], ingested["thumbnail"]
    photo = Photo(
        listing_id=listing.pk,
        width=image.width,
        height=image.height,
        alt_text=alt_text,
        created_at=timezone.now(),
    )
    photo.image.save(image.content.name or "photo.jpg", image.content, save=False)
    try:
        photo.thumbnail.save(thumbnail.content.name or "thumb.jpg", thumbnail.content, save=False)
    except BaseException:
        _delete_files(photo.image)
        raise
    return photo


def photo_describe(*, actor: User, public_id: Any, photo_id: Any, alt_text: str) -> Photo:
    """Set a photo's short description (its alt text; empty means the listing's title stands in).

    A new description on an approved listing sends it back for review (when the marketplace
    reviews listings), as any change to its photos does; the same text again changes nothing.
    """
    alt_text = _clean_alt_text(alt_text)
    with transaction.atomic(durable=True):
        listing = _own_listing(actor, public_id, lock=True)
        _require_open(listing)
        photo = Photo.objects.filter(listing=listing, id=photo_id).first()
        if photo is None:
            raise NotFound()
        if photo.alt_text != alt_text:
            photo.alt_text = alt_text
            photo.save(update_fields=["alt_text"])
            _touch(listing, actor)
    return photo


def photo_delete(*, actor: User, public_id: Any, photo_id: Any) -> None:
    """Remove a photo from the actor's listing (closed ones too); its files go after commit."""
    with transaction.atomic(durable=True):
        listing = _own_listing(actor, public_id, lock=True)
        photo = Photo.objects.filter(listing=listing, id=photo_id).first()
        if photo is None:
            raise NotFound()
        photo.delete()
        _touch(listing, actor)
        transaction.on_commit(partial(_delete_files, photo.image, photo.thumbnail))


def photos_reorder(*, actor: User, public_id: Any, photo_ids: list[Any]) -> list[Photo]:
    """Put the listing's photos in the given order; `photo_ids` names each of them once.

    The first is the cover. A new order on an approved listing sends it back for review
    (when the marketplace reviews listings); the same order again changes nothing.
    """
    with transaction.atomic(durable=True):
        listing = _own_listing(actor, public_id, lock=True)
        _require_open(listing)
        photos = list(Photo.objects.filter(listing=listing))
        by_id = {str(photo.id): photo for photo in photos}
        wanted = [str(photo_id) for photo_id in photo_ids]
        if sorted(wanted) != sorted(by_id):
            raise InvalidInput(details={"photo_ids": [_("Name each of the listing's photos exactly once.")]})
        moved = [by_id[pid] for position, pid in enumerate(wanted) if by_id[pid].position != position]
        for position, pid in enumerate(wanted):
            by_id[pid].position = position
        if moved:
            Photo.objects.bulk_update(moved, ["position"])
        if wanted != [str(photo.id) for photo in photos]:  # photos came in (position, id) order
            _touch(listing, actor)
    return [by_id[pid] for pid in wanted]


def photos_delete_for(user: User) -> None:
    """Account deletion: the member's photos are personal; rows go now, files after commit."""
    photos = list(Photo.objects.filter(listing__author=user))
    Photo.objects.filter(pk__in=[photo.pk for photo in photos]).delete()
    for photo in photos:
        transaction.on_commit(partial(_delete_files, photo.image, photo.thumbnail))

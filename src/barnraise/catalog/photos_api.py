"""Listing photos through the API: upload (multipart), delete, reorder. Author only."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Status, UploadedFile

from barnraise.api.auth import caller
from barnraise.api.schemas import ErrorOut, InputSchema
from barnraise.catalog import photos
from barnraise.catalog.models import Photo
from barnraise.catalog.schemas import PhotoOut

photos_router = Router(tags=["listings"])


class PhotoOrderIn(InputSchema):
    photo_ids: list[UUID] = Field(max_length=100, description="Every photo of the listing, cover first.")


def photo_out(photo: Photo) -> dict[str, Any]:
    return {
        "id": photo.id,
        "url": photo.image.url,
        "thumbnail_url": photo.thumbnail.url,
        "width": photo.width,
        "height": photo.height,
        "alt_text": photo.alt_text,
    }


@photos_router.post(
    "/{listing_id}/photos",
    response={201: PhotoOut, 409: ErrorOut},
    summary="Add a photo to your listing",
)
def photo_add(
    request: HttpRequest,
    listing_id: UUID,
    file: File[UploadedFile],
    alt_text: Form[str] = "",
) -> Status[dict[str, Any]]:
    """Send `multipart/form-data` with `file` (JPEG, PNG, WebP or GIF) and an optional
    `alt_text` (at most 200 characters). The image is re-encoded as JPEG, turned upright, and
    stripped of all metadata (GPS included); a thumbnail is made. An approved listing goes back
    to the approval queue when the marketplace reviews listings.

    Errors: 409 when the listing is closed, or `too_many_photos` (`details.limit`); 413
    `file_too_large` over the marketplace's limit (`details.limit`, bytes); 422 `image_too_large`
    over 25 megapixels (width × height, read from the header; `details.max_pixels`), 422
    `invalid_image` for anything that is not a whole JPEG, PNG, WebP or GIF."""
    photo = photos.photo_add(actor=caller(request), public_id=listing_id, upload=file, alt_text=alt_text)
    return Status(201, photo_out(photo))


@photos_router.put(
    "/{listing_id}/photos/order",
    response={200: list[PhotoOut], 409: ErrorOut},
    summary="Reorder your listing's photos",
)
def photos_reorder(request: HttpRequest, listing_id: UUID, data: PhotoOrderIn) -> list[dict[str, Any]]:
    """Name every photo of the listing once; the first becomes the cover. 409 when closed."""
    ordered = photos.photos_reorder(actor=caller(request), public_id=listing_id, photo_ids=data.photo_ids)
    return [photo_out(photo) for photo in ordered]


@photos_router.delete(
    "/{listing_id}/photos/{photo_id}",
    response={204: None},
    summary="Remove a photo from your listing",
)
def photo_delete(request: HttpRequest, listing_id: UUID, photo_id: UUID) -> Status[None]:
    photos.photo_delete(actor=caller(request), public_id=listing_id, photo_id=photo_id)
    return Status(204, None)

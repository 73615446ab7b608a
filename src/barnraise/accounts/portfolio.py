"""Portfolios: pieces of work with images, a description, and an optional link to a deal.

A piece linked to a completed deal the member provided is shown as verified work. Accounts
imports no other context, so the check is a hook the deal-owning side registers:

    portfolio.register_work_verifier(reputation.selectors.work_is_verified)
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from barnraise.accounts.models import PortfolioImage, PortfolioItem, User
from barnraise.accounts.verification import files_delete
from barnraise.errors import Conflict, InvalidInput, NotFound
from barnraise.images import Size, Upload, image_ingest

WorkVerifier = Callable[[User, Any], bool]
_verifiers: list[WorkVerifier] = []

MAX_ITEMS = 50
MAX_IMAGES = 8
IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGE_SIZES = {"image": Size(2000), "thumbnail": Size(480)}


def register_work_verifier(verifier: WorkVerifier) -> None:
    if verifier not in _verifiers:
        _verifiers.append(verifier)


def _clean(title: Any, description: Any, url: Any) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    title = " ".join(str(title or "").split())
    if not title or len(title) > 200:
        errors["title"] = [_("Give a title of 1 to 200 characters.")]
    description = str(description or "").strip()
    if len(description) > 5000:
        errors["description"] = [_("Use at most 5,000 characters.")]
    url = str(url or "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors["url"] = [_("Give a whole http(s) address.")]
        if len(url) > 500:
            errors["url"] = [_("Use at most 500 characters.")]
    if errors:
        raise InvalidInput(details=errors)
    return {"title": title, "description": description, "url": url}


def portfolio_item_create(
    *, actor: User, title: Any, description: Any = "", url: Any = "", transaction_id: Any = None
) -> PortfolioItem:
    """Add a piece of work. With `transaction_id`, it must be a completed deal the member
    provided: it is then verified work."""
    fields = _clean(title, description, url)
    verified = False
    if transaction_id is not None:
        verified = any(verify(actor, transaction_id) for verify in _verifiers)
        if not verified:
            raise InvalidInput(
                details={"transaction_id": [_("Link a completed deal in which you were the provider.")]}
            )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()
        if PortfolioItem.objects.filter(user=actor).count() >= MAX_ITEMS:
            raise Conflict(_("A portfolio holds at most %d pieces.") % MAX_ITEMS)
        return PortfolioItem.objects.create(
            user=actor, transaction_id=transaction_id, verified=verified, **fields
        )


def _own_item(actor: User, item_id: Any) -> PortfolioItem:
    item = PortfolioItem.objects.filter(pk=item_id, user=actor).first()
    if item is None:
        raise NotFound()
    return item


def portfolio_item_delete(*, actor: User, item_id: Any) -> None:
    item = _own_item(actor, item_id)
    with transaction.atomic():
        files = [(i.image, i.thumbnail) for i in item.images.all()]
        item.delete()
        transaction.on_commit(partial(files_delete, [f for pair in files for f in pair]))


def portfolio_image_add(*, actor: User, item_id: Any, upload: Upload) -> PortfolioImage:
    """Add a photo to a piece: checked, re-encoded without metadata, with a thumbnail."""
    item = _own_item(actor, item_id)
    ingested = image_ingest(upload, max_bytes=IMAGE_MAX_BYTES, sizes=IMAGE_SIZES)
    with transaction.atomic():
        PortfolioItem.objects.select_for_update().filter(pk=item.pk).first()
        count = item.images.count()
        if count >= MAX_IMAGES:
            raise Conflict(_("A piece holds at most %d images.") % MAX_IMAGES)
        image = PortfolioImage(item=item, position=count)
        image.image.save(ingested["image"].content.name or "image.jpg", ingested["image"].content, save=False)
        thumb = ingested["thumbnail"].content
        image.thumbnail.save(thumb.name or "thumb.jpg", thumb, save=False)
        image.save()
    return image


def portfolio_of(*, user: User) -> QuerySet[PortfolioItem]:
    """Verified work first, then the newest."""
    return PortfolioItem.objects.filter(user=user).prefetch_related("images").order_by("-verified", "-id")

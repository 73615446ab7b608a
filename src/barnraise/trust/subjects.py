"""What can be reported, and how each kind is found for the member who reports it.

Listings and members are resolved here; contexts that own other reportable things (messaging's
messages) register a resolver in their `AppConfig.ready()`, so trust imports none of them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.catalog.selectors import listing_visible
from barnraise.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Subject:
    member: User  # who is reported
    subject_id: str
    evidence: str  # the text as it stands now, kept with the report
    url: str = ""


Resolver = Callable[..., Subject]  # (*, actor: User, subject_id: UUID) -> Subject or NotFound
_resolvers: dict[str, Resolver] = {}


def register(kind: str, resolver: Resolver) -> None:
    _resolvers[kind] = resolver


def resolve(kind: str, *, actor: User, subject_id: Any) -> Subject:
    try:
        parsed = UUID(str(subject_id))
    except ValueError as exc:
        raise InvalidInput(details={"subject_id": [_("This is not a valid id.")]}) from exc
    resolver = _resolvers.get(kind)
    if resolver is None:
        raise InvalidInput(details={"subject": [_("This cannot be reported.")]})
    return resolver(actor=actor, subject_id=parsed)


def listing_subject(*, actor: User, subject_id: UUID) -> Subject:
    listing = listing_visible(public_id=subject_id, viewer=actor)
    return Subject(
        member=listing.author,
        subject_id=str(listing.public_id),
        evidence=f"{listing.title}\n\n{listing.description}",
        url=f"/listings/{listing.public_id}/",
    )


def member_subject(*, actor: User, subject_id: UUID) -> Subject:
    member = User.objects.filter(pk=subject_id, is_active=True, deleted_at=None).first()
    if member is None:
        raise NotFound()
    return Subject(
        member=member,
        subject_id=str(member.pk),
        evidence=f"{member.name}\n\n{member.bio}",
        url=f"/members/{member.pk}/",
    )


register("listing", listing_subject)
register("member", member_subject)

"""Writes for search: saved searches and the daily alert digest."""

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts.models import User
from barnraise.catalog.models import Listing
from barnraise.errors import InvalidInput, NotFound
from barnraise.search import query as search_query
from barnraise.search.models import SavedSearch
from barnraise.search.selectors import listings_search

MAX_SAVED = 50
DIGEST_LIMIT = 10  # listings named in one email; the page shows the rest


def saved_search_create(
    *, actor: User, name: str, params: dict[str, str], alerts: bool = True
) -> SavedSearch:
    """Save a search. Only listings published from now on trigger its alerts."""
    clean = {k: str(v) for k, v in params.items() if k not in ("cursor", "limit", "sort")}
    search_query.parse(clean)  # refuses what search would refuse, naming the parameter
    if not name.strip():
        raise InvalidInput(details={"name": [_("Give the search a name.")]})
    if SavedSearch.objects.filter(user=actor).count() >= MAX_SAVED:
        raise InvalidInput(details={"name": [_("You can keep at most %d saved searches.") % MAX_SAVED]})
    newest = Listing.objects.aggregate(top=Max("id"))["top"] or 0
    return SavedSearch.objects.create(
        user=actor, name=name.strip()[:100], params=clean, alerts=alerts, last_listing_id=newest
    )


def saved_search_delete(*, actor: User, saved_search_id: Any) -> None:
    deleted, _detail = SavedSearch.objects.filter(id=saved_search_id, user=actor).delete()
    if not deleted:
        raise NotFound()


def saved_search_digest(*, saved_search_id: Any) -> int:
    """Tell the member about listings new since the last run that match. Idempotent per run."""
    from barnraise.notifications.services import notification_send

    with transaction.atomic():
        saved = SavedSearch.objects.select_for_update().select_related("user").get(id=saved_search_id)
        if not saved.alerts or not saved.user.is_active:
            return 0
        newest = Listing.objects.aggregate(top=Max("id"))["top"] or 0
        parsed = search_query.parse({**saved.params, "sort": "newest", "limit": "100"})
        results = listings_search(parsed)
        fresh = [h.listing for h in results.hits if h.listing.id > saved.last_listing_id]
        saved.last_listing_id = max(newest, saved.last_listing_id)
        saved.last_run_at = timezone.now()
        saved.save(update_fields=["last_listing_id", "last_run_at"])
        if fresh:
            notification_send(
                recipient=saved.user,
                kind="saved_search_digest",
                context={"saved": saved, "listings": fresh[:DIGEST_LIMIT], "count": len(fresh)},
                url=f"/search/?saved={saved.id}",
            )
    return len(fresh)


def saved_searches_delete_for(user: User) -> None:
    SavedSearch.objects.filter(user=user).delete()

"""Worker tasks for search: the daily saved-search digest."""

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from barnraise.search import services
from barnraise.search.models import SavedSearch


@task()
def saved_search_digest(*, saved_search_id: str) -> None:
    services.saved_search_digest(saved_search_id=saved_search_id)


@db_periodic_task(crontab(hour="7", minute="0"))
def saved_search_digests_daily() -> None:
    """Each morning (UTC), one task per saved search with alerts on."""
    for saved_id in SavedSearch.objects.filter(alerts=True).values_list("id", flat=True).iterator():
        saved_search_digest.enqueue(saved_search_id=str(saved_id))

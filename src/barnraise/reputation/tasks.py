"""Worker tasks for reputation: the nightly refresh of stored scores."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from barnraise.reputation import services


@db_periodic_task(crontab(hour="3", minute="30"))
def reputations_refresh_nightly() -> None:
    services.reputations_refresh()

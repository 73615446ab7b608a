"""Worker tasks for the API layer."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from barnraise.api import idempotency


@db_periodic_task(crontab(minute="17"))
def idempotency_records_expire() -> None:
    idempotency.records_expire()

"""Worker tasks for notifications. Thin: load by id, call a service, safe to retry."""

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from barnraise.notifications import services


@task()
def email_deliver(*, email_id: str) -> None:
    services.email_deliver_now(email_id=email_id)


@db_periodic_task(crontab(minute="*"))
def emails_requeue_pending() -> None:
    services.emails_requeue_pending()

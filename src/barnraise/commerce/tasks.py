"""Worker tasks for commerce: the timer sweeper, evidence pages. Thin and safe to retry."""

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from barnraise.commerce import disputes, timers


@task()
def evidence_pages_render(*, evidence_id: str) -> None:
    """A PDF given as evidence, its pages rendered to images."""
    disputes.evidence_pages_render(evidence_id=evidence_id)


@db_periodic_task(crontab(minute="*"))
def timers_sweep() -> None:
    """Fire due timers every minute (the event log has its own sweep)."""
    timers.sweep()

"""Worker tasks for commerce: the event pump and the timer sweeper. Thin and safe to retry."""

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from barnraise.commerce import events, timers


@task()
def events_pump() -> None:
    events.pump()


@db_periodic_task(crontab(minute="*"))
def timers_sweep() -> None:
    """Fire due timers every minute; also pumps events a lost message left behind."""
    timers.sweep()
    events.pump()

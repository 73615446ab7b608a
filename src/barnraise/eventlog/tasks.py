"""Worker tasks for the event log: the pump (sequence, then feed the consumers). Thin and safe
to retry; the minute sweep (`events_sweep`) catches a pump a lost message left behind."""

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from barnraise.eventlog import sequencer


@task()
def events_pump() -> None:
    sequencer.pump()


@db_periodic_task(crontab(minute="*"))
def events_sweep() -> None:
    sequencer.pump()

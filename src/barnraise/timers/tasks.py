"""Worker task for timers: the sweeper. Thin and safe to retry."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from barnraise.timers import services


@db_periodic_task(crontab(minute="*"))
def timers_sweep() -> None:
    """Fire due timers every minute."""
    services.sweep()

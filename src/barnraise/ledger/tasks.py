"""Worker tasks for the ledger. Thin and safe to retry."""

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from barnraise.ledger import journal, payments, payouts, webhooks


@db_periodic_task(crontab(minute="*/5"))
def balances_snapshot() -> None:
    """Snapshot the balances of accounts that moved, so balances and the trial balance stay fast."""
    journal.balances_snapshot()


@task()
def provider_call_run(call_id: str) -> None:
    """Make one provider call, after the commit that wrote it; safe to run twice."""
    payments.provider_call_make(call_id=call_id)


@db_periodic_task(crontab(minute="*"))
def provider_calls_sweep() -> None:
    """Retry provider calls left pending for a minute (same key) and report finished ones."""
    payments.provider_calls_sweep()


@db_periodic_task(crontab(hour="6", minute="0"))
def payouts_scheduled() -> None:
    """Every morning (UTC): the payouts due today by each member's schedule (weekly on
    Mondays, monthly on the 1st); members with a ready account and no hold."""
    payouts.payouts_due()


@task()
def webhook_event_run(event_pk: int) -> None:
    """Process one stored provider webhook event, after the commit that stored it."""
    webhooks.webhook_event_process(event_pk=event_pk)


@db_periodic_task(crontab(minute="*"))
def webhook_events_sweep() -> None:
    """Process again the webhook events left unprocessed for a minute (a handler failed)."""
    webhooks.webhook_events_sweep()

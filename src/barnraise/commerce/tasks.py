"""Worker tasks for commerce: evidence pages. Thin and safe to retry. (The timer sweeper is
`timers.tasks.timers_sweep`; the event log has its own sweep.)"""

from django_tasks import task

from barnraise.commerce import disputes


@task()
def evidence_pages_render(*, evidence_id: str) -> None:
    """A PDF given as evidence, its pages rendered to images."""
    disputes.evidence_pages_render(evidence_id=evidence_id)

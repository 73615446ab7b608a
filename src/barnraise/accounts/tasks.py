"""Worker tasks for accounts. Thin: load by id, call a service, safe to retry."""

from django_tasks import task

from barnraise.accounts import verification


@task()
def document_pages_render(*, document_id: str) -> None:
    verification.document_pages_render(document_id=document_id)

"""Events for the doors of apps below the log (accounts), recorded from their signals inside
the transaction of the change (see barnraise.accounts.signals)."""

from typing import Any

from barnraise.eventlog.models import EventType
from barnraise.eventlog.services import Subject, record


def on_document_reviewed(sender: Any, *, document: Any, actor: Any, approved: bool, **_: Any) -> None:
    """A document's review: the console's history of the item and the member's feed read it."""
    record(
        Subject("document", str(document.pk), member_id=document.user_id),
        EventType.DOCUMENT_APPROVED if approved else EventType.DOCUMENT_REJECTED,
        actor=actor,
        payload={"kind": document.kind} | ({} if approved else {"reason": document.reason}),
    )

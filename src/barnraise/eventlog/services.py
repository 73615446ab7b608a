"""Writes to the event log: `record`, called by each door in the transaction of its change."""

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from barnraise.accounts.models import User
from barnraise.eventlog import sequencer
from barnraise.eventlog.models import Event, EventType

TYPE_PATTERN = re.compile(r"[a-z_]+:[a-z_]+:[a-z_]+")


@dataclass(frozen=True)
class Subject:
    """The object that changed: its type ("listing"), its public id, and the member it
    concerns (who sees its events in their feed), if any."""

    type: str
    id: str
    member_id: Any = None


class NotInTransaction(RuntimeError):
    """An event written outside the transaction of its change could outlive a rolled-back
    change, or be lost after a committed one."""


def record(subject: Subject, type: EventType, *, actor: User | None, payload: dict[str, Any]) -> Event:
    """Append one event about `subject`, in the caller's transaction (which must be open).

    Unnumbered until the sequencer runs after commit; nothing else happens before commit."""
    if not connection.in_atomic_block:
        raise NotInTransaction(f"{type}: record events inside the transaction of the change")
    if not TYPE_PATTERN.fullmatch(type):
        raise ValueError(f"{type!r} is not a source:subject:action event type")
    event = Event.objects.create(
        type=type,
        subject_type=subject.type,
        subject_id=subject.id,
        member_id=subject.member_id,
        actor=actor,
        payload=payload,
    )
    transaction.on_commit(sequencer.pump_soon)  # cheap: a burst of commits shares one pump
    return event

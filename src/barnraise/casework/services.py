"""Writes for the operators' queue: take an item, give it back. Each is an event in the log,
on the item itself (subject: its kind and public id), so the item's history shows who worked it."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.casework import selectors
from barnraise.casework.models import Assignment
from barnraise.errors import Conflict, NotFound
from barnraise.eventlog.models import EventType
from barnraise.eventlog.services import Subject, record


def _require_worker(actor: User, kind: str) -> None:
    groups = selectors.KIND_GROUPS.get(kind)
    if groups is None:
        raise NotFound()
    operators.require_operator(actor, *groups)


def assignment_take(*, actor: User, kind: str, item_id: str) -> Assignment:
    """`actor` takes a waiting item. Taking one's own again changes nothing; an item another
    operator holds is a Conflict (they release it first)."""
    _require_worker(actor, kind)
    if not selectors.item_open(kind=kind, item_id=item_id):
        raise NotFound()
    try:
        with transaction.atomic(durable=True):
            held = Assignment.objects.select_for_update().filter(kind=kind, item_id=item_id).first()
            if held is not None:
                if held.operator_id != actor.pk:
                    raise Conflict(_("Another operator is working on this."))
                return held
            assignment = Assignment.objects.create(kind=kind, item_id=item_id, operator=actor)
            record(Subject(kind, item_id), EventType.CASE_TAKEN, actor=actor, payload={})
    except IntegrityError as exc:  # taken by someone else between the read and the insert
        raise Conflict(_("Another operator is working on this.")) from exc
    return assignment


def assignment_release(*, actor: User, kind: str, item_id: str) -> None:
    """The assignee (or an admin) gives the item back to the queue."""
    _require_worker(actor, kind)
    with transaction.atomic(durable=True):
        held = Assignment.objects.select_for_update().filter(kind=kind, item_id=item_id).first()
        if held is None:
            raise NotFound()
        if held.operator_id != actor.pk and not operators.operator_in(actor, operators.ADMIN):
            raise Conflict(_("Only the operator working on this can give it back."))
        held.delete()
        record(
            Subject(kind, item_id),
            EventType.CASE_RELEASED,
            actor=actor,
            payload={"operator": str(held.operator_id)},
        )

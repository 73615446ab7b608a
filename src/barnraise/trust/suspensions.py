"""Writes for suspensions and appeals: a member out of the marketplace, and the way back."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.catalog.services import listings_restore_for_member, listings_withdraw_for_member
from barnraise.errors import InvalidInput, NotFound
from barnraise.notifications.services import notification_send
from barnraise.trust import selectors
from barnraise.trust.errors import AlreadyDecided, AlreadySuspended, AppealPending, Banned, NotSuspended
from barnraise.trust.models import Appeal, Suspension, TrustEventType
from barnraise.trust.records import event_log, strikes_revoke

APPEAL_MAX = 4000
REASON_MAX = 2000


def suspension_start(*, member: User, reason: str, actor: User | None = None) -> Suspension:
    """Suspend a member: their published listings leave search and they are told why.

    Called by strike_issue at the threshold (actor None: the system) or by an operator.
    """
    if actor is not None:
        operators.require_operator(actor, operators.SUPPORT)
    with transaction.atomic():
        suspension = Suspension.objects.create(member=member, reason=reason)
        suspension.withdrawn_listings = listings_withdraw_for_member(member=member, actor=actor)
        suspension.save(update_fields=["withdrawn_listings"])
        event_log(
            member=member,
            type=TrustEventType.SUSPENSION_STARTED,
            actor=actor,
            object_id=suspension.id,
            listings=len(suspension.withdrawn_listings),
        )
        notification_send(
            recipient=member,
            kind="suspension_started",
            context={"reason": reason},
            url="/account/standing/",
        )
    return suspension


def _reason_required(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput(details={"reason": [_("Tell the member why; they will read it.")]})
    if len(reason) > REASON_MAX:
        raise InvalidInput(details={"reason": [_("Use at most %d characters.") % REASON_MAX]})
    return reason


def member_suspend(*, actor: User, member: User, reason: str) -> Suspension:
    """An operator suspends a member, with a reason the member is told (notification and email)."""
    operators.require_operator(actor, operators.SUPPORT)
    reason = _reason_required(reason)
    try:
        with transaction.atomic(durable=True):
            return suspension_start(member=member, reason=reason, actor=actor)
    except IntegrityError as exc:  # one active suspension per member
        raise AlreadySuspended() from exc


def member_ban(*, actor: User, member: User, reason: str) -> Suspension:
    """An operator bans a member: a suspension with no appeal. Their listings leave search at
    once (a suspension already in force becomes the ban, keeping the listings it withdrew)."""
    operators.require_operator(actor, operators.SUPPORT)
    reason = _reason_required(reason)
    with transaction.atomic(durable=True):
        suspension = Suspension.objects.select_for_update().filter(member=member, ended_at=None).first()
        if suspension is None:
            suspension = Suspension.objects.create(member=member, reason=reason, banned=True)
        elif suspension.banned:
            raise AlreadySuspended()
        else:
            suspension.banned, suspension.reason = True, reason
            suspension.save(update_fields=["banned", "reason"])
        withdrawn = listings_withdraw_for_member(member=member, actor=actor)
        suspension.withdrawn_listings = [*suspension.withdrawn_listings, *withdrawn]
        suspension.save(update_fields=["withdrawn_listings"])
        Appeal.objects.filter(suspension=suspension, status=Appeal.Status.OPEN).update(
            status=Appeal.Status.DENIED, decided_at=timezone.now(), decided_by=actor, decision_note=reason
        )
        event_log(
            member=member,
            type=TrustEventType.MEMBER_BANNED,
            actor=actor,
            object_id=suspension.id,
            listings=len(withdrawn),
        )
        notification_send(
            recipient=member, kind="member_banned", context={"reason": reason}, url="/account/standing/"
        )
    return suspension


def member_reinstate(*, actor: User, member: User, reason: str) -> Suspension:
    """An operator ends a member's suspension or ban, with a reason the member is told."""
    operators.require_operator(actor, operators.SUPPORT)
    reason = _reason_required(reason)
    active = selectors.suspension_active(member=member)
    if active is None:
        raise NotSuspended(_("This member is not suspended."))
    return suspension_lift(actor=actor, suspension_id=active.pk, note=reason)


def suspension_lift(*, actor: User, suspension_id: Any, note: str = "") -> Suspension:
    """An operator ends a suspension: the withdrawn listings come back (through approval if required)."""
    operators.require_operator(actor, operators.SUPPORT)
    with transaction.atomic(durable=True):
        suspension = _active_for_update(suspension_id)
        _lift(suspension, actor, note)
        Appeal.objects.filter(suspension=suspension, status=Appeal.Status.OPEN).update(
            status=Appeal.Status.GRANTED, decided_at=timezone.now(), decided_by=actor, decision_note=note
        )
    return suspension


def _active_for_update(suspension_id: Any) -> Suspension:
    suspension = (
        Suspension.objects.select_for_update().select_related("member").filter(pk=suspension_id).first()
    )
    if suspension is None:
        raise NotFound()
    if suspension.ended_at is not None:
        raise AlreadyDecided()
    return suspension


def _lift(suspension: Suspension, actor: User, note: str) -> None:
    suspension.ended_at = timezone.now()
    suspension.ended_by = actor
    suspension.end_note = note.strip()
    suspension.save(update_fields=["ended_at", "ended_by", "end_note"])
    restored = listings_restore_for_member(
        member=suspension.member, listing_ids=suspension.withdrawn_listings, actor=actor
    )
    event_log(
        member=suspension.member,
        type=TrustEventType.SUSPENSION_LIFTED,
        actor=actor,
        object_id=suspension.id,
        listings=restored,
    )
    notification_send(
        recipient=suspension.member,
        kind="suspension_lifted",
        context={"note": suspension.end_note},
        url="/account/standing/",
    )


def appeal_file(*, actor: User, text: str) -> Appeal:
    """A suspended member asks for the suspension to be lifted; one open appeal at a time."""
    text = text.strip()
    if not text:
        raise InvalidInput(details={"text": [_("Tell the operators why the suspension should end.")]})
    if len(text) > APPEAL_MAX:
        raise InvalidInput(details={"text": [_("Use at most %d characters.") % APPEAL_MAX]})
    suspension = selectors.suspension_active(member=actor)
    if suspension is None:
        raise NotSuspended()
    if suspension.banned:
        raise Banned()
    try:
        with transaction.atomic(durable=True):
            appeal = Appeal.objects.create(suspension=suspension, member=actor, text=text)
            event_log(member=actor, type=TrustEventType.APPEAL_FILED, actor=actor, object_id=appeal.id)
    except IntegrityError as exc:
        raise AppealPending() from exc
    return appeal


def appeal_decide(*, actor: User, appeal_id: Any, grant: bool, note: str = "") -> Appeal:
    """An operator decides. Granted: the suspension ends and the strikes behind it are revoked."""
    operators.require_operator(actor, operators.SUPPORT)
    with transaction.atomic(durable=True):
        appeal = Appeal.objects.select_for_update().select_related("member").filter(pk=appeal_id).first()
        if appeal is None:
            raise NotFound()
        if appeal.status != Appeal.Status.OPEN:
            raise AlreadyDecided()
        appeal.status = Appeal.Status.GRANTED if grant else Appeal.Status.DENIED
        appeal.decided_at, appeal.decided_by, appeal.decision_note = timezone.now(), actor, note.strip()
        appeal.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        event_log(
            member=appeal.member,
            type=TrustEventType.APPEAL_GRANTED if grant else TrustEventType.APPEAL_DENIED,
            actor=actor,
            object_id=appeal.id,
        )
        notification_send(
            recipient=appeal.member,
            kind="appeal_decided",
            context={"granted": grant, "note": appeal.decision_note},
            url="/account/standing/",
        )
        if grant:
            suspension = Suspension.objects.select_for_update().get(pk=appeal.suspension_id)
            if suspension.ended_at is None:
                strikes = list(selectors.strikes_active(member=appeal.member).select_related("member"))
                strikes_revoke(strikes=strikes, actor=actor, note=_("Appeal granted."))
                _lift(suspension, actor, note)
    return appeal

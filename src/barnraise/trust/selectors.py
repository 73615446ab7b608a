"""Reads for safety: the policy, a member's standing, the operator queues."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.db import db_uuid, exists
from barnraise.trust.errors import MemberSuspended
from barnraise.trust.models import Appeal, Report, Strike, Suspension, TrustEvent, TrustPolicy, Violation


def policy() -> TrustPolicy:
    current, _created = TrustPolicy.objects.get_or_create(pk=1)
    return current


def strikes_active(*, member: User) -> QuerySet[Strike]:
    """Strikes that still count: not revoked and not yet decayed."""
    return Strike.objects.filter(member=member, revoked_at=None, expires_at__gt=timezone.now())


def suspension_active(*, member: User) -> Suspension | None:
    return Suspension.objects.filter(member=member, ended_at=None).first()


def member_is_suspended(*, member: User) -> bool:
    """Asked on every deal, listing and message, hence hand-written (see barnraise.db.exists)."""
    return exists(
        f"SELECT 1 FROM {Suspension._meta.db_table} WHERE member_id = %s AND ended_at IS NULL",  # noqa: S608 - our names
        [db_uuid(member.pk)],
    )


def member_require_good_standing(user: User) -> None:
    """The accounts.standing guard: a suspended member may not publish or transact."""
    if member_is_suspended(member=user):
        raise MemberSuspended()


def standing_of(*, member: User) -> dict[str, Any]:
    """What a member may know of their own standing."""
    suspension = suspension_active(member=member)
    appeal = Appeal.objects.filter(suspension=suspension).order_by("-id").first() if suspension else None
    return {
        "suspension": suspension,
        "appeal": appeal,
        "strikes": list(strikes_active(member=member).order_by("-issued_at")),
        "strikes_to_suspend": policy().strikes_to_suspend,
        "recent_violations": Violation.objects.filter(member=member).count(),
    }


def reports_open() -> QuerySet[Report]:
    return Report.objects.filter(status=Report.Status.OPEN).order_by("created_at")


def events_of(*, member: User) -> QuerySet[TrustEvent]:
    return TrustEvent.objects.filter(member=member).order_by("-id")


def trust_export_for(user: User) -> dict[str, Any]:
    """The member's part of a data export: what was recorded about them, and their reports."""
    return {
        "violations": [
            {"where": v.where, "kinds": v.kinds, "masked": v.masked, "created_at": v.created_at.isoformat()}
            for v in Violation.objects.filter(member=user).order_by("id")
        ],
        "strikes": [
            {
                "reason": s.reason,
                "issued_at": s.issued_at.isoformat(),
                "expires_at": s.expires_at.isoformat(),
                "revoked": s.revoked_at is not None,
            }
            for s in Strike.objects.filter(member=user).order_by("id")
        ],
        "suspensions": [
            {
                "reason": s.reason,
                "started_at": s.started_at.isoformat(),
                "ended_at": s.ended_at.isoformat() if s.ended_at else None,
            }
            for s in Suspension.objects.filter(member=user).order_by("id")
        ],
        "reports_filed": [
            {"subject": r.subject, "reason": r.reason, "details": r.details, "status": r.status}
            for r in Report.objects.filter(reporter=user).order_by("id")
        ],
        "appeals": [
            {"text": a.text, "status": a.status, "created_at": a.created_at.isoformat()}
            for a in Appeal.objects.filter(member=user).order_by("id")
        ],
    }

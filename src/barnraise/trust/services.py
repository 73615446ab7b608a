"""Writes for safety: screening hits, reports, strikes. Suspensions and appeals: suspensions.py."""

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.accounts.models import User
from barnraise.errors import InvalidInput, NotFound
from barnraise.notifications.selectors import notifications_for
from barnraise.notifications.services import notification_send
from barnraise.ratelimits import rate_limit
from barnraise.trust import screening, selectors, subjects
from barnraise.trust.errors import AlreadyDecided, AlreadyReported
from barnraise.trust.models import Report, Strike, TrustEventType, Violation
from barnraise.trust.records import event_log, strikes_revoke
from barnraise.trust.suspensions import suspension_start

REPORT_DETAILS_MAX = 2000


def text_screen(*, author: User, text: str, where: str, subject_id: str = "") -> screening.Screened:
    """Screen a text others will read before acceptance; a hit is recorded as a violation."""
    result = screening.screen(text, regions=selectors.policy().regions())
    if not result.clean:
        violation_record(member=author, where=where, subject_id=subject_id, original=text, result=result)
    return result


def public_text_screen(*, author: User, text: str, where: str, subject_id: str = "") -> str:
    """The accounts.standing hook for bios and listings: the text with contact details masked.

    The author is told why by a notification; the page or API shows them the masked text.
    """
    if not text:
        return text
    result = text_screen(author=author, text=text, where=where, subject_id=subject_id)
    recently = timezone.now() - timedelta(minutes=10)
    # One notice per edit: a listing's title and description are screened one after the other.
    told = notifications_for(user=author, unread_only=True).filter(
        kind="contact_masked", created_at__gte=recently
    )
    if not result.clean and not told.exists():
        notification_send(
            recipient=author,
            kind="contact_masked",
            context={"where": where, "reasons": " ".join(screening.reasons(result.kinds))},
            url="/account/standing/",
        )
    return result.text


def violation_record(
    *, member: User, where: str, subject_id: str, original: str, result: screening.Screened
) -> Violation:
    """Keep the evidence of one screening hit; enough recent hits give a strike."""
    with transaction.atomic():
        violation = Violation.objects.create(
            member=member,
            where=where,
            subject_id=subject_id,
            kinds=result.kinds,
            original=original,
            masked=result.text,
        )
        event_log(
            member=member,
            type=TrustEventType.VIOLATION_RECORDED,
            object_id=violation.id,
            where=where,
            kinds=result.kinds,
        )
        _strike_for_repeated_hits(member)
    return violation


def _strike_for_repeated_hits(member: User) -> None:
    policy = selectors.policy()
    since = timezone.now() - timedelta(days=policy.screening_window_days)
    pending = list(
        Violation.objects.select_for_update()
        .filter(member=member, strike=None, created_at__gte=since)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if policy.screening_hits_per_strike and len(pending) >= policy.screening_hits_per_strike:
        strike = strike_issue(
            member=member,
            reason=Strike.Reason.SCREENING,
            note=_("%d attempts to share contact details before acceptance.") % len(pending),
        )
        Violation.objects.filter(id__in=pending).update(strike=strike)


def violations_confirm(*, actor: User, violation_ids: list[Any]) -> list[Strike]:
    """An operator confirms screening hits not yet counted: one strike per member concerned."""
    operators.require_operator(actor, operators.SUPPORT)
    strikes = []
    with transaction.atomic(durable=True):
        pending = list(
            Violation.objects.select_for_update()
            .select_related("member")
            .filter(pk__in=violation_ids, strike=None)
            .order_by("pk")
        )
        members = {v.member_id: v.member for v in pending}
        for member_id, member in members.items():
            mine = [v.pk for v in pending if v.member_id == member_id]
            note = _("An operator confirmed %d attempts to share contact details.") % len(mine)
            strike = strike_issue(member=member, reason=Strike.Reason.SCREENING, actor=actor, note=note)
            Violation.objects.filter(pk__in=mine).update(strike=strike)
            strikes.append(strike)
    return strikes


def report_file(*, actor: User, subject: str, subject_id: str, reason: str, details: str = "") -> Report:
    """A member reports a listing, a member or a message they can see."""
    errors: dict[str, list[str]] = {}
    if subject not in Report.Subject.values:
        errors["subject"] = [_("Choose one of: %s.") % ", ".join(Report.Subject.values)]
    if reason not in Report.Reason.values:
        errors["reason"] = [_("Choose one of: %s.") % ", ".join(Report.Reason.values)]
    if len(details) > REPORT_DETAILS_MAX:
        errors["details"] = [_("Use at most %d characters.") % REPORT_DETAILS_MAX]
    if reason == Report.Reason.OTHER and not details.strip():
        errors["details"] = [_("Tell us what is wrong.")]
    if errors:
        raise InvalidInput(details=errors)
    rate_limit("report:member", str(actor.pk))
    found = subjects.resolve(subject, actor=actor, subject_id=subject_id)
    if found.member.pk == actor.pk:
        raise InvalidInput(details={"subject_id": [_("You cannot report yourself.")]})
    try:
        with transaction.atomic(durable=True):
            report = Report.objects.create(
                reporter=actor,
                member=found.member,
                subject=subject,
                subject_id=found.subject_id,
                reason=reason,
                details=details.strip(),
                evidence=found.evidence,
                evidence_url=found.url,
            )
            event_log(
                member=found.member,
                type=TrustEventType.REPORT_FILED,
                object_id=report.id,
                subject=subject,
                reason=reason,
            )
    except IntegrityError as exc:
        raise AlreadyReported() from exc
    return report


def _open_report_for_update(report_id: Any) -> Report:
    report = (
        Report.objects.select_for_update().select_related("member", "reporter").filter(pk=report_id).first()
    )
    if report is None:
        raise NotFound()
    if report.status != Report.Status.OPEN:
        raise AlreadyDecided()
    return report


def report_confirm(*, actor: User, report_id: Any, note: str = "") -> Report:
    """An operator agrees with a report: the reported member gets a strike."""
    operators.require_operator(actor, operators.SUPPORT)
    with transaction.atomic(durable=True):
        report = _open_report_for_update(report_id)
        _decide(report, actor, Report.Status.CONFIRMED, note)
        event_log(
            member=report.member, type=TrustEventType.REPORT_CONFIRMED, actor=actor, object_id=report.id
        )
        strike_issue(member=report.member, reason=Strike.Reason.REPORT, report=report, actor=actor, note=note)
    return report


def report_dismiss(*, actor: User, report_id: Any, note: str = "") -> Report:
    operators.require_operator(actor, operators.SUPPORT)
    with transaction.atomic(durable=True):
        report = _open_report_for_update(report_id)
        _decide(report, actor, Report.Status.DISMISSED, note)
        event_log(
            member=report.member, type=TrustEventType.REPORT_DISMISSED, actor=actor, object_id=report.id
        )
    return report


def _decide(report: Report, actor: User, status: str, note: str) -> None:
    report.status = status
    report.decided_by = actor
    report.decided_at = timezone.now()
    report.decision_note = note.strip()
    report.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    notification_send(
        recipient=report.reporter,
        kind="report_decided",
        context={"confirmed": status == Report.Status.CONFIRMED, "subject": report.get_subject_display()},
    )


def strike_issue(
    *,
    member: User,
    reason: str,
    report: Report | None = None,
    actor: User | None = None,
    note: str = "",
) -> Strike:
    """Give a strike; at the policy's threshold of active strikes the member is suspended."""
    policy = selectors.policy()
    now = timezone.now()
    with transaction.atomic():
        strike = Strike.objects.create(
            member=member,
            reason=reason,
            report=report,
            issued_at=now,
            expires_at=now + timedelta(days=policy.strike_lifetime_days),
            note=note.strip(),
        )
        event_log(
            member=member,
            type=TrustEventType.STRIKE_ISSUED,
            actor=actor,
            object_id=strike.id,
            reason=reason,
        )
        active = selectors.strikes_active(member=member).count()
        notification_send(
            recipient=member,
            kind="strike_issued",
            context={
                "reason": strike.get_reason_display(),
                "active": active,
                "limit": policy.strikes_to_suspend,
            },
            url="/account/standing/",
        )
        at_limit = bool(policy.strikes_to_suspend) and active >= policy.strikes_to_suspend
        if at_limit and selectors.suspension_active(member=member) is None:
            suspension_start(
                member=member,
                actor=actor,
                reason=_("%(count)d active strikes (the limit is %(limit)d).")
                % {"count": active, "limit": policy.strikes_to_suspend},
            )
    return strike


def strike_revoke(*, actor: User, strike_id: Any, note: str = "") -> Strike:
    operators.require_operator(actor, operators.SUPPORT)
    with transaction.atomic(durable=True):
        strike = Strike.objects.select_for_update().select_related("member").filter(pk=strike_id).first()
        if strike is None:
            raise NotFound()
        if strike.revoked_at is not None:
            raise AlreadyDecided()
        strikes_revoke(strikes=[strike], actor=actor, note=note)
    return strike


def trust_delete_for(user: User) -> None:
    """Account deletion: the texts go; the records of what happened stay (they hold ids only)."""
    Violation.objects.filter(member=user).update(original="", masked="")
    Report.objects.filter(reporter=user).update(details="")
    Report.objects.filter(member=user).update(evidence="")

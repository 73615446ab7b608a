"""Operator queues for safety: reports, appeals, strikes, suspensions, violations and the log.

Every state field is read-only; decisions are admin actions that call the services, so the
rules (strikes, automatic suspension, notifications, the log) hold whoever decides.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from barnraise.accounts.models import User
from barnraise.commerce import processes
from barnraise.commerce.selectors import transactions_for
from barnraise.errors import DomainError
from barnraise.trust import services, suspensions
from barnraise.trust.models import Appeal, Report, Strike, Suspension, TrustEvent, TrustPolicy, Violation


def _each(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, rows: QuerySet[Any], call: Callable[..., Any]
) -> None:
    """Run a service per selected row; report what was done and what was refused."""
    done = 0
    for row in rows:
        try:
            call(actor=request.user, row=row)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{row}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, _("%d done.") % done, messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields] + list(self.readonly_extra)

    readonly_extra: tuple[str, ...] = ()


def _member_link(user: User) -> SafeString:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    return format_html('<a href="{}">{}</a>', url, user)


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject", "reason", "reported", "reporter", "status")
    list_select_related = ("member", "reporter")
    list_filter = ("status", "reason", "subject")
    search_fields = ("member__email", "reporter__email", "subject_id")
    ordering = ("-created_at",)
    readonly_extra = ("evidence_link", "member_history")
    actions = ("confirm", "dismiss")

    @admin.display(description=_("reported member"))
    def reported(self, report: Report) -> SafeString:
        return _member_link(report.member)

    @admin.display(description=_("where"))
    def evidence_link(self, report: Report) -> SafeString | str:
        return format_html('<a href="{0}">{0}</a>', report.evidence_url) if report.evidence_url else "—"

    @admin.display(description=_("the member's other reports and strikes"))
    def member_history(self, report: Report) -> str:
        reports = Report.objects.filter(member=report.member).exclude(pk=report.pk)
        confirmed = reports.filter(status=Report.Status.CONFIRMED).count()
        strikes = Strike.objects.filter(member=report.member, revoked_at=None).count()
        return str(_("%(reports)d other reports (%(confirmed)d confirmed), %(strikes)d strikes")) % {
            "reports": reports.count(),
            "confirmed": confirmed,
            "strikes": strikes,
        }

    @admin.action(description=_("Confirm: give the reported member a strike"))
    def confirm(self, request: HttpRequest, rows: QuerySet[Report]) -> None:
        _each(self, request, rows, lambda actor, row: services.report_confirm(actor=actor, report_id=row.pk))

    @admin.action(description=_("Dismiss"))
    def dismiss(self, request: HttpRequest, rows: QuerySet[Report]) -> None:
        _each(self, request, rows, lambda actor, row: services.report_dismiss(actor=actor, report_id=row.pk))


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "member", "status", "decided_at")
    list_select_related = ("member",)
    list_filter = ("status",)
    search_fields = ("member__email",)
    ordering = ("-created_at",)
    readonly_extra = ("suspension_reason", "strikes")
    actions = ("grant", "deny")

    @admin.display(description=_("suspended for"))
    def suspension_reason(self, appeal: Appeal) -> str:
        return appeal.suspension.reason

    @admin.display(description=_("strikes"))
    def strikes(self, appeal: Appeal) -> SafeString:
        rows = Strike.objects.filter(member=appeal.member).order_by("-issued_at")
        return format_html_join(
            "",
            "<div>{} — {}{}</div>",
            (
                (s.issued_at.date(), s.get_reason_display(), f" ({_('revoked')})" if s.revoked_at else "")
                for s in rows
            ),
        )

    @admin.action(description=_("Grant: lift the suspension and revoke its strikes"))
    def grant(self, request: HttpRequest, rows: QuerySet[Appeal]) -> None:
        _each(
            self,
            request,
            rows,
            lambda actor, row: suspensions.appeal_decide(actor=actor, appeal_id=row.pk, grant=True),
        )

    @admin.action(description=_("Deny: the suspension stays"))
    def deny(self, request: HttpRequest, rows: QuerySet[Appeal]) -> None:
        _each(
            self,
            request,
            rows,
            lambda actor, row: suspensions.appeal_decide(actor=actor, appeal_id=row.pk, grant=False),
        )


@admin.register(Strike)
class StrikeAdmin(ReadOnlyAdmin):
    list_display = ("issued_at", "member", "reason", "expires_at", "revoked_at")
    list_select_related = ("member",)
    list_filter = ("reason",)
    search_fields = ("member__email",)
    ordering = ("-issued_at",)
    actions = ("revoke",)

    @admin.action(description=_("Revoke"))
    def revoke(self, request: HttpRequest, rows: QuerySet[Strike]) -> None:
        _each(self, request, rows, lambda actor, row: services.strike_revoke(actor=actor, strike_id=row.pk))


@admin.register(Suspension)
class SuspensionAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "member", "reason", "ended_at")
    list_select_related = ("member",)
    search_fields = ("member__email",)
    ordering = ("-started_at",)
    readonly_extra = ("open_deals",)
    actions = ("lift",)

    @admin.display(description=_("open deals to look after"))
    def open_deals(self, suspension: Suspension) -> SafeString | str:
        rows = []
        for tx in transactions_for(actor=suspension.member, role=None, state=None):
            process = processes.PROCESSES.get((tx.process, tx.process_version))
            if process is not None and tx.state in process.final_states:
                continue
            url = reverse("admin:commerce_transaction_change", args=[tx.pk])
            rows.append((url, tx.listing.title, tx.state))
        return format_html_join("", '<div><a href="{}">{}</a> ({})</div>', rows) if rows else "—"

    @admin.action(description=_("Lift the suspension"))
    def lift(self, request: HttpRequest, rows: QuerySet[Suspension]) -> None:
        _each(
            self,
            request,
            rows,
            lambda actor, row: suspensions.suspension_lift(actor=actor, suspension_id=row.pk),
        )


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "member", "where", "kinds", "strike")
    list_select_related = ("member", "strike")
    list_filter = ("where",)
    search_fields = ("member__email",)
    ordering = ("-created_at",)
    actions = ("confirm",)

    @admin.action(description=_("Confirm: give each member concerned a strike"))
    def confirm(self, request: HttpRequest, rows: QuerySet[Violation]) -> None:
        actor = request.user
        if not isinstance(actor, User):  # the admin lets in logged-in staff only
            return
        try:
            strikes = services.violations_confirm(actor=actor, violation_ids=[v.pk for v in rows])
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, _("%d strikes given.") % len(strikes), messages.SUCCESS)


@admin.register(TrustEvent)
class TrustEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "type", "member", "actor", "object_id")
    list_select_related = ("member", "actor")
    list_filter = ("type",)
    search_fields = ("member__email", "object_id")
    ordering = ("-id",)


@admin.register(TrustPolicy)
class TrustPolicyAdmin(admin.ModelAdmin[TrustPolicy]):
    list_display = ("__str__", "screening_hits_per_strike", "strikes_to_suspend", "strike_lifetime_days")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not TrustPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: TrustPolicy | None = None) -> bool:
        return False

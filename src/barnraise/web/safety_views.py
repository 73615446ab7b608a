"""Safety pages: the report form, the member's standing with the appeal form, email switches."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from barnraise.errors import DomainError, NotFound
from barnraise.notifications.selectors import preferences_of
from barnraise.notifications.services import preferences_set
from barnraise.trust import selectors, services, suspensions
from barnraise.trust.models import Report
from barnraise.web.forms import form_add_domain_error
from barnraise.web.views import member_of


class ReportForm(forms.Form):
    subject = forms.ChoiceField(choices=Report.Subject.choices, widget=forms.HiddenInput)
    subject_id = forms.UUIDField(widget=forms.HiddenInput)
    # No reason is chosen for the member: the first option is a prompt, and one must be picked.
    reason = forms.ChoiceField(
        label=gettext_lazy("What is wrong?"),
        choices=[("", gettext_lazy("Choose a reason")), *Report.Reason.choices],
        error_messages={"required": gettext_lazy("Choose a reason.")},
    )
    details = forms.CharField(
        label=gettext_lazy("Tell us more (required for “something else”)"),
        required=False,
        max_length=services.REPORT_DETAILS_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class AppealForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Why should the suspension end?"),
        max_length=suspensions.APPEAL_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def _safe_next(request: HttpRequest, target: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else "/"


@login_required
@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {
            "subject": request.GET.get("subject", ""),
            "subject_id": request.GET.get("id", ""),
            "next": request.GET.get("next", "") or request.headers.get("Referer", ""),
        }
        form = ReportForm(initial=initial)
        return render(request, "web/safety/report.html", {"form": form, "subject": initial["subject"]})
    form = ReportForm(request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.report_file(
                actor=member_of(request),
                subject=data["subject"],
                subject_id=str(data["subject_id"]),
                reason=data["reason"],
                details=data["details"],
            )
        except NotFound:
            form.add_error(None, _("We could not find what you are reporting."))
            status = 404
        except DomainError as error:
            form_add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("Thank you. An operator will look at your report."))
            return redirect(_safe_next(request, data["next"]))
    context = {"form": form, "subject": request.POST.get("subject", "")}
    return render(request, "web/safety/report.html", context, status=status)


def _standing_page(
    request: HttpRequest, *, form: AppealForm | None = None, status: int = 200
) -> HttpResponse:
    found: dict[str, Any] = selectors.standing_of(member=member_of(request))
    context = {**found, "form": form or AppealForm()}
    return render(request, "web/safety/standing.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def standing(request: HttpRequest) -> HttpResponse:
    """The member's strikes and suspension; a suspended member appeals here (POST)."""
    if request.method == "GET":
        return _standing_page(request)
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            suspensions.appeal_file(actor=member_of(request), text=form.cleaned_data["text"])
        except DomainError as error:
            form_add_domain_error(form, error)
            return _standing_page(request, form=form, status=error.status)
        messages.success(request, _("Your appeal is sent. We will tell you the decision."))
        return redirect("account_standing")
    return _standing_page(request, form=form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """One switch per kind of notification: also send it by email, or only show it here."""
    user = member_of(request)
    if request.method == "POST":
        wanted = {
            row["kind"]: row["kind"] in request.POST.getlist("email") for row in preferences_of(user=user)
        }
        preferences_set(actor=user, email=wanted)
        messages.success(request, _("Your email choices are saved."))
        return redirect("account_notification_preferences")
    return render(request, "web/account/notification_preferences.html", {"rows": preferences_of(user=user)})

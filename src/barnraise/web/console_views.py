"""The operator's console (/console/): the queue, members, deals, reviews, the approval switch.

Every page answers 404 to anyone who is not an operator in a group that works it, so the
console's existence is not revealed. Views parse, check the group, call one service and render;
the rules (who may do what, reasons required, money only for finance) live in the services,
which check the operator again. docs/console.md has the table of who can do what.
"""

import csv
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from barnraise.accounts import operators, verification
from barnraise.accounts.models import User
from barnraise.casework import overview, selectors, services
from barnraise.casework.models import Kind
from barnraise.catalog import services as catalog_services
from barnraise.commerce import processes, taxes
from barnraise.commerce import services as commerce_services
from barnraise.commerce.models import Dispute, TaxRate
from barnraise.errors import DomainError
from barnraise.ids import uuid7
from barnraise.ledger import payouts, refunds, tax_report
from barnraise.ledger.selectors import payout_summary
from barnraise.money import Money
from barnraise.places import gazetteer
from barnraise.reputation import services as reputation_services
from barnraise.trust import services as trust_services
from barnraise.trust import suspensions
from barnraise.web.deal_forms import price_minor
from barnraise.web.deal_presenters import event_text, state_label

ANY = (operators.SUPPORT, operators.FINANCE)


def operator_page(*groups: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A console page for operators in `groups` (admin and superusers are in every group)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not isinstance(user, User) or not operators.operator_in(user, *groups):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _operator(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # operator_page lets only operators through
        raise Http404
    return user


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (the member reads it)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Give a reason; the member is told.")},
    )


class RefundForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("Amount to refund"), max_length=20)
    reason = ReasonForm.base_fields["reason"]


def _done(request: HttpRequest, text: str, to: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(to)


def _failed(request: HttpRequest, error: DomainError, to: str) -> HttpResponse:
    details = error.details if isinstance(error.details, dict) else {}
    texts = [str(m) for found in details.values() for m in (found if isinstance(found, list) else [found])]
    messages.error(request, " ".join(texts) or error.message)
    return redirect(to)


# The queue ---------------------------------------------------------------------------------


def _kind_label(kind: str) -> str:
    return str(Kind(kind).label)


@operator_page(*ANY)
@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    viewer = _operator(request)
    kinds = selectors.kinds_for(viewer)
    kind = request.GET.get("kind", "")
    kind = kind if kind in kinds else ""
    scope = request.GET.get("scope", "all")
    scope = scope if scope in selectors.SCOPES else "all"
    counts = selectors.queue_counts(viewer=viewer, scope=scope)
    context = {
        "kinds": [(k, _kind_label(k), counts[k]) for k in kinds],
        "total": sum(counts.values()),
        "kind": kind,
        "scope": scope,
        "scopes": [("all", _("All")), ("mine", _("Assigned to me")), ("unassigned", _("Unassigned"))],
        "items": selectors.queue_items(viewer=viewer, kind=kind, scope=scope),
        "approval_required": catalog_services.policy().approval_required,
        "is_admin": operators.operator_in(viewer, operators.ADMIN),
    }
    template = (
        "web/console/_queue_items.html" if request.headers.get("HX-Request") else "web/console/queue.html"
    )
    return render(request, template, context)


def _item_url(kind: str, item_id: str) -> str:
    return reverse("console_item", args=[kind, item_id])


@operator_page(*ANY)
@require_POST
def item_take(request: HttpRequest, kind: str, item_id: str) -> HttpResponse:
    try:
        services.assignment_take(actor=_operator(request), kind=kind, item_id=item_id)
    except DomainError as error:
        return _failed(request, error, _item_url(kind, item_id))
    return _done(request, _("It is yours now."), _item_url(kind, item_id))


@operator_page(*ANY)
@require_POST
def item_release(request: HttpRequest, kind: str, item_id: str) -> HttpResponse:
    try:
        services.assignment_release(actor=_operator(request), kind=kind, item_id=item_id)
    except DomainError as error:
        return _failed(request, error, _item_url(kind, item_id))
    return _done(request, _("It is back in the queue."), reverse("console_queue"))


def _item_subject(kind: str, item_id: str) -> Any:
    """The item's own row, for the page; None when there is no such item."""
    return selectors.item_row(kind=kind, item_id=item_id)


@operator_page(*ANY)
@require_http_methods(["GET"])
def item_detail(request: HttpRequest, kind: str, item_id: str) -> HttpResponse:
    viewer = _operator(request)
    if kind not in selectors.kinds_for(viewer):
        raise Http404
    row = _item_subject(kind, item_id)
    if row is None:
        raise Http404
    context = {
        "kind": kind,
        "kind_label": _kind_label(kind),
        "item_id": item_id,
        "row": row,
        "assignee": selectors.assignee_of(kind=kind, item_id=item_id),
        "is_open": selectors.item_open(kind=kind, item_id=item_id),
        "history": [
            (e.at, e.actor, event_text(e.deal, e.transition) if e.transition else e.what, e.note)
            for e in selectors.item_history(kind=kind, item_id=item_id)
        ],
        "form": ReasonForm(),
        "show_evidence": operators.operator_in(viewer, operators.SUPPORT),
    }
    return render(request, "web/console/item.html", context)


# Decisions on queue items: each calls its app's door.
DECISIONS: dict[tuple[str, str], tuple[Callable[[User, Any, str], Any], bool, Any]] = {
    (Kind.LISTING, "approve"): (
        lambda actor, row, reason: catalog_services.listing_approve(actor=actor, listing_id=row.pk),
        False,
        gettext_lazy("The listing is published."),
    ),
    (Kind.LISTING, "reject"): (
        lambda actor, row, reason: catalog_services.listing_reject(
            actor=actor, listing_id=row.pk, reason=reason
        ),
        True,
        gettext_lazy("The listing went back to its author with your reason."),
    ),
    (Kind.REPORT, "confirm"): (
        lambda actor, row, reason: trust_services.report_confirm(actor=actor, report_id=row.pk, note=reason),
        False,
        gettext_lazy("The report is confirmed."),
    ),
    (Kind.REPORT, "dismiss"): (
        lambda actor, row, reason: trust_services.report_dismiss(actor=actor, report_id=row.pk, note=reason),
        False,
        gettext_lazy("The report is dismissed."),
    ),
    (Kind.DOCUMENT, "approve"): (
        lambda actor, row, reason: verification.document_review(
            actor=actor, document_id=row.pk, approve=True
        ),
        False,
        gettext_lazy("The document is approved."),
    ),
    (Kind.DOCUMENT, "reject"): (
        lambda actor, row, reason: verification.document_review(
            actor=actor, document_id=row.pk, approve=False, reason=reason
        ),
        True,
        gettext_lazy("The document is rejected; the member is told why."),
    ),
    (Kind.PAYOUT_HOLD, "release"): (
        lambda actor, row, reason: payouts.payout_hold_release(actor=actor, hold=row),
        False,
        gettext_lazy("The payouts are released."),
    ),
}


@operator_page(*ANY)
@require_POST
def item_decide(request: HttpRequest, kind: str, item_id: str, decision: str) -> HttpResponse:
    viewer = _operator(request)
    found = DECISIONS.get((kind, decision))
    row = _item_subject(kind, item_id) if kind in selectors.kinds_for(viewer) else None
    if found is None or row is None:
        raise Http404
    door, needs_reason, said = found
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if needs_reason and not reason:
        messages.error(request, _("Give a reason; the member is told."))
        return redirect(_item_url(kind, item_id))
    try:
        door(viewer, row, reason)
    except DomainError as error:
        return _failed(request, error, _item_url(kind, item_id))
    return _done(request, str(said), _item_url(kind, item_id))


@operator_page(operators.ADMIN)
@require_POST
def approval_switch(request: HttpRequest) -> HttpResponse:
    on = request.POST.get("on") == "1"
    catalog_services.listing_approval_switch(actor=_operator(request), on=on)
    said = _("New listings now wait for approval.") if on else _("New listings are published at once.")
    return _done(request, said, reverse("console_queue"))


# Members -----------------------------------------------------------------------------------


@operator_page(*ANY)
@require_http_methods(["GET"])
def member_detail(request: HttpRequest, member_id: Any) -> HttpResponse:
    viewer = _operator(request)
    member = overview.member_by_id(member_id)
    if member is None:
        raise Http404
    o = overview.member_overview(viewer=viewer, member=member)
    context = {
        "o": o,
        "deals": [(deal, state_label(deal.state)) for deal in o.deals],
        "may_act": operators.operator_in(viewer, operators.SUPPORT),
        "may_see_money": overview.may_see_money(viewer),
    }
    return render(request, "web/console/member.html", context)


MEMBER_DOORS: dict[str, tuple[Callable[..., Any], Any]] = {
    "suspend": (suspensions.member_suspend, gettext_lazy("The member is suspended and told why.")),
    "ban": (suspensions.member_ban, gettext_lazy("The member is banned; their listings left search.")),
    "reinstate": (suspensions.member_reinstate, gettext_lazy("The member is reinstated and told why.")),
}


@operator_page(operators.SUPPORT)
@require_POST
def member_act(request: HttpRequest, member_id: Any, action: str) -> HttpResponse:
    member = overview.member_by_id(member_id)
    found = MEMBER_DOORS.get(action)
    if member is None or found is None:
        raise Http404
    door, said = found
    to = reverse("console_member", args=[member.pk])
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason; the member is told."))
        return redirect(to)
    try:
        door(actor=_operator(request), member=member, reason=form.cleaned_data["reason"])
    except DomainError as error:
        return _failed(request, error, to)
    return _done(request, str(said), to)


# Deals and reviews -------------------------------------------------------------------------


@operator_page(*ANY)
@require_http_methods(["GET"])
def deal_detail(request: HttpRequest, deal_id: Any) -> HttpResponse:
    viewer = _operator(request)
    deal = overview.deal_by_id(deal_id)
    if deal is None:
        raise Http404
    o = overview.deal_overview(viewer=viewer, deal=deal)
    timeline = [(e.created_at, e.actor, event_text(deal, e.name)) for e in o.events]
    timeline += [(e.created_at, e.actor, str(e.get_type_display())) for e in o.log]
    timeline += [(p.when, None, payout_summary(p, to_provider=False)) for p in o.payouts]
    timeline.sort(key=lambda row: row[0])
    open_dispute = next((d for d in o.disputes if d.status == Dispute.Status.OPEN), None)
    context = {
        "o": o,
        "deal": deal,
        "open_dispute": open_dispute,
        "may_resolve": open_dispute is not None and operators.operator_in(viewer, operators.SUPPORT),
        "resolve_takes_refund": "refund" in _resolve_params(deal),
        "resolve_key": uuid7().hex,
        "state": state_label(deal.state),
        "timeline": timeline,
        "refund_form": RefundForm(),
        "review_form": ReasonForm(),
        "may_refund": refunds_allowed(viewer) and o.refundable is not None and o.refundable.amount_minor > 0,
        "may_hide": operators.operator_in(viewer, operators.SUPPORT),
    }
    return render(request, "web/console/deal.html", context)


def refunds_allowed(viewer: User) -> bool:
    return operators.operator_in(viewer, operators.FINANCE)


@operator_page(operators.FINANCE)
@require_POST
def deal_refund(request: HttpRequest, deal_id: Any) -> HttpResponse:
    deal = overview.deal_by_id(deal_id)
    if deal is None:
        raise Http404
    to = reverse("console_deal", args=[deal.pk])
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give an amount and a reason."))
        return redirect(to)
    minor = price_minor(form.cleaned_data["amount"], deal.currency)
    if minor is None:
        messages.error(request, _("Enter an amount, for example 12.50."))
        return redirect(to)
    amount = Money(minor, deal.currency)
    try:
        refunds.refund_issue(
            actor=_operator(request), deal_id=deal.pk, amount=amount, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        return _failed(request, error, to)
    return _done(request, _("%(amount)s refunded; both parties are told.") % {"amount": amount.format()}, to)


def _resolve_params(deal: Any) -> tuple[str, ...]:
    step = processes.get(deal.process, deal.process_version).transition("resolve")
    return tuple(step.params) if step is not None else ()


class ResolveForm(forms.Form):
    outcome = forms.CharField(max_length=2000)
    refund = forms.CharField(max_length=20, required=False)
    key = forms.CharField(max_length=64)


@operator_page(operators.SUPPORT, operators.FINANCE)
@require_POST
def deal_resolve(request: HttpRequest, deal_id: Any) -> HttpResponse:
    """The open dispute resolved by the deal's `resolve` step (the engine's operator), with the
    refund the operator decides on processes that take money."""
    deal = overview.deal_by_id(deal_id)
    if deal is None:
        raise Http404
    to = reverse("console_deal", args=[deal.pk])
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what was decided; both parties read it."))
        return redirect(to)
    params: dict[str, Any] = {"outcome": form.cleaned_data["outcome"]}
    raw = form.cleaned_data["refund"].strip()
    if raw:
        minor = price_minor(raw, deal.currency)
        if minor is None:
            messages.error(request, _("Enter an amount, for example 12.50."))
            return redirect(to)
        params["refund"] = {"amount_minor": minor, "currency": deal.currency}
    try:
        commerce_services.transaction_transition(
            actor=_operator(request),
            transaction_id=deal.pk,
            name="resolve",
            params=params,
            idempotency_key=f"console-resolve:{form.cleaned_data['key']}",
        )
    except DomainError as error:
        return _failed(request, error, to)
    return _done(request, _("The dispute is resolved; both parties are told."), to)


@operator_page(operators.SUPPORT)
@require_POST
def review_hide(request: HttpRequest, deal_id: Any, review_id: Any) -> HttpResponse:
    to = reverse("console_deal", args=[deal_id])
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason; the author is told."))
        return redirect(to)
    try:
        reputation_services.review_hide(
            actor=_operator(request), review_id=review_id, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        return _failed(request, error, to)
    return _done(request, _("The review is hidden and no longer counts."), to)


# Taxes ---------------------------------------------------------------------------------------


class TaxPeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To (included)"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and not start <= end <= start + timedelta(days=tax_report.LONGEST_PERIOD_DAYS):
            raise forms.ValidationError(_("Choose an end on or after the start, within three years."))
        return data


def _tax_period(request: HttpRequest) -> tuple[TaxPeriodForm, date | None, date | None]:
    """The period asked for (GET `start`, `end`), this month so far when none is."""
    today = timezone.now().date()
    given = request.GET if ("start" in request.GET or "end" in request.GET) else None
    form = TaxPeriodForm(given or {"start": today.replace(day=1).isoformat(), "end": today.isoformat()})
    if not form.is_valid():
        return form, None, None
    return form, form.cleaned_data["start"], form.cleaned_data["end"]


def _tax_rate_named(payload: dict[str, Any]) -> str:
    """ "Sales tax 6% in Ontario, Canada (percent: 5 → 6)": the rate an edit was about, and
    what it changed."""
    named = _("%(label)s %(percent)s%% in %(place)s") % {
        "label": payload.get("label", ""),
        "percent": payload.get("percent", ""),
        "place": gazetteer.jurisdiction_name(str(payload.get("jurisdiction", ""))),
    }
    changed = payload.get("changed") or {}
    if not changed:
        return named
    what = "; ".join(
        f"{getattr(TaxRate._meta.get_field(name), 'verbose_name', name)}: {_shown(before)} → {_shown(after)}"
        for name, (before, after) in changed.items()
        if name != "active"
    )
    return f"{named} ({what})" if what else named


def _shown(value: Any) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value) if value not in (None, "") else _("none")


@operator_page(operators.FINANCE)
@require_http_methods(["GET"])
def tax_report_page(request: HttpRequest) -> HttpResponse:
    """The tax the marketplace owes, per jurisdiction and currency, for a period."""
    form, start, end = _tax_period(request)
    rows = (
        []
        if start is None or end is None
        else tax_report.tax_report(actor=_operator(request), start=start, end=end)
    )
    context = {
        "form": form,
        "rows": rows,
        "changes": [
            (event.created_at, event.actor, event.get_type_display(), _tax_rate_named(event.payload))
            for event in taxes.tax_rate_history(limit=10)
        ],
        "start": start,
        "end": end,
        "csv_query": urlencode({"start": start.isoformat(), "end": end.isoformat()}) if start and end else "",
    }
    return render(request, "web/console/taxes.html", context, status=200 if start else 400)


@operator_page(operators.FINANCE)
@require_http_methods(["GET"])
def tax_report_csv(request: HttpRequest) -> HttpResponse:
    """The same report as CSV: one row per jurisdiction and currency, amounts in major units
    with a dot (as the currency's precision has them) and in minor units."""
    form, start, end = _tax_period(request)
    if start is None or end is None:
        errors = "; ".join(str(m) for found in form.errors.values() for m in found)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    rows = tax_report.tax_report(actor=_operator(request), start=start, end=end)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="taxes-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "period_start",
            "period_end",
            "jurisdiction",
            "place",
            "currency",
            "collected",
            "refunded",
            "net",
            "collected_minor",
            "refunded_minor",
            "net_minor",
            "entries",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                start.isoformat(),
                end.isoformat(),
                row.jurisdiction,
                row.place,
                row.currency,
                str(row.collected.decimal),
                str(row.refunded.decimal),
                str(row.net.decimal),
                row.collected.amount_minor,
                row.refunded.amount_minor,
                row.net.amount_minor,
                row.entries,
            ]
        )
    return response

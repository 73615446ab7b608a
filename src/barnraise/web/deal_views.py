"""Deal pages: starting a deal from the listing page, the transaction page and its steps, and
the "My deals" inbox. Every change goes through commerce.services; these views parse the form,
check who asks, call one service and render.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from barnraise import errors
from barnraise.catalog.cancellation_policies import policy_view
from barnraise.catalog.models import Listing
from barnraise.commerce import cancellation, processes, selectors, services
from barnraise.commerce.engine import Outcome
from barnraise.commerce.models import Transaction
from barnraise.ledger import paperwork
from barnraise.ledger import selectors as ledger_selectors
from barnraise.ledger.escrow.scheduled import charge_date
from barnraise.messaging.selectors import messages_of
from barnraise.web.deal_forms import Parsed, add_domain_error, day_based, parse_params
from barnraise.web.deal_presenters import (
    FORM_PARAMS,
    Step,
    charge_words,
    contact_of,
    deal_panel,
    inbox_rows,
    line_rows,
    money,
    money_rows,
    other_party,
    payout_rows,
    state_choices,
    state_label,
    step_label,
    steps_for,
    timeline,
    waiting_for,
)
from barnraise.web.listing_views import _visible, listing_page
from barnraise.web.paperwork_views import paper_rows
from barnraise.web.views import member_of, redirect_back

DEAL_FIELDS = {
    "booking": ("start", "end", "seats", "message", "payment_method"),
    "purchase": ("quantity", "message", "payment_method"),
}
OFFER_FIELDS = ("price", "message")
ASK_FIELDS = ("message",)
INBOX_PAGE = 25


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _key(request: HttpRequest) -> str | None:
    """The form's one-time key: a double submit replays the first answer instead of acting twice."""
    key = request.POST.get("key", "").strip()
    return key[:255] or None


def _started(request: HttpRequest, outcome: Outcome) -> HttpResponse:
    if not outcome.replayed:
        said = {
            "requested": _("Your request is sent. You will hear back here."),
            "accepted": _("It is booked. The contact details are below."),
            "scheduled": _("It is booked. Your saved card is charged nearer the date."),
            "offered": _("Your offer is sent."),
        }
        messages.success(request, said.get(outcome.tx.state, _("Your question is sent.")))
    return redirect("transaction_detail", transaction_id=outcome.tx.id)


def _submit(
    request: HttpRequest,
    listing: Listing,
    form: str,
    parsed: Parsed,
    fields: tuple[str, ...],
    call: Callable[[], Outcome],
) -> HttpResponse:
    """Call the service unless the form is already wrong; on a refusal show the listing page
    again with the values and the errors beside the fields of the form that was sent."""
    status = 422
    if not parsed.errors:
        try:
            return _started(request, call())
        except errors.DomainError as error:
            add_domain_error(parsed, error, fields)
            status = error.status
    return listing_page(request, listing, status=status, **{form: parsed})


def _preview(
    request: HttpRequest,
    listing: Listing,
    parsed: Parsed,
    fields: tuple[str, ...],
    call: Callable[[], Outcome],
) -> HttpResponse:
    """The price breakdown of a dry run: an htmx fragment, or the whole page without JavaScript."""
    # While the window is half chosen, htmx gets the hint again rather than "give the end".
    half_chosen = (
        _is_htmx(request)
        and listing.kind in ("rental", "service")
        and not (parsed.values.get("start") and parsed.values.get("end"))
    )
    status, preview = (422 if parsed.errors else 200), None
    if not parsed.errors and not half_chosen:
        try:
            priced = call().tx
        except errors.DomainError as error:
            add_domain_error(parsed, error, fields)
            status = error.status
        else:
            preview = {
                "lines": line_rows(priced.line_items),
                "total": money(priced.total_amount_minor, priced.currency),
                # beyond the authorization window the card is saved and charged nearer the date
                "charge": charge_words(
                    start=priced.start,
                    amount_minor=priced.total_amount_minor,
                    listing=listing,
                    saved=False,
                )
                if services.opening_pays_ahead(priced)
                else "",
            }
    if _is_htmx(request):  # htmx swaps 2xx answers only; the fragment carries the errors
        # The payment element keeps its own error slot: a price preview never says a card is wrong.
        slots = [(name, parsed.errors.get(name, [])) for name in fields if name != "payment_method"]
        context = {
            "deal": parsed,
            "preview": preview,
            "listing": listing,
            "oob": True,
            "slots": slots,
            "cancellation": policy_view(listing.cancellation_policy),
        }
        return render(request, "web/deals/_preview.html", context)
    return listing_page(request, listing, status=status, deal=parsed, preview=preview)


@login_required
@require_POST
def deal_start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Book or buy: with action=preview (or from htmx) a dry run that prices it, else for real."""
    listing = _visible(request, public_id)
    panel = deal_panel(listing)
    if panel.mode not in DEAL_FIELDS:
        raise Http404(_("This listing takes no bookings or purchases."))
    fields = DEAL_FIELDS[panel.mode]
    parsed = parse_params(fields, request.POST, listing=listing, currency=listing.currency)
    dry_run = request.POST.get("action") == "preview" or _is_htmx(request)
    payment_method = parsed.params.pop("payment_method", None)

    def call() -> Outcome:
        return services.transaction_create(
            actor=member_of(request),
            listing_id=listing.public_id,
            process=panel.process,
            params=parsed.params,
            idempotency_key=None if dry_run else _key(request),
            dry_run=dry_run,
            payment_method=payment_method,
        )

    if dry_run:
        return _preview(request, listing, parsed, fields, call)
    return _submit(request, listing, "deal", parsed, fields, call)


@login_required
@require_POST
def offer_make(request: HttpRequest, public_id: UUID) -> HttpResponse:
    listing = _visible(request, public_id)
    if deal_panel(listing).mode != "offer":
        raise Http404(_("Only requests take offers."))
    parsed = parse_params(
        OFFER_FIELDS, request.POST, listing=listing, currency=listing.currency, required=("price",)
    )

    def call() -> Outcome:
        return services.offer_create(
            actor=member_of(request),
            listing_id=listing.public_id,
            params=parsed.params,
            idempotency_key=_key(request),
        )

    return _submit(request, listing, "offer", parsed, OFFER_FIELDS, call)


@login_required
@require_POST
def question_ask(request: HttpRequest, public_id: UUID) -> HttpResponse:
    listing = _visible(request, public_id)
    process = deal_panel(listing).ask_process
    if process is None:
        raise Http404(_("This listing takes no questions."))
    parsed = parse_params(
        ASK_FIELDS, request.POST, listing=listing, currency=listing.currency, required=("message",)
    )

    def call() -> Outcome:
        return services.transaction_create(
            actor=member_of(request),
            listing_id=listing.public_id,
            process=process,
            transition="inquire",
            params=parsed.params,
            idempotency_key=_key(request),
        )

    return _submit(request, listing, "ask", parsed, ASK_FIELDS, call)


def _party_tx(request: HttpRequest, transaction_id: UUID) -> Transaction:
    try:
        return selectors.transaction_visible(actor=member_of(request), transaction_id=transaction_id)
    except errors.NotFound as error:
        raise Http404(error.message) from error


def _refund_previews(tx: Transaction, viewer: Any, steps: list[Step]) -> None:
    """Each cautionary step (a cancellation) that would give money back says how much, from
    its own dry run: the same step, the same arithmetic, nothing written."""
    for step in steps:
        if not step.danger:
            continue
        try:
            outcome = services.transaction_transition(
                actor=viewer, transaction_id=tx.pk, name=step.name, params={}, dry_run=True
            )
        except errors.DomainError:
            continue  # it needs input first (a dispute's reason): nothing to say yet
        refund = outcome.effects.get("refund")
        if refund:
            step.refund = cancellation.refund_words(
                refund, tx.cancellation_policy, to_customer=viewer.pk != tx.provider_id
            )


def _charge_ahead(tx: Transaction, viewer: Any) -> tuple[str, datetime | None]:
    """A booking paid nearer the date (booking v3): when its saved card is charged, in a
    sentence and as a moment for the timeline; ("", None) for any other deal."""
    if tx.start is None or not ledger_selectors.payment_scheduled(deal=tx):
        return "", None
    due = charge_date(start=tx.start, amount_minor=tx.total_amount_minor)
    words = charge_words(
        start=tx.start,
        amount_minor=tx.total_amount_minor,
        listing=tx.listing,
        saved=True,
        to_customer=viewer.pk == tx.customer_id,
    )
    return words, due


def _tx_page(
    request: HttpRequest,
    tx: Transaction,
    *,
    failed: Parsed | None = None,
    failed_step: str = "",
    status: int = 200,
) -> HttpResponse:
    viewer = member_of(request)
    steps = steps_for(tx, viewer)
    _refund_previews(tx, viewer, steps)
    charge, due = _charge_ahead(tx, viewer)
    for step in steps:
        if failed is not None and step.name == failed_step:
            step.error = failed.top_error
            step.action_url = failed.action_url
            for item in step.fields:
                item.value = failed.values.get(item.name, "")
                item.errors = failed.errors.get(item.name, [])
    context = {
        "tx": tx,
        "role": "customer" if viewer.pk == tx.customer_id else "provider",
        "other": other_party(tx, viewer),
        "state_label": state_label(tx.state),
        "waiting_for": waiting_for(tx),
        "lines": line_rows(tx.line_items, for_provider=viewer.pk == tx.provider_id),
        "total": money(tx.total_amount_minor, tx.currency),
        "payout": money(tx.provider_payout_minor, tx.currency) if viewer.pk == tx.provider_id else None,
        "contact": contact_of(tx, viewer),
        "day_based": day_based(tx.listing),
        "events": timeline(
            tx,
            selectors.events_of(tx),
            messages_of(actor=viewer, transaction_id=tx.pk).order_by("id"),
            [
                *money_rows(tx, ledger_selectors.deal_money_events(deal_id=tx.pk), viewer),
                *payout_rows(tx, ledger_selectors.deal_payouts(deal_id=tx.pk), viewer),
            ],
            due,
        ),
        "charge": charge,
        "steps": steps,
        "papers": paper_rows(paperwork.documents_of_deal(actor=viewer, deal_id=tx.pk)),
        "step_key": uuid4(),
        "top_error": failed.top_error if failed is not None and not failed_step else "",
    }
    return render(request, "web/deals/detail.html", context, status=status)


@login_required
@require_GET
def transaction_detail(request: HttpRequest, transaction_id: UUID) -> HttpResponse:
    return _tx_page(request, _party_tx(request, transaction_id))


def _step_fields(tx: Transaction, name: str) -> tuple[str, ...]:
    definition = processes.get(tx.process, tx.process_version).transition(name)
    fields = tuple(p for p in (definition.params if definition else ()) if p in FORM_PARAMS)
    return (*fields, "payment_method") if definition and definition.takes_payment else fields


@login_required
@require_POST
def transaction_step(request: HttpRequest, transaction_id: UUID) -> HttpResponse:
    """Take one transition the viewer may take; `next` (the inbox) gets the outcome as a message."""
    tx = _party_tx(request, transaction_id)
    name = request.POST.get("name", "")[:40]
    fields = _step_fields(tx, name)
    parsed = parse_params(fields, request.POST, listing=tx.listing, currency=tx.currency)
    status = 422
    if not parsed.errors:
        try:
            services.transaction_transition(
                actor=member_of(request),
                transaction_id=tx.id,
                name=name,
                params=parsed.params,
                idempotency_key=_key(request),
            )
        except errors.DomainError as error:
            add_domain_error(parsed, error, fields)
            status = error.status
        else:
            messages.success(request, _("Done: %(step)s.") % {"step": step_label(tx, name)})
            return redirect_back(request, tx_url(tx)) if request.POST.get("next") else redirect(tx_url(tx))
    if request.POST.get("next"):
        messages.error(request, parsed.top_error or _("Open the deal to complete this step."))
        return redirect_back(request, tx_url(tx))
    tx = _party_tx(request, transaction_id)
    has_form = name in [s.name for s in steps_for(tx, member_of(request))] and bool(
        fields or parsed.top_error
    )
    return _tx_page(request, tx, failed=parsed, failed_step=name if has_form else "", status=status)


def tx_url(tx: Transaction) -> str:
    return reverse("transaction_detail", kwargs={"transaction_id": tx.id})


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """My deals, newest first: as a customer or as a provider, optionally in one state."""
    viewer = member_of(request)
    awaiting = selectors.transactions_awaiting(actor=viewer)
    counts = {
        "customer": awaiting.filter(customer=viewer).count(),
        "provider": awaiting.filter(provider=viewer).count(),
    }
    role = request.GET.get("as", "")
    if role not in counts:
        role = "provider" if counts["provider"] > counts["customer"] else "customer"
    states = state_choices()
    state = request.GET.get("state", "")
    state = state if state in dict(states) else ""
    rows = selectors.transactions_for(actor=viewer, role=role, state=state or None).order_by("-id")
    page = Paginator(rows, INBOX_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "role": role,
        "state": state,
        "states": states,
        "counts": counts,
        "page": page,
        "rows": inbox_rows(list(page.object_list), viewer),
        "step_key": uuid4(),
    }
    return render(request, "web/deals/inbox.html", context)


def _checkout_answer(parsed: Parsed, call: Callable[[], dict[str, Any]]) -> JsonResponse:
    """The payment element's checkout as JSON, or the refusal as the API's error shape."""
    if parsed.errors:
        return JsonResponse(
            {"error": {"code": "invalid_input", "message": _("Check the form."), "details": parsed.errors}},
            status=422,
        )
    try:
        checkout = call()
    except errors.DomainError as error:
        body = {"code": error.code, "message": str(error.message), "details": error.details}
        return JsonResponse({"error": body}, status=error.status, json_dumps_params={"default": str})
    return JsonResponse({**checkout, "amount": checkout["amount"].as_json()}, status=201)


@login_required
@require_POST
def listing_checkout(request: HttpRequest, public_id: UUID) -> JsonResponse:
    """The payment element asks, on "Book" or "Buy": a checkout priced from the deal form."""
    listing = _visible(request, public_id)
    panel = deal_panel(listing)
    if panel.mode not in DEAL_FIELDS:
        raise Http404(_("This listing takes no bookings or purchases."))
    fields = tuple(f for f in DEAL_FIELDS[panel.mode] if f != "payment_method")
    parsed = parse_params(fields, request.POST, listing=listing, currency=listing.currency)
    return _checkout_answer(
        parsed,
        lambda: services.transaction_checkout(
            actor=member_of(request),
            listing_id=listing.public_id,
            process=panel.process,
            params=parsed.params,
            idempotency_key=uuid4().hex,  # one per attempt: a declined one is not confirmed again
        ),
    )


@login_required
@require_POST
def transaction_step_checkout(request: HttpRequest, transaction_id: UUID) -> JsonResponse:
    """The payment element on a deal's paying step (accepting a paid offer)."""
    tx = _party_tx(request, transaction_id)
    name = request.POST.get("name", "")[:40]
    fields = tuple(f for f in _step_fields(tx, name) if f != "payment_method")
    parsed = parse_params(fields, request.POST, listing=tx.listing, currency=tx.currency)
    return _checkout_answer(
        parsed,
        lambda: services.transaction_step_checkout(
            actor=member_of(request),
            transaction_id=tx.id,
            name=name,
            params=parsed.params,
            idempotency_key=uuid4().hex,
        ),
    )

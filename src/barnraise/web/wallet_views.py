"""The wallet: balances, payouts, the payout account and its schedule; the onboarding return and
refresh pages the provider sends members to; the sandbox's onboarding page; saved cards."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from barnraise import errors
from barnraise.ledger import authorization, onboarding, paperwork, payouts, selectors
from barnraise.ledger import saved_cards as cards_at_provider
from barnraise.ledger.models import Payout, PayoutAccount, PayoutSchedule
from barnraise.ledger.providers import ProviderError
from barnraise.money import Money
from barnraise.web.paperwork_views import paper_rows
from barnraise.web.templatetags.payment_tags import card_words
from barnraise.web.views import member_of

PER_PAGE = 25
PAPERS_SHOWN = 50  # the newest; the API lists them all (GET /api/v1/me/paperwork)


@login_required
@require_GET
def wallet(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    postings = Paginator(selectors.member_postings(member=member), PER_PAGE).get_page(request.GET.get("page"))
    history = [
        {
            "posting": posting,
            "amount": Money(
                selectors.normal_sign(posting.account.kind) * posting.amount_minor, posting.currency
            ),
        }
        for posting in postings
    ]
    account = PayoutAccount.objects.filter(owner=member).first()
    context = {
        "balances": selectors.member_balances(member=member),
        "account": account,
        "state": onboarding.account_state(account) if account else None,
        "schedule": payouts.schedule_of(account),
        "schedules": [
            (value, label) for value, label in PayoutSchedule.choices if value in settings.PAYOUT_SCHEDULES
        ],
        "on_hold": payouts.holds_in_force(member).exists(),
        "payouts": [
            {"payout": p, "amount": Money(p.amount_minor, p.currency)}
            for p in Payout.objects.filter(owner=member).order_by("-created_at")[:20]
        ],
        "history": history,
        "page": postings,
        "papers": paper_rows(paperwork.documents_of(member)[:PAPERS_SHOWN]),
        "paid": selectors.paid_rows(member=member),
    }
    return render(request, "web/wallet/wallet.html", context)


@login_required
@require_POST
def payout_account_setup(request: HttpRequest) -> HttpResponse:
    account = payouts.payout_account_open(actor=member_of(request))
    if account.ready:
        return redirect("wallet")
    return redirect("payout_onboarding_refresh", account_id=account.external_id)


def _own_account(request: HttpRequest, account_id: str) -> PayoutAccount:
    account = PayoutAccount.objects.filter(owner=member_of(request), external_id=account_id).first()
    if account is None:
        raise Http404(_("No such payout account."))
    return account


@login_required
@require_GET
def payout_onboarding_return(request: HttpRequest, account_id: str) -> HttpResponse:
    """Where the provider sends the member back after onboarding: how the account stands now."""
    account = _own_account(request, account_id)
    try:
        account = payouts.payout_account_fetch(actor=account.owner)
    except ProviderError:  # the provider is not answering: show what we know, say so
        messages.warning(
            request, _("We could not reach the payment provider just now; this may be out of date.")
        )
    context = {"account": account, "state": onboarding.account_state(account)}
    return render(request, "web/wallet/onboarding_return.html", context)


@login_required
@require_GET
def payout_onboarding_refresh(request: HttpRequest, account_id: str) -> HttpResponse:
    """Where the provider sends the member when a link expired: a fresh link, at once."""
    account = _own_account(request, account_id)
    try:
        url = payouts.onboarding_link_make(actor=account.owner)
    except ProviderError:
        messages.error(request, _("We could not reach the payment provider just now. Try again in a minute."))
        return redirect("wallet")
    return redirect(url)


@login_required
@require_POST
def payout_schedule(request: HttpRequest) -> HttpResponse:
    try:
        payouts.payout_schedule_choose(actor=member_of(request), schedule=request.POST.get("schedule", ""))
    except errors.DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your payout schedule is saved."))
    return redirect(f"{reverse('wallet')}#payout-account")


@login_required
@require_POST
def payout_request(request: HttpRequest) -> HttpResponse:
    try:
        payout = payouts.payout_request(actor=member_of(request), currency=request.POST.get("currency", ""))
    except errors.DomainError as error:
        messages.error(request, error.message)
    else:
        amount = Money(payout.amount_minor, payout.currency).format()
        messages.success(request, _("Payout of %s requested.") % amount)
    return redirect("wallet")


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_authentication(request: HttpRequest, authorization_id: str) -> HttpResponse:
    """The sandbox's stand-in for a bank's 3-D Secure challenge, for the payer only."""
    member = member_of(request)
    try:
        amount = authorization.awaiting_authentication(actor=member, authorization_id=authorization_id)
        if request.method == "POST":
            authorization.sandbox_authenticate(actor=member, authorization_id=authorization_id)
            return render(request, "web/wallet/sandbox_authentication.html", {"confirmed": True})
    except errors.NotFound as error:
        raise Http404(error.message) from error
    except errors.DomainError as error:  # e.g. nothing to confirm: the card needed no check
        messages.error(request, error.message)
    return render(request, "web/wallet/sandbox_authentication.html", {"amount": amount})


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_onboarding(request: HttpRequest, account_id: str) -> HttpResponse:
    """The sandbox provider's stand-in for a real onboarding (identity, bank details)."""
    member = member_of(request)
    account = PayoutAccount.objects.filter(owner=member, external_id=account_id, provider="sandbox").first()
    if account is None:
        raise Http404(_("No such payout account."))
    if request.method == "POST":
        leave = ("external_account",) if request.POST.get("leave") == "bank" else ()
        payouts.sandbox_onboarding_finish(actor=member, external_id=account_id, leave_due=leave)
        # As a real provider does: back to the marketplace's return page.
        return redirect("payout_onboarding_return", account_id=account_id)
    return render(request, "web/wallet/sandbox_onboarding.html", {"account": account})


def _cards_in_words(member: Any) -> list[dict[str, str]]:
    return [
        {"id": card.id, "words": card_words(card)} for card in cards_at_provider.saved_list(member=member)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def saved_cards(request: HttpRequest) -> HttpResponse:
    """The member's saved cards (kept at the payment provider, never here): listed in words,
    one added through the payment element (a setup the page confirms), one removed. A POST is
    the element's form once the provider confirmed the setup."""
    member = member_of(request)
    if request.method == "POST":
        if request.POST.get("setup_intent"):
            messages.success(request, _("Your card is saved. You can choose it when you pay."))
        return redirect("wallet_cards")
    try:
        cards = _cards_in_words(member)
        unreachable = False
    except ProviderError:
        cards, unreachable = [], True
    return render(request, "web/wallet/saved_cards.html", {"cards": cards, "unreachable": unreachable})


@login_required
@require_POST
def saved_card_setup(request: HttpRequest) -> JsonResponse:
    """The payment element asks, on "Save card": a setup at the provider for its client secret."""
    try:
        started = cards_at_provider.setup_begin(member=member_of(request))
    except errors.DomainError as error:
        return JsonResponse(
            {"error": {"code": error.code, "message": str(error.message)}}, status=error.status
        )
    return JsonResponse({"setup_id": started.id, "client_secret": started.client_secret}, status=201)


@login_required
@require_http_methods(["GET", "POST"])
def saved_card_remove(request: HttpRequest, method_id: str) -> HttpResponse:
    """Ask first ("Remove Visa ending 4242?"), then forget the card at the provider."""
    member = member_of(request)
    try:
        card = next((c for c in _cards_in_words(member) if c["id"] == method_id), None)
    except ProviderError:
        messages.error(request, _("We could not reach the payment provider just now. Try again in a minute."))
        return redirect("wallet_cards")
    if card is None:
        raise Http404(_("No such saved card."))
    if request.method == "POST":
        try:
            cards_at_provider.saved_remove(member=member, method_id=method_id)
        except errors.NotFound as error:
            raise Http404(error.message) from error
        except errors.DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(card)s is removed.") % {"card": card["words"]})
        return redirect("wallet_cards")
    return render(request, "web/wallet/saved_card_remove.html", {"card": card})

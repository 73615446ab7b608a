"""The wallet: balances, payouts and the payout account; the sandbox's onboarding page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from barnraise import errors
from barnraise.ledger import authorization, payouts, selectors
from barnraise.ledger.models import Payout, PayoutAccount
from barnraise.money import Money
from barnraise.web.views import member_of

PER_PAGE = 25


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
    context = {
        "balances": selectors.member_balances(member=member),
        "account": PayoutAccount.objects.filter(owner=member).first(),
        "on_hold": payouts.holds_in_force(member).exists(),
        "payouts": [
            {"payout": p, "amount": Money(p.amount_minor, p.currency)}
            for p in Payout.objects.filter(owner=member).order_by("-created_at")[:20]
        ],
        "history": history,
        "page": postings,
    }
    return render(request, "web/wallet/wallet.html", context)


@login_required
@require_POST
def payout_account_setup(request: HttpRequest) -> HttpResponse:
    account = payouts.payout_account_open(actor=member_of(request))
    if account.ready:
        return redirect("wallet")
    return redirect(account.onboarding_url)


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
        payouts.sandbox_onboarding_finish(actor=member, external_id=account_id)
        messages.success(request, _("Your payout account is ready."))
        return redirect("wallet")
    return render(request, "web/wallet/sandbox_onboarding.html", {"account": account})

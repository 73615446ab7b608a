"""Pages for verifications, documents, skills tests and the portfolio. Views stay thin."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from barnraise.accounts import portfolio, skills, verification
from barnraise.accounts.models import Document, PhoneNumber
from barnraise.commerce import selectors as commerce_selectors
from barnraise.errors import DomainError, NotFound
from barnraise.private_files import private_file_response
from barnraise.web.credentials_forms import DocumentForm, ImageForm, PhoneCodeForm, PhoneForm, PortfolioForm
from barnraise.web.views import member_of


def _error_text(error: DomainError) -> str:
    if isinstance(error.details, dict) and error.code == "invalid":
        return " ".join([error.message, *(str(m) for ms in error.details.values() for m in ms)])
    return error.message


@login_required
@require_GET
def verifications(request: HttpRequest) -> HttpResponse:
    user = member_of(request)
    context = {
        "phone": PhoneNumber.objects.filter(user=user).first(),
        "phone_form": PhoneForm(),
        "code_form": PhoneCodeForm(),
        "document_form": DocumentForm(),
        "documents": Document.objects.filter(user=user).order_by("-created_at"),
    }
    response = render(request, "web/credentials/verifications.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _run(request: HttpRequest, done: str, call: Any) -> None:
    try:
        call()
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, done)


@login_required
@require_POST
def phone_code_send(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST)
    if form.is_valid():
        number = form.cleaned_data["number"]
        _run(
            request,
            _("We have texted you a code."),
            lambda: verification.phone_code_send(actor=member_of(request), number=number),
        )
    else:
        messages.error(request, _("Give your mobile number with its country code."))
    return redirect("account_verifications")


@login_required
@require_POST
def phone_verify(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("code", "")[:12]
    _run(
        request,
        _("Your phone number is verified."),
        lambda: verification.phone_verify(actor=member_of(request), code=code),
    )
    return redirect("account_verifications")


@login_required
@require_POST
def document_upload(request: HttpRequest) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        _run(
            request,
            _("Thank you: an operator will review it."),
            lambda: verification.document_upload(
                actor=member_of(request),
                kind=data["kind"],
                upload=data["file"],
                title=data["title"],
                issuer=data["issuer"],
            ),
        )
    else:
        messages.error(request, _("Choose what it is and the file."))
    return redirect("account_verifications")


@login_required
@require_GET
def document_file(request: HttpRequest, document_id: UUID) -> HttpResponseBase:
    """The member's own document (operators open theirs from the admin)."""
    try:
        document = verification.document_readable(actor=member_of(request), document_id=document_id)
    except NotFound as exc:
        raise Http404 from exc
    # A download, never shown inline: a PDF may carry scripts.
    name = f"{document.kind}-{document.id}"
    return private_file_response(document.file, content_type=document.content_type, name=name)


@require_GET
def skill_tests(request: HttpRequest) -> HttpResponse:
    return render(request, "web/credentials/skill_tests.html", {"tests": skills.skill_tests_active()})


@login_required
@require_POST
def skill_attempt_start(request: HttpRequest, test_id: UUID) -> HttpResponse:
    try:
        attempt = skills.skill_attempt_start(actor=member_of(request), test_id=test_id)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as error:
        messages.error(request, _error_text(error))
        return redirect("skill_tests")
    return redirect("skill_attempt", attempt_id=attempt.pk)


@login_required
@require_http_methods(["GET", "POST"])
def skill_attempt(request: HttpRequest, attempt_id: UUID) -> HttpResponse:
    """Take the test (GET shows the questions; POST hands in the answers), then its result."""
    actor = member_of(request)
    try:
        attempt = skills.skill_attempt_of(actor=actor, attempt_id=attempt_id)
    except NotFound as exc:
        raise Http404 from exc
    if request.method == "POST":
        answers = {}
        for key in request.POST:
            value = request.POST.get(key, "")
            if key.startswith("q_") and value.isdigit():
                answers[key.removeprefix("q_")] = int(value)
        try:
            attempt = skills.skill_attempt_submit(actor=actor, attempt_id=attempt.pk, answers=answers)
        except DomainError as error:
            messages.error(request, _error_text(error))
        return redirect("skill_attempt", attempt_id=attempt.pk)
    context = {
        "attempt": attempt,
        "questions": skills.skill_attempt_questions(attempt),
        "seconds_left": max(0, int((attempt.deadline - timezone.now()).total_seconds())),
    }
    response = render(request, "web/credentials/skill_attempt.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _deal_choices(request: HttpRequest) -> list[tuple[str, str]]:
    deals = commerce_selectors.transactions_for(actor=member_of(request), role="provider", state="completed")
    return [(str(tx.pk), f"{tx.listing.title} · {tx.customer.name}") for tx in deals[:100]]


@login_required
@require_http_methods(["GET", "POST"])
def portfolio_manage(request: HttpRequest) -> HttpResponse:
    actor = member_of(request)
    form = PortfolioForm(request.POST or None, deals=_deal_choices(request))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                portfolio.portfolio_item_create(
                    actor=actor,
                    title=data["title"],
                    description=data["description"],
                    url=data["url"],
                    transaction_id=UUID(data["transaction_id"]) if data["transaction_id"] else None,
                )
            except DomainError as error:
                messages.error(request, _error_text(error))
            else:
                messages.success(request, _("Added to your portfolio."))
                return redirect("account_portfolio")
        else:
            messages.error(request, _("Check the fields of the new piece."))
    context = {"items": portfolio.portfolio_of(user=actor), "form": form, "image_form": ImageForm()}
    return render(request, "web/credentials/portfolio.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def portfolio_image_add(request: HttpRequest, item_id: UUID) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose an image."))
    else:
        _run(
            request,
            _("The image is added."),
            lambda: portfolio.portfolio_image_add(actor=member_of(request), item_id=item_id, upload=upload),
        )
    return redirect("account_portfolio")


@login_required
@require_POST
def portfolio_item_delete(request: HttpRequest, item_id: UUID) -> HttpResponse:
    _run(
        request,
        _("The piece is removed."),
        lambda: portfolio.portfolio_item_delete(actor=member_of(request), item_id=item_id),
    )
    return redirect("account_portfolio")

"""Pages for reviews and profiles: the review prompt's form, replies, the public profile."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from barnraise.catalog.selectors import listings_published_by
from barnraise.commerce import selectors as commerce_selectors
from barnraise.errors import DomainError, NotFound
from barnraise.reputation import profile, selectors, services
from barnraise.web.reputation_forms import ReplyForm, ReviewForm
from barnraise.web.views import member_of


def _error_text(error: DomainError) -> str:
    if isinstance(error.details, dict) and error.code == "invalid":
        found = [f"{m}" for messages_ in error.details.values() for m in messages_]
        return " ".join([error.message, *found])
    return error.message


@login_required
@require_POST
def review_submit(request: HttpRequest, transaction_id: UUID) -> HttpResponse:
    """The review form on the deal page: stored (hidden until both are in), then back to the deal."""
    actor = member_of(request)
    try:
        tx = commerce_selectors.transaction_visible(actor=actor, transaction_id=transaction_id)
    except NotFound as exc:
        raise Http404 from exc
    form = ReviewForm(request.POST, aspects=selectors.aspects_for(tx.listing.category))
    target = reverse("transaction_detail", args=[tx.pk]) + "#review"
    if not form.is_valid():
        messages.error(request, _("Choose the stars, and check the other fields of your review."))
        return redirect(target)
    try:
        services.review_create(
            actor=actor,
            transaction_id=tx.pk,
            rating=form.cleaned_data["rating"],
            text=form.cleaned_data["text"],
            sub_ratings=form.sub_ratings(),
            private_score=form.cleaned_data["private_score"],
        )
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Thank you: your review is saved."))
    return redirect(target)


@require_GET
def member_profile(request: HttpRequest, user_id: UUID) -> HttpResponse:
    try:
        data = profile.profile_of(user_id=user_id)
    except NotFound as exc:
        raise Http404 from exc
    # The profile's member goes to the page as `member`: a `user` key would shadow the logged-in
    # member that the page header reads (their name in the menu, their email in the banner).
    member = data.pop("user")
    is_self = request.user.is_authenticated and request.user.pk == member.pk
    storefront = listings_published_by(user_id=member.pk)
    context = {**data, "member": member, "is_self": is_self, "storefront": storefront}
    return render(request, "web/reputation/profile.html", context)


@login_required
@require_POST
def review_reply(request: HttpRequest, review_id: UUID) -> HttpResponse:
    actor = member_of(request)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a reply of 1 to 2,000 characters."))
    else:
        try:
            services.review_reply(actor=actor, review_id=review_id, text=form.cleaned_data["text"])
        except DomainError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Your reply is published."))
    return redirect(reverse("member_profile", args=[actor.pk]) + "#reviews")

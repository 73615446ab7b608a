"""The member's own account page: profile, API tokens, data export, deletion."""

import json
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from barnraise.accounts.selectors import tokens_for, user_export
from barnraise.accounts.services import token_create, token_revoke, user_delete, user_profile_update
from barnraise.errors import DomainError, NotFound
from barnraise.web.forms import AccountDeleteForm, ProfileForm, TokenCreateForm, form_add_domain_error
from barnraise.web.views import member_of


def _settings_page(request: HttpRequest, *, status: int = 200, **forms: Any) -> HttpResponse:
    user = member_of(request)
    context = {
        "profile_form": ProfileForm(
            initial={
                "name": user.name,
                "bio": user.bio,
                "location": user.location,
                "business_name": user.business_name,
                "tax_number": user.tax_number,
            }
        ),
        "token_form": TokenCreateForm(),
        "delete_form": AccountDeleteForm(),
        "tokens": tokens_for(user=user),
        **forms,
    }
    response = render(request, "web/account/settings.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def account_settings(request: HttpRequest) -> HttpResponse:
    return _settings_page(request)


@login_required
@require_POST
def profile_update(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            user_profile_update(actor=member_of(request), **form.cleaned_data)
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("account_settings")
    return _settings_page(request, status=422, profile_form=form)


@login_required
@require_POST
def api_token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, status=422, token_form=form)
    token, secret = token_create(user=member_of(request), name=form.cleaned_data["name"])
    # Rendered, not redirected: the secret is shown this once and stored nowhere.
    return _settings_page(request, new_token=token, new_token_secret=secret)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: UUID) -> HttpResponse:
    try:
        token = token_revoke(actor=member_of(request), token_id=token_id)
    except NotFound as error:
        raise Http404(error.message) from error
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("account_settings")


@login_required
@require_GET
def account_export(request: HttpRequest) -> HttpResponse:
    data = user_export(user=member_of(request))
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    filename = f"barnraise-data-{timezone.now():%Y-%m-%d}.json"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST)
    if form.is_valid():
        try:
            user_delete(actor=member_of(request), password=form.cleaned_data["password"])
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            logout(request)
            messages.success(request, _("Your account is deleted. Thank you for being part of it."))
            return redirect("home")
    return _settings_page(request, status=422, delete_form=form)

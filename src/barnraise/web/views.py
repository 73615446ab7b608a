"""Site pages: home, the email-verification resend, and the error pages."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from barnraise.accounts.models import User
from barnraise.accounts.services import user_email_verification_send
from barnraise.catalog.selectors import categories_tree, listings_latest
from barnraise.errors import RateLimited
from barnraise.replica import replica_reads

HOME_LISTINGS = 12


View = Callable[..., HttpResponse]


def lag_tolerant(*, visitors_only: bool = False) -> Callable[[View], View]:
    """A page whose reads may come from the read replica (barnraise.replica), a little behind
    the primary. The visitor's session and account are read first, from the primary (someone
    who has just signed in is signed in). With `visitors_only`, signed-in members read the
    primary: an author who has just edited their listing or profile sees the edit."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if visitors_only and request.user.is_authenticated:
                return view(request, *args, **kwargs)
            request.user.is_authenticated  # noqa: B018 - loads the session and member now
            with replica_reads():
                return view(request, *args, **kwargs)

        return wrapped

    return decorate


def member_of(request: HttpRequest) -> User:
    """The logged-in member behind a request that login_required has already let through."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def redirect_back(request: HttpRequest, default: str = "home") -> HttpResponseRedirect:
    """Go to the form's `next` field when it points inside the site, else to `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def home(request: HttpRequest) -> HttpResponse:
    context = {"categories": categories_tree(), "listings": listings_latest(limit=HOME_LISTINGS)}
    return render(request, "web/home.html", context)


@login_required
@require_POST
def email_verification_resend(request: HttpRequest) -> HttpResponse:
    user = member_of(request)
    try:
        sent = user_email_verification_send(user=user, request=request)
    except RateLimited as exc:
        minutes = max(1, round(exc.retry_after / 60))
        messages.error(
            request, _("We sent a link a moment ago. Try again in %(n)d minutes.") % {"n": minutes}
        )
        return redirect_back(request)
    if sent:
        messages.success(request, _("We have sent a new link to %(email)s.") % {"email": user.email})
    else:
        messages.info(request, _("Your email address is already verified."))
    return redirect_back(request)


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    context = {"status": status, "title": title, "text": text}
    return render(request, "web/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The page could not understand what was sent."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Not allowed"), _("You do not have access to this page."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 404, _("Page not found"), _("There is nothing here. The link may be old or mistyped.")
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without a request context: the database or a context processor may be the fault."""
    try:
        body = loader.get_template("web/500.html").render({"SITE_NAME": settings.SITE_NAME})
    except Exception:  # the last resort must not fail in turn
        body = "<!doctype html><title>Server error</title><h1>Server error</h1>"
    return HttpResponseServerError(body)

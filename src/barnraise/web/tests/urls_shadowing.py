"""A URL configuration for the tests: the site's, plus two pages with the bug of issue #17,
item 1, to show the every-page check sees it: one hides the logged-in member behind a context
key named `user`, one prints a member's email and name in an account menu of its own."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path

from barnraise.accounts.models import User
from barnraise.config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def shadow(request: HttpRequest, user_id: UUID) -> HttpResponse:
    return render(request, "web/home.html", {"user": get_object_or_404(User, pk=user_id)})


def show(request: HttpRequest, user_id: UUID) -> HttpResponse:
    member = get_object_or_404(User, pk=user_id)
    menu = f'<details class="dropdown account-menu"><summary>{member.name}</summary></details>'
    return HttpResponse(f"{menu}<p>{member.email}</p>")


urlpatterns = [path("shadow/<uuid:user_id>/", shadow), path("show/<uuid:user_id>/", show), *urlpatterns]

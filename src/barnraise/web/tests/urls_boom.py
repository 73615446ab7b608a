"""A URL configuration for the tests: the site's, plus one view that fails."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from barnraise.config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("boom/", boom), *urlpatterns]

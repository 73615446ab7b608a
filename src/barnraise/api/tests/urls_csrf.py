"""A URL configuration for the tests: the site's, plus a view under /api/ that CSRF protects."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from barnraise.config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def guarded(request: HttpRequest) -> HttpResponse:
    return HttpResponse("changed")


urlpatterns = [path("api/guarded/", guarded), path("guarded/", guarded), *urlpatterns]

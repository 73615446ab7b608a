from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import include, path, re_path
from django.views.static import serve

from barnraise.api.root import unknown_path
from barnraise.config.api import api


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Public media from MEDIA_ROOT, for development and `barnraise demo` only (SERVE_MEDIA).

    In production a reverse proxy, the object store or a CDN serves them (docs/deployment.md);
    read at each request, so a test or the demo can turn it on after the URLconf is loaded.
    """
    if not settings.SERVE_MEDIA:
        raise Http404
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/", unknown_path),  # every answer under /api/ is JSON
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("media/<path:path>", media),
    path("", include("barnraise.web.urls")),
]

handler400 = "barnraise.web.views.bad_request"
handler403 = "barnraise.web.views.permission_denied"
handler404 = "barnraise.web.views.page_not_found"
handler500 = "barnraise.web.views.server_error"

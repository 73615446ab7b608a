from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from barnraise.api.root import unknown_path
from barnraise.config.api import api
from barnraise.observability.views import metrics

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/", unknown_path),  # every answer under /api/ is JSON
    path("metrics", metrics, name="metrics"),  # outside /api/: not in the OpenAPI document
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", include("barnraise.web.urls")),
]

handler400 = "barnraise.web.views.bad_request"
handler403 = "barnraise.web.views.permission_denied"
handler404 = "barnraise.web.views.page_not_found"
handler500 = "barnraise.web.views.server_error"

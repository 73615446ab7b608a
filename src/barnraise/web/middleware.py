import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


@functools.cache
def _policy(tile_url: str, storage_origins: tuple[str, ...]) -> str:
    """The policy. Images may come from public media on an object store or a CDN, and the
    private store a page image redirects to; map tiles' origin is allowed only when
    MAP_TILE_URL names one ({s} in the host, Leaflet's subdomains, allows every subdomain)."""
    img = ["'self'", "data:", "blob:", *storage_origins]
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}." in tile_url else parts.netloc
        img.append(f"{parts.scheme}://{host}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": img,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy on every response: no inline script or style at all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault(
            "Content-Security-Policy", _policy(settings.MAP_TILE_URL, tuple(settings.STORAGE_ORIGINS))
        )
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        return response

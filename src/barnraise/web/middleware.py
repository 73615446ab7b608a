import functools
import zoneinfo
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from barnraise import moments

# Stripe's documented origins for Stripe.js (docs.stripe.com/security/guide, "Content
# Security Policy"): the script and its frames from js.stripe.com, 3-D Secure frames from
# hooks.stripe.com, its API calls to api.stripe.com. Allowed only when Stripe is the provider.
STRIPE_SCRIPT = "https://js.stripe.com"
STRIPE_FRAMES = ("https://js.stripe.com", "https://hooks.stripe.com")
STRIPE_API = "https://api.stripe.com"
# Connect's hosted onboarding: the account links Stripe answers are https://connect.stripe.com/…,
# reached by a redirect after the wallet's "Set up payouts" form, which form-action governs.
STRIPE_CONNECT = "https://connect.stripe.com"


def _payment_origins() -> tuple[list[str], list[str], list[str]]:
    """(script, frame, connect) origins the payment element needs beyond 'self'.

    With Stripe: Stripe.js from Stripe's own origin, or, when STRIPE_API_BASE points at a fake
    of Stripe's API (tests), Barnraise's shim ('self') talking to that fake and framing its
    3-D Secure page. With the sandbox: nothing, everything is served by Barnraise."""
    if settings.PAYMENT_PROVIDER != "stripe":
        return [], [], []
    if settings.STRIPE_API_BASE:
        parts = urlsplit(settings.STRIPE_API_BASE)
        origin = f"{parts.scheme}://{parts.netloc}"
        return [], [origin], [origin]
    return [STRIPE_SCRIPT], list(STRIPE_FRAMES), [STRIPE_API]


@functools.cache
def _policy(
    provider: str, stripe_base: str, tile_url: str, storage_origins: tuple[str, ...], frame_ancestors: str
) -> str:
    """The policy. Images may come from public media on an object store or a CDN, and the
    private store a page image redirects to; map tiles' origin is allowed only when
    MAP_TILE_URL names one ({s} in the host, Leaflet's subdomains, allows every subdomain).
    The payment element's origins depend on the provider (`_payment_origins`)."""
    img = ["'self'", "data:", "blob:", *storage_origins]
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}." in tile_url else parts.netloc
        img.append(f"{parts.scheme}://{host}")
    script, frame, connect = _payment_origins()
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script],
        "style-src": ["'self'"],
        "img-src": img,
        "font-src": ["'self'"],
        "connect-src": ["'self'", *connect],
        "frame-src": ["'self'", *frame],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # a form whose answer redirects to Stripe's onboarding (the wallet's "Set up payouts")
        "form-action": ["'self'", *([STRIPE_CONNECT] if provider == "stripe" else [])],
        "frame-ancestors": [frame_ancestors],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def policy(*, frame_ancestors: str = "'none'") -> str:
    """The site's Content-Security-Policy for the settings now in force."""
    return _policy(
        settings.PAYMENT_PROVIDER,
        settings.STRIPE_API_BASE,
        settings.MAP_TILE_URL,
        tuple(settings.STORAGE_ORIGINS),
        frame_ancestors,
    )


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy on every response: no inline script or style at all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", policy())
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        return response


# The cookie web/static/web/time-zone.js sets to the browser's own zone (an IANA name).
TIME_ZONE_COOKIE = "tz"


def viewer_zone_name(request: HttpRequest) -> str:
    """The zone a visitor reads times in: their own setting, else their browser's (the cookie),
    else the marketplace's (docs/architecture.md, "Time zones")."""
    user = getattr(request, "user", None)
    chosen = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
    if chosen and moments.time_zone_known(str(chosen)):
        return str(chosen)
    browser = request.COOKIES.get(TIME_ZONE_COOKIE, "")
    if browser and moments.time_zone_known(browser):
        return browser
    return str(settings.MARKETPLACE_TIME_ZONE)


class ViewerTimeZoneMiddleware:
    """Activates the viewer's zone for the pages (`viewer_time` and Django's own date filters
    then show times in it). The API is left in UTC: it answers times with their offsets."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return self.get_response(request)
        zone = viewer_zone_name(request)
        request.viewer_zone = zone  # type: ignore[attr-defined]  # read by the settings page
        # and by base.html: time-zone.js leaves times in a zone the member chose alone
        user = getattr(request, "user", None)
        chosen = user is not None and user.is_authenticated and getattr(user, "time_zone", "") == zone
        request.viewer_zone_chosen = chosen  # type: ignore[attr-defined]
        timezone.activate(zoneinfo.ZoneInfo(zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

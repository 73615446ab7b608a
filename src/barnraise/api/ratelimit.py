"""Who is calling, for per-IP rate limits (the limiter itself is barnraise.ratelimits)."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The caller's address; NUM_PROXIES trusted proxies may prepend X-Forwarded-For."""
    proxies: int = settings.NUM_PROXIES
    if proxies:
        header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        forwarded = [part.strip() for part in header.split(",")]
        if len(forwarded) >= proxies and forwarded[-proxies]:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR") or "unknown")

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from barnraise.accounts import operators
from barnraise.accounts.selectors import user_email_verified
from barnraise.commerce.selectors import transactions_awaiting
from barnraise.ledger.providers.sandbox_checkout import PUBLISHABLE_KEY
from barnraise.notifications.selectors import notifications_unread_count

STRIPE_JS = "https://js.stripe.com/v3/"  # Stripe requires it from its own origin (docs/web.md)


def payment_element() -> dict[str, str]:
    """What the payment element loads and talks to: `stripe_js` (Stripe's own script, only with
    Stripe in production; otherwise Barnraise's shim of it), the publishable key, and the
    shim's `api_base` (the sandbox's client side, or a fake of Stripe's API in tests)."""
    if settings.PAYMENT_PROVIDER == "stripe":
        key = settings.STRIPE_PUBLISHABLE_KEY or "pk_test_unset"
        if settings.STRIPE_API_BASE:
            return {"stripe_js": "", "key": key, "api_base": settings.STRIPE_API_BASE}
        return {"stripe_js": STRIPE_JS, "key": key, "api_base": ""}
    return {"stripe_js": "", "key": PUBLISHABLE_KEY, "api_base": "/sandbox"}


def site(request: HttpRequest) -> dict[str, Any]:
    """The site's name and, for a logged-in member, what the page header shows them.

    The member's reads are lazy: they run only when a template asks for them.
    """
    context: dict[str, Any] = {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "VERSION": settings.VERSION,
        "PAYMENT_PROVIDER": settings.PAYMENT_PROVIDER,
        "PAYMENT_ELEMENT": payment_element(),
        "MAP_TILES": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["unread_count"] = SimpleLazyObject(lambda: notifications_unread_count(user=user))
        context["email_verified"] = SimpleLazyObject(lambda: user_email_verified(user=user))
        context["deals_awaiting"] = SimpleLazyObject(lambda: transactions_awaiting(actor=user).count())
        context["is_operator"] = SimpleLazyObject(
            lambda: operators.operator_in(user, operators.SUPPORT, operators.FINANCE)
        )
        context["is_admin_operator"] = SimpleLazyObject(lambda: operators.operator_in(user, operators.ADMIN))
    return context

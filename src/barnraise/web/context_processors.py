from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from barnraise.accounts.selectors import user_email_verified
from barnraise.commerce.selectors import transactions_awaiting
from barnraise.notifications.selectors import notifications_unread_count


def site(request: HttpRequest) -> dict[str, Any]:
    """The site's name and, for a logged-in member, what the page header shows them.

    The member's reads are lazy: they run only when a template asks for them.
    """
    context: dict[str, Any] = {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "VERSION": settings.VERSION,
        "PAYMENT_PROVIDER": settings.PAYMENT_PROVIDER,
        "MAP_TILES": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["unread_count"] = SimpleLazyObject(lambda: notifications_unread_count(user=user))
        context["email_verified"] = SimpleLazyObject(lambda: user_email_verified(user=user))
        context["deals_awaiting"] = SimpleLazyObject(lambda: transactions_awaiting(actor=user).count())
    return context

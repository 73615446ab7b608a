"""Small template helpers for the site's pages."""

from datetime import datetime, timedelta

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

from barnraise.catalog.models import Listing
from barnraise.money import Money

register = template.Library()


@register.filter
def listing_price(listing: Listing) -> str:
    """The listing's price in the visitor's language, e.g. "$12.50"."""
    locale = to_locale(get_language() or settings.LANGUAGE_CODE)
    return Money(listing.price_amount_minor, listing.currency).format(locale)


@register.simple_tag
def site_name() -> str:
    """The site's name without a request context (the 500 and CSRF failure pages have none)."""
    return str(settings.SITE_NAME)


@register.filter
def ago(moment: datetime) -> str:
    """How long ago, in words: "just now", "3 hours ago"."""
    if timezone.now() - moment < timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment, depth=1)}

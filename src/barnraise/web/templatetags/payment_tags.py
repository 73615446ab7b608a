"""The payment element's saved cards, and a card in words ("Visa ending 4242, expires
December 2029")."""

import logging
from typing import Any

from django import template
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from barnraise.ledger import saved_cards
from barnraise.ledger.providers import ProviderError, SavedMethod

register = template.Library()
logger = logging.getLogger(__name__)

BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
}


def brand_name(brand: str) -> str:
    return BRANDS.get(brand, pgettext("card brand", "Card"))


def card_words(card: SavedMethod) -> str:
    """The card as people say it: brand, last four digits and expiry, never a code."""
    if card.exp_month and card.exp_year:
        return _("%(brand)s ending %(last4)s, expires %(month)s %(year)s") % {
            "brand": brand_name(card.brand),
            "last4": card.last4,
            "month": MONTHS.get(card.exp_month, card.exp_month),
            "year": card.exp_year,
        }
    return _("%(brand)s ending %(last4)s") % {"brand": brand_name(card.brand), "last4": card.last4}


@register.simple_tag(takes_context=True)
def saved_cards_of(context: Any) -> list[dict[str, str]]:
    """The signed-in member's saved cards, in words, for the payment element to offer. Asks
    the provider only for a member who has a customer there; a provider not answering offers
    none (a new card still works)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or saved_cards.customer_find(member=user) is None:
        return []
    try:
        cards = saved_cards.saved_list(member=user)
    except ProviderError:
        logger.warning("saved cards not offered: the provider did not answer", exc_info=True)
        return []
    return [{"id": card.id, "words": card_words(card)} for card in cards]

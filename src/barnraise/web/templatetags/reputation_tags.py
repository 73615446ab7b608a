"""The review prompt, included on the deal page: `{% load reputation_tags %}{% review_prompt tx %}`."""

from typing import Any

from django import template
from django.utils import timezone

from barnraise.commerce.models import Transaction
from barnraise.reputation import selectors
from barnraise.web.reputation_forms import ReviewForm

register = template.Library()


@register.inclusion_tag("web/reputation/_review_prompt.html", takes_context=True)
def review_prompt(context: dict[str, Any], tx: Transaction) -> dict[str, Any]:
    request = context["request"]
    prompt = selectors.review_prompt(tx=tx, viewer=request.user, now=timezone.now())
    form = ReviewForm(aspects=prompt["aspects"]) if prompt and prompt["open"] else None
    return {"tx": tx, "prompt": prompt, "form": form, "csrf_token": context.get("csrf_token")}


@register.filter
def stars(rating: int | None) -> str:
    """★★★★☆ for 4."""
    if not rating:
        return ""
    return "★" * int(rating) + "☆" * (5 - int(rating))


@register.filter
def percent(share: float | None) -> str:
    """0.8 as "80%"."""
    return "" if share is None else f"{round(share * 100)}%"

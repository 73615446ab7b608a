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


@register.inclusion_tag("web/reputation/_star_summary.html")
def star_summary(rep: Any) -> dict[str, Any]:
    """ "★ 4.9 · 37 reviews" from a reputation (a Reputation row or the profile's dict): the plain
    mean of the public stars and their count, which is what a person checks against the reviews
    they read. The Bayesian score ranks search results but is never shown as stars."""
    mean = rep.get("mean") if isinstance(rep, dict) else getattr(rep, "mean", None)
    count = (rep.get("reviews") if isinstance(rep, dict) else getattr(rep, "reviews", 0)) or 0
    return {"mean": mean if count else None, "count": count}


@register.filter
def percent(share: float | None) -> str:
    """0.8 as "80%"."""
    return "" if share is None else f"{round(share * 100)}%"

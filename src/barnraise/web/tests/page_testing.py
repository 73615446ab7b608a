"""Set-up shared by the page tests: a listing to show, a notification to read, HTML checks."""

import re
from typing import Any

from django.http import HttpResponse

from barnraise.accounts.models import User
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import category_create, listing_create
from barnraise.notifications.models import Notification

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def assert_csp_clean(response: HttpResponse) -> None:
    """The strict CSP is sent, and the page needs nothing it forbids."""
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html), INLINE_SCRIPT.findall(html)
    assert not INLINE_STYLE.findall(html), INLINE_STYLE.findall(html)
    assert not INLINE_HANDLER.findall(html), INLINE_HANDLER.findall(html)


def category(slug: str = "tools", name: str = "Tools", parent: Category | None = None) -> Category:
    return category_create(slug=slug, name=name, parent=parent)


def listing(author: User, cat: Category, **fields: Any) -> Listing:
    values: dict[str, Any] = {
        "kind": "rental",
        "unit": "day",
        "title": "Cordless drill",
        "price_amount_minor": 1250,
        "currency": "USD",
        "lat": 44.47,
        "lng": -73.21,
        **fields,
    }
    return listing_create(actor=author, category=cat, **values)


def notification(user: User, title: str = "Bob booked your drill", **fields: Any) -> Notification:
    return Notification.objects.create(recipient=user, kind="test", title=title, **fields)

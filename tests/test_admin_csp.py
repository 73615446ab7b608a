"""The Django admin under the site's CSP (issue #19, "The operator's console"): every admin page
of one object, found in the URLconf and opened on a seeded row of tests/world.py, needs no
inline script, style or event handler, which the site's Content-Security-Policy forbids (the
browser would drop them and log an error in its console)."""

import re

import pytest
from django.apps import apps
from django.http import HttpResponse

from tests.authorization import admin_object_pages, admin_page_answer

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
# Routes whose last segment names another model than the path's, and models not seeded.
FILE_MODELS = {"admin/commerce/dispute/evidence/<uuid:evidence_id>/file/": ("commerce", "disputeevidence")}
UNSEEDED = {"accounts.phonenumber", "ledger.providerwebhookevent"}


def csp_breaches(response: HttpResponse) -> list[str]:
    """What in the page the site's CSP would block: inline scripts, styles and handlers."""
    policy = response.get("Content-Security-Policy", "")
    if "script-src 'self'" not in policy or "style-src 'self'" not in policy:
        return ["no strict CSP sent"]
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    html = response.content.decode()
    return [*INLINE_SCRIPT.findall(html), *INLINE_STYLE.findall(html), *INLINE_HANDLER.findall(html)]


def test_the_check_finds_an_inline_style_and_script() -> None:
    # given pages that break the policy, and one that keeps it
    def page(body: str) -> HttpResponse:
        response = HttpResponse(body, content_type="text/html")
        response["Content-Security-Policy"] = "script-src 'self'; style-src 'self'"
        return response

    # then the check names what breaks it, and passes a page that needs nothing forbidden
    assert csp_breaches(page('<img src="a.png" style="height:auto">'))
    assert csp_breaches(page("<script>alert(1)</script>"))
    assert csp_breaches(page('<a href="#" onclick="go()">go</a>'))
    assert (
        csp_breaches(page('<script src="/static/a.js"></script><script type="application/json">{}</script>'))
        == []
    )


@pytest.mark.django_db
def test_every_admin_change_page_passes_the_sites_csp(world) -> None:
    # given every admin page of one object (its change page and the others) and a seeded row of its model
    pages = admin_object_pages()
    assert len(pages) > 100
    failures = []
    for route, app, model, _action in pages:
        app, model = FILE_MODELS.get(route, (app, model))
        if f"{app}.{model}" in UNSEEDED:
            continue
        row = apps.get_model(app, model).objects.order_by("pk").first()
        if row is None:
            continue
        # when the admin group opens it
        response = admin_page_answer(route, str(row.pk), world, "admin")
        # then it answers, under the site's CSP, with nothing the CSP would block
        if response.status_code != 200:
            failures.append(f"{route}: {response.status_code}")
        elif breaches := csp_breaches(response):
            failures.append(f"{route}: {breaches[:3]}")
    assert failures == [], "\n".join(failures)

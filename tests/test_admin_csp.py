"""The Django admin under the site's CSP (issue #19, "The operator's console"): every admin page
of one object, found in the URLconf and opened on a seeded row of tests/world.py, needs no
inline script, style or event handler, which the site's Content-Security-Policy forbids (the
browser would drop them and log an error in its console)."""

from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.http import HttpResponse

from tests.authorization import admin_object_pages, admin_page_answer

# Routes whose last segment names another model than the path's, and models not seeded.
FILE_MODELS = {"admin/commerce/dispute/evidence/<uuid:evidence_id>/file/": ("commerce", "disputeevidence")}
UNSEEDED = {"accounts.phonenumber", "ledger.providerwebhookevent"}


class _Breaches(HTMLParser):
    """The page's elements as the browser builds them (text, escaped markup included, is not
    an element): a script without `src` (but a JSON data block), a <style>, a `style` or
    `on…` attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"<{tag} {name}=…>" for name in names if name == "style" or name.startswith("on")]


def csp_breaches(response: HttpResponse) -> list[str]:
    """What in an HTML page the site's CSP would block: inline scripts, styles and handlers."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return []  # a file (an image, a download): nothing runs in it
    policy = response.get("Content-Security-Policy", "")
    if "script-src 'self'" not in policy or "style-src 'self'" not in policy:
        return ["no strict CSP sent"]
    parser = _Breaches()
    parser.feed(response.content.decode())
    return parser.found


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
    kept = '<script src="/static/a.js"></script><script type="application/json">{}</script>'
    escaped = "<p>&lt;td style=&quot;color:red&quot;&gt; (an email's HTML, shown as text)</p>"
    assert csp_breaches(page(kept + escaped)) == []


@pytest.mark.django_db
def test_every_admin_change_page_passes_the_sites_csp(world) -> None:
    # given every admin page of one object (its change page and the others) and a seeded row of its model
    pages = admin_object_pages()
    assert len(pages) > 100
    failures, opened = [], 0
    for route, app, model, _action in pages:
        app, model = FILE_MODELS.get(route, (app, model))
        if f"{app}.{model}" in UNSEEDED:
            continue
        row = apps.get_model(app, model).objects.order_by("pk").first()
        if row is None:
            continue
        # when the admin group opens it
        response = admin_page_answer(route, str(row.pk), world, "admin")
        # then, where it shows a page, it needs nothing the site's CSP would block (who may open
        # which page is tests/test_authorization_matrix.py's question)
        if response.status_code == 200 and (breaches := csp_breaches(response)):
            failures.append(f"{route}: {breaches[:3]}")
        opened += response.status_code == 200
    assert opened > 50
    assert failures == [], "\n".join(failures)

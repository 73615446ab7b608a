"""A member's browser tab and the small things journeys make: members, photos, ids."""

import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from PIL import Image

from barnraise.accounts.models import User

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a-long-pass-12345"
CARD = "4242 4242 4242 4242"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
HTMX_SUPERSEDED = ("htmx:sendAbort,", "htmx:afterRequest,")

# Every journey module: a browser test, slow, on a live server whose rows are wiped after it.
MARKS = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ledger_rows_removable"),
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason="Chromium is not installed (.ci/run installs it)"
    ),
]


class Person:
    """One member's browser tab, with the console problems it saw."""

    def __init__(
        self,
        chromium: Any,
        base: str,
        viewport: dict[str, int],
        *,
        javascript: bool = True,
        touch: bool = False,
    ) -> None:
        self.context = chromium.new_context(
            viewport=viewport, java_script_enabled=javascript, has_touch=touch
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base = base
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))

    def go(self, path: str) -> Any:
        self.page.goto(f"{self.base}{path}")
        return self.page

    def _console(self, message: Any) -> None:
        # htmx logs a request it aborted for a newer one (a quick second tap) as an error, with
        # its failed afterRequest; a real failure also logs htmx:responseError or sendError.
        if message.type == "error" and not message.text.startswith(HTMX_SUPERSEDED):
            self.problems.append(message.text)

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.go("/accounts/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", password)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)

    def text(self, selector: str = "main") -> str:
        return str(self.page.locator(selector).inner_text())

    def assert_no_csp_violations(self) -> None:
        csp = [p for p in self.problems if "Content Security Policy" in p or "Refused to" in p]
        assert not csp, csp
        self.context.close()


def pay_with_card(page: Any, scope: str = "#deal-form", card: str = CARD) -> None:
    """Type a card into the payment element (the sandbox's Stripe.js shim) inside `scope`."""
    box = page.locator(f"{scope} [data-payment-element]")
    box.get_by_label("Card number").fill(card)
    box.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    box.get_by_label("Security code (CVC)").fill("123")


def member(email: str, name: str) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, name=name)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def jpeg(name: str = "room.jpg", tint: int = 60) -> dict[str, Any]:
    """A small photo, made here: a warm gradient 640 × 480."""
    image = Image.new("RGB", (640, 480))
    image.putdata([(150 + x // 8, 80 + y // 6, tint) for y in range(480) for x in range(640)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def public_id_in(url: str) -> str:
    match = re.search(r"/listings/([0-9a-f-]{36})/", url)
    assert match, url
    return match.group(1)


def _set(page: Any, selector: str, value: str) -> None:
    """A field given its value, whatever it is: a list is chosen from, a box ticked, text typed."""
    field = page.locator(selector)
    shape = field.evaluate("e => e.tagName + ':' + (e.type || '')")
    if shape.startswith("SELECT"):
        field.select_option(value)
    elif shape.endswith(":checkbox"):
        field.check() if value else field.uncheck()
    else:
        field.fill(value)


def list_in_wizard(
    person: Person,
    kind: str,
    category: str,
    *,
    title: str,
    description: str = "",
    details: tuple[tuple[str, str], ...] = (),
    address: str = "Burlington, VT",
    price: str = "10",
    unit: str = "",
    rules: tuple[tuple[str, str], ...] = (),
) -> str:
    """A listing made through the listing wizard, from its details to "Publish" (no photos, the
    week it starts with): its public id. `details` are (selector, value) set on the details
    step, `rules` on the price step."""
    page = person.go(f"/list/details/?kind={kind}&category={category}")
    page.fill("[name=title]", title)
    page.fill("[name=description]", description)
    for selector, value in details:
        _set(page, selector, value)
    page.fill("[name=address]", address)  # found in its town when the step is saved
    page.fill("[name=timezone]", "America/New_York")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(re.compile(r"/steps/photos/$"))
    public_id = public_id_in(page.url)
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url(re.compile(r"/steps/price/$"))
    if unit and page.input_value("[name=unit]") != unit:  # the rules are redrawn for the unit
        with page.expect_response(lambda response: response.request.method == "POST"):
            page.select_option("[name=unit]", unit)
    page.fill("[name=price]", price)
    page.fill("[name=currency]", "USD")
    for selector, value in rules:
        _set(page, selector, value)
    page.locator("button[name=action][value=save]").click()
    page.wait_for_url(re.compile(r"/steps/(availability|preview)/$"))
    if page.url.endswith("/availability/"):
        page.locator("button[name=action][value=save]").click()
        page.wait_for_url(re.compile(r"/steps/preview/$"))
    page.get_by_role("button", name=re.compile(r"^(Publish|Send for review)$")).click()
    page.wait_for_url(re.compile(r"/listings/[0-9a-f-]{36}/$"))
    return public_id


def add_photo(person: Person, public_id: str, alt: str, tint: int) -> None:
    """A photo added to a published listing from its page: "Photos" opens the wizard's photo
    step, the photo is uploaded, then described beside it; "Done" goes back to the overview."""
    page = person.go(f"/listings/{public_id}/")
    page.locator(".author-bar").get_by_role("button", name="Photos", exact=True).click()
    page.wait_for_url(re.compile(r"/steps/photos/$"))
    page.set_input_files("#photo-images", jpeg(f"photo-{tint}.jpg", tint))
    page.locator("form.photo-upload").get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    page.locator("[data-photo-id] input[type=text]").last.fill(alt)
    page.locator(".form-actions button[name=action][value=save]").click()
    page.wait_for_load_state()
    assert page.get_by_alt_text(alt).first.is_visible()
    page.get_by_role("button", name="Done").click()
    page.wait_for_url(re.compile(r"/listings/[0-9a-f-]{36}/edit/$"))

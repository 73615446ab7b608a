"""After the deal, with the demo data, in real Chromium against a live server.

The demo marketplace (its two logins and their deals in every state, seeded small) is where
this journey starts: the customer is prompted to review a finished booking and does; she writes
on an accepted one and sees her message in its timeline; the provider, on a phone, gets the
unread badge, reads her message, reviews her back (both reviews are then published), and once
the dispute window has closed requests a payout from his wallet. A visitor without JavaScript
pages through the calendar of free dates of the rental she booked.
"""

import re
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from barnraise.accounts.models import User
from barnraise.commerce.models import Transaction
from barnraise.demo import seed
from barnraise.ledger.escrow.settlement import SETTLE_HANDLER
from barnraise.ledger.models import Payout
from barnraise.notifications.models import Notification
from barnraise.reputation.models import Review
from barnraise.timers import services as timers
from barnraise.timers.models import Timer
from tests.browser.journey import DESKTOP, MARKS, PHONE, Person

pytestmark = MARKS


def test_with_the_demo_data_reviews_are_written_a_message_joins_the_timeline_and_a_payout_is_asked(
    live_server: Any, chromium: Any
) -> None:
    # given the demo marketplace, small: the demo customer has a finished booking with the
    # demo provider, an accepted one, and others in other states
    seed.run(members=4, listings=10)
    alice = User.objects.get(email=seed.DEMO_LOGINS[0].email)
    bob = User.objects.get(email=seed.DEMO_LOGINS[1].email)
    bookings = Transaction.objects.filter(customer=alice, provider=bob, start__isnull=False)
    done = bookings.get(state="completed")
    booked = bookings.get(state="accepted")

    # when the provider, on a phone, has read all his news, the badge is gone
    provider = Person(chromium, live_server.url, PHONE)
    provider.log_in(bob.email, seed.DEMO_PASSWORD)
    page = provider.go("/notifications/")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#unread-badge")).to_be_hidden()

    # when the customer follows the prompt to review the finished booking
    customer = Person(chromium, live_server.url, DESKTOP)
    customer.log_in(alice.email, seed.DEMO_PASSWORD)
    # (the demo's many notifications may push it past the list's first page: open it as its
    # link does, which marks it read, then goes to its deal)
    told = Notification.objects.get(
        recipient=alice, url__contains=str(done.pk), title__contains="Leave a review"
    )
    page = customer.go(f"/notifications/{told.id}/open/")
    page.wait_for_url(re.compile(f"/transactions/{done.pk}/"))
    review = page.locator("#review")
    assert "Your review stays hidden until the other side has written theirs" in review.inner_text()
    review.locator("input[name=rating][value='5']").check()
    review.locator("textarea[name=text]").fill("Quiet desk, fast wifi, Bob was very helpful.")
    review.get_by_role("button", name="Publish my review").click()
    page.wait_for_load_state()

    # then she sees her five stars, kept hidden until Bob has reviewed her
    said = customer.text("#review")
    assert "You gave ★★★★★." in said and "It will be published when the other side has reviewed too" in said
    assert Review.objects.get(transaction=done, author=alice).published_at is None
    customer.shot("17-review-written")

    # when she writes on the accepted booking
    page = customer.go(f"/transactions/{booked.pk}/")
    page.fill("#message-body", "Could I come ten minutes early to set up?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(f"/transactions/{booked.pk}/"))

    # then her message is in the deal's timeline, after the steps taken so far
    last = page.locator(".timeline > li").last
    assert "Could I come ten minutes early to set up?" in last.inner_text()
    assert last.get_attribute("class") == "timeline-message"
    assert "Accepted" in customer.text(".page-head")
    last.scroll_into_view_if_needed()
    customer.shot("18-message-in-timeline")

    # when the provider looks again, his bell counts the new message
    page = provider.go("/")
    badge = page.locator("#unread-badge")
    assert badge.is_visible() and badge.inner_text().split()[0] == "1"
    page = provider.go("/notifications/")
    item = page.locator(".notification.unread").first
    assert "wrote about" in item.inner_text()
    provider.shot("19-notifications-phone")
    # and marking it read (in place, by htmx) clears the badge
    item.get_by_role("button", name="Mark as read").click()
    expect(page.locator("#unread-badge")).to_be_hidden()
    # and the deal shows her message in its timeline too
    page = provider.go(f"/transactions/{booked.pk}/")
    assert "Could I come ten minutes early to set up?" in provider.text(".timeline")

    # when he reviews her back on the finished booking
    page = provider.go(f"/transactions/{done.pk}/")
    review = page.locator("#review")
    assert "The other side has reviewed you" in review.inner_text()
    review.locator("input[name=rating][value='4']").check()
    review.locator("textarea[name=text]").fill("Left the desk tidy. Welcome back any time.")
    review.get_by_role("button", name="Publish my review").click()
    page.wait_for_load_state()

    # then both reviews are published, and he reads hers
    assert "Quiet desk, fast wifi, Bob was very helpful." in provider.text("#review")
    assert Review.objects.filter(transaction=done, published_at__isnull=False).count() == 2
    provider.shot("20-reviews-published-phone")

    # when the dispute window of his finished deals has closed (the timer's work, done here)
    for timer in Timer.objects.filter(handler=SETTLE_HANDLER, status=Timer.Status.PENDING):
        assert timers.fire(timer.pk, timer.due_at + timedelta(seconds=1))
    # and he asks for his available money from the wallet (the demo paid out half of it)
    paid_before = Payout.objects.filter(owner=bob).count()
    page = provider.go("/wallet/")
    available = page.locator("[data-balance=available-USD]").inner_text()
    assert available not in ("", "$0.00")
    page.get_by_role("button", name=f"Pay out {available}").click()
    page.wait_for_load_state()

    # then the wallet says so and lists the payout with its amount
    assert f"Payout of {available} requested." in provider.text("body")
    payouts = provider.text("#payouts")
    assert available in payouts and "No payouts yet." not in payouts
    assert page.locator("[data-balance=available-USD]").inner_text() == "$0.00"
    assert Payout.objects.filter(owner=bob).count() == paid_before + 1
    provider.shot("21-payout-requested-phone")

    # when a visitor without JavaScript opens what Alice booked for two whole days (the demo's
    # finished booking: its seats stay held for those days)
    visitor = Person(chromium, live_server.url, DESKTOP, javascript=False)
    rental = done.listing
    assert rental.unit in ("day", "night"), rental.unit
    first_day = done.start.astimezone(ZoneInfo(rental.timezone)).date()

    def day_on_calendar(day: date) -> tuple[str | None, str]:
        page = visitor.go(f"/listings/{rental.public_id}/?month={day:%Y-%m}")
        cell = page.locator(f"#free-dates td[data-date='{day}']")
        seats = cell.locator(".free-day-seats")
        return cell.get_attribute("data-state"), seats.inner_text() if seats.count() else ""

    # then both days show one seat fewer (booked up if it has one), the day after all of them
    held = ("full", "full") if rental.seats == 1 else ("free", str(rental.seats - 1))
    assert day_on_calendar(first_day) == held
    assert day_on_calendar(first_day + timedelta(days=1)) == held
    assert day_on_calendar(first_day + timedelta(days=2)) == ("free", str(rental.seats))
    # and its month links work as plain links: next month, then back
    page = visitor.go(f"/listings/{rental.public_id}/?month={first_day:%Y-%m}")
    this_month = page.locator(".calendar-month").inner_text()
    page.locator("#free-dates a[rel=next]").click()
    page.wait_for_url(re.compile(r"\?month=\d{4}-\d{2}#free-dates"))
    assert page.locator(".calendar-month").inner_text() != this_month
    page.locator("#free-dates a[rel=prev]").click()
    page.wait_for_url(re.compile(f"month={first_day:%Y-%m}"))
    assert page.locator(".calendar-month").inner_text() == this_month
    page.locator(f"#free-dates td[data-date='{first_day}']").scroll_into_view_if_needed()
    visitor.shot("22-calendar-no-javascript")
    for person in (customer, provider, visitor):
        person.assert_no_csp_violations()

"""`barnraise bench pages` measures a phone's largest contentful paint in headless Chromium: on
two pages of a tiny demo, one cold load each (the figure is reported, never asserted)."""

from typing import Any

import pytest

from barnraise.benchmarks import pages as pages_bench
from barnraise.benchmarks import pages_paint
from barnraise.demo import seed as demo_seed
from tests.browser.journey import MARKS

pytestmark = MARKS


@pytest.mark.usefixtures("transactional_db")
def test_the_paint_of_a_public_page_and_a_logged_in_one(chromium: Any) -> None:
    # given a tiny demo marketplace, its pages found in the URLconf
    demo_seed.run(members=3, listings=8)
    clients = pages_bench.clients_for_demo()
    found, _ = pages_bench.pages(clients)
    chosen = [p for p in found if p.name in ("/", "dashboard")]
    said: list[str] = []

    # when each is loaded cold on a slowed phone
    paints = pages_paint.measure_in(chromium, chosen, clients, 1, said.append)

    # then each page painted something, the logged-in one as its member (not the login page)
    assert [p.who for p in chosen] == ["anonymous", "customer"]
    for page in chosen:
        assert paints[page.path]["n"] == 1
        assert 0 < paints[page.path]["median"] < 60_000
    assert any(line.startswith("dashboard: LCP median") for line in said)

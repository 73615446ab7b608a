"""The weekly plan's times of day as the OpenAPI document declares them."""

import re

from barnraise.catalog.tests.conftest import listing_body


def _slot_schema(api, name):
    document = api.call("GET", "openapi.json").json()
    return document["components"]["schemas"]["WeeklySlotIO"]["properties"][name]


def test_the_weekly_plan_answers_times_of_day_in_the_shape_the_document_declares(api_as, categories):
    # given a listing open Mondays 9 to 17 on its own clock
    owner = api_as()
    created = owner.call(
        "POST",
        "listings",
        json=listing_body(kind="rental", category="spaces", unit="hour", stock=None, attributes={}, seats=1),
    )
    listing_id = created.json()["id"]
    plan = {"weekly": [{"weekday": 0, "start": "09:00", "end": "17:00", "seats": 1}], "exceptions": []}
    assert owner.call("PUT", f"listings/{listing_id}/availability", json=plan).status_code == 200
    # when anyone reads it
    slot = owner.call("GET", f"listings/{listing_id}/availability").json()["weekly"][0]
    # then each time matches its declared schema: a local time, which has no offset, so not
    # the `time` format (RFC 3339's full-time requires an offset)
    assert (slot["start"], slot["end"]) == ("09:00:00", "17:00:00")
    for name in ("start", "end"):
        schema = _slot_schema(owner, name)
        assert schema.get("format") != "time"
        assert re.fullmatch(schema["pattern"], slot[name])

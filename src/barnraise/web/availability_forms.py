"""The weekly-plan editor's rows: parsed from parallel POST lists, errors kept per row.

Plain lists rather than a formset: rows are added and removed with ordinary submit buttons
(htmx only swaps the form), and the service's `weekly[i]` errors map straight onto rows.
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.http import QueryDict
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from barnraise.errors import InvalidInput

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass
class Row:
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class Plan:
    weekly: list[Row]
    exceptions: list[Row]

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.weekly + self.exceptions)


def weekday_choices() -> list[tuple[str, str]]:
    return [(str(number), str(name)) for number, name in WEEKDAYS.items()]


def plan_from_availability(availability: dict[str, Any], zone: str) -> Plan:
    """Rows for the editor from catalog.selectors.availability_of."""
    tz = ZoneInfo(zone)
    weekly = [
        Row(
            {
                "weekday": str(slot["weekday"]),
                "start": slot["start"].strftime("%H:%M"),
                "end": slot["end"].strftime("%H:%M"),
                "seats": str(slot["seats"]),
            }
        )
        for slot in availability["weekly"]
    ]
    exceptions = [
        Row(
            {
                "start": exc["start"].astimezone(tz).strftime(LOCAL_FORMAT),
                "end": exc["end"].astimezone(tz).strftime(LOCAL_FORMAT),
                "seats": str(exc["seats"]),
                "note": exc["note"],
            }
        )
        for exc in availability["exceptions"]
    ]
    return Plan(weekly, exceptions)


def _columns(data: QueryDict, prefix: str, names: tuple[str, ...]) -> list[Row]:
    columns = [data.getlist(f"{prefix}{name}") for name in names]
    count = max((len(c) for c in columns), default=0)
    rows = []
    for index in range(count):
        values = {
            name: (col[index] if index < len(col) else "").strip()
            for name, col in zip(names, columns, strict=True)
        }
        rows.append(Row(values))
    return rows


def plan_from_post(data: QueryDict) -> Plan:
    """The rows as submitted, after the add/remove buttons have had their effect."""
    weekly = _columns(data, "w_", ("weekday", "start", "end", "seats"))
    exceptions = _columns(data, "e_", ("start", "end", "seats", "note"))
    for rows, remove in ((weekly, "remove_weekly"), (exceptions, "remove_exception")):
        index = str(data.get(remove, ""))
        if index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
    if data.get("action") == "add_weekly":
        last = weekly[-1].values if weekly else {}
        weekly.append(Row({"weekday": last.get("weekday", "0"), "start": "", "end": "", "seats": "1"}))
    if data.get("action") == "add_exception":
        exceptions.append(Row({"start": "", "end": "", "seats": "0", "note": ""}))
    return Plan(weekly, exceptions)


def _seats(raw: str) -> int:
    if not raw.isdigit():
        raise ValueError(_("Seats must be a whole number."))
    return int(raw)


def _weekly_slot(row: Row) -> dict[str, Any]:
    values = row.values
    if not values["weekday"].isdigit():
        raise ValueError(_("Choose a day."))
    try:
        start, end = time.fromisoformat(values["start"]), time.fromisoformat(values["end"])
    except ValueError:
        raise ValueError(_("Give the start and end times, e.g. 09:00 and 17:00.")) from None
    return {"weekday": int(values["weekday"]), "start": start, "end": end, "seats": _seats(values["seats"])}


def _exception(row: Row, tz: ZoneInfo) -> dict[str, Any]:
    values = row.values
    try:
        start = datetime.strptime(values["start"], LOCAL_FORMAT).replace(tzinfo=tz)
        end = datetime.strptime(values["end"], LOCAL_FORMAT).replace(tzinfo=tz)
    except ValueError:
        raise ValueError(_("Give the start and end, date and time.")) from None
    return {"start": start, "end": end, "seats": _seats(values["seats"]), "note": values["note"][:200]}


def plan_parse(plan: Plan, zone: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The service's input from the rows; problems are written onto the rows."""
    tz = ZoneInfo(zone)
    weekly, exceptions = [], []
    for row in plan.weekly:
        try:
            weekly.append(_weekly_slot(row))
        except ValueError as exc:
            row.errors.append(str(exc))
    for row in plan.exceptions:
        try:
            exceptions.append(_exception(row, tz))
        except ValueError as exc:
            row.errors.append(str(exc))
    return weekly, exceptions


def plan_add_error(plan: Plan, error: InvalidInput) -> list[str]:
    """The service's `weekly[i]` / `exceptions[i]` errors onto rows; the rest are returned."""
    leftover: list[str] = []
    details = error.details if isinstance(error.details, dict) else {}
    for key, messages in details.items():
        texts = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        for prefix, rows in (("weekly[", plan.weekly), ("exceptions[", plan.exceptions)):
            if (
                key.startswith(prefix)
                and key[len(prefix) : -1].isdigit()
                and int(key[len(prefix) : -1]) < len(rows)
            ):
                rows[int(key[len(prefix) : -1])].errors.extend(texts)
                break
        else:
            leftover.extend(texts)
    return leftover or ([] if details else [error.message])

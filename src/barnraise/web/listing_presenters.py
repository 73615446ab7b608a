"""What the listing page shows, shaped for its template: attribute labels, breadcrumb, week plan."""

from dataclasses import dataclass
from typing import Any

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from barnraise.catalog.models import Category, Listing


@dataclass
class AttributeRow:
    label: str
    value: str


@dataclass
class WeekDay:
    name: str
    spans: list[str]


def _display(definition: dict[str, Any] | None, value: Any) -> str:
    if isinstance(value, bool) or (definition and definition.get("type") == "boolean"):
        return _("Yes") if value else _("No")
    return str(value)


def attribute_rows(listing: Listing) -> list[AttributeRow]:
    """The listing's attributes in schema order, labelled from the category's schema."""
    schema = {d["name"]: d for d in listing.category.attribute_schema}
    values = listing.attributes or {}
    names = [name for name in schema if name in values] + [name for name in values if name not in schema]
    rows = []
    for name in names:
        definition = schema.get(name)
        label = (definition or {}).get("label") or name.replace("_", " ").capitalize()
        rows.append(AttributeRow(str(label), _display(definition, values[name])))
    return rows


def breadcrumb(category: Category) -> list[Category]:
    """The category and its ancestors, root first."""
    trail = [category]
    while trail[0].parent_id is not None and len(trail) < 10:
        parent = trail[0].parent
        if parent is None:
            break
        trail.insert(0, parent)
    return trail


def weekly_summary(availability: dict[str, Any]) -> list[WeekDay]:
    """The weekly plan by day: "09:00–17:00 · 2 seats"; days without slots are left out."""
    days: dict[int, list[str]] = {}
    for slot in availability["weekly"]:
        end = "24:00" if slot["end"].hour == 0 and slot["end"].minute == 0 else slot["end"].strftime("%H:%M")
        seats = ngettext("%(n)d seat", "%(n)d seats", slot["seats"]) % {"n": slot["seats"]}
        days.setdefault(slot["weekday"], []).append(f"{slot['start']:%H:%M}–{end} · {seats}")
    return [WeekDay(str(WEEKDAYS[day]), spans) for day, spans in sorted(days.items())]

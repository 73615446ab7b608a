"""The listing wizard's forms: the listing form cut into steps, and its booking rules
in plain sentences whose words follow the listing's unit ("Each stay is at least 2 nights").

They parse input only; the catalog's services hold the rules (web/listing_forms.py).
"""

from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from barnraise.catalog.models import Kind, Unit
from barnraise.web.listing_forms import ListingForm, price_minor

# The steps, in order. A draft's `wizard_steps` is the position of the last one it saved.
STEPS = ("kind", "category", "details", "photos", "price", "availability", "preview")
STEP_NAMES = {
    "kind": _("Kind"),
    "category": _("Category"),
    "details": _("Details"),
    "photos": _("Photos"),
    "price": _("Price and rules"),
    "availability": _("Availability"),
    "preview": _("Preview"),
}
DETAILS_FIELDS = ("category", "title", "description", "address", "lat", "lng", "timezone", "deadline")
PRICE_FIELDS = (
    "price",
    "currency",
    "unit",
    "stock",
    "seats",
    "check_in",
    "check_out",
    "min_units",
    "max_units",
    "slot_minutes",
    "buffer_minutes",
    "min_notice_hours",
    "max_advance_days",
    "instant_booking",
    "cancellation_policy",
)
# Rules that only mean something for bookings by the hour or the job.
TIMED_RULES = ("slot_minutes", "buffer_minutes")
UNIT_WORDS = {
    Unit.ITEM: _("items"),
    Unit.HOUR: _("hours"),
    Unit.DAY: _("days"),
    Unit.NIGHT: _("nights"),
    Unit.JOB: _("jobs"),
}


def step_number(step: str) -> int:
    return STEPS.index(step) + 1


class StepForm(ListingForm):
    """The fields of one step (`details` or `price`) of a listing of `kind` in `category`."""

    def __init__(self, *args: Any, step: str, unit: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        keep: tuple[str, ...] = DETAILS_FIELDS if step == "details" else PRICE_FIELDS
        if step == "price" and unit not in (Unit.HOUR, Unit.JOB):
            keep = tuple(name for name in keep if name not in TIMED_RULES)
        if step == "price" and unit not in (Unit.NIGHT, Unit.DAY):
            keep = tuple(name for name in keep if name not in ("check_in", "check_out"))
        for name in list(self.fields):
            if name not in keep and not (step == "details" and name.startswith("attr_")):
                del self.fields[name]
        if step != "details":
            self.attribute_names = []

    def clean(self) -> dict[str, Any]:
        if self.step == "details":
            return super().clean()  # the place: the pin, or the address found
        return self.cleaned_data

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data as listing_create / listing_update take it, this step's fields only."""
        data = dict(self.cleaned_data)
        if self.step == "details":
            data["category"] = self.category_obj
            data["attributes"] = {}
            for name in self.attribute_names:
                value = data.pop(f"attr_{name}", None)
                if value not in (None, ""):
                    data["attributes"][name] = value
            if data.get("deadline") is not None:
                naive = data["deadline"].replace(tzinfo=None)
                data["deadline"] = naive.replace(tzinfo=ZoneInfo(data["timezone"]))
            if "deadline" not in self.fields:
                data.pop("deadline", None)
            return data
        data["price_amount_minor"] = price_minor(data.pop("price"), data["currency"])
        if not data.get("cancellation_policy"):
            data.pop("cancellation_policy", None)
        return data


def rule_sentences(form: StepForm, unit: str) -> list[dict[str, Any]]:
    """The price step's rules as sentences around their fields: {field, before, after}, in the
    order a person reads them, for the fields this listing has."""
    units = UNIT_WORDS.get(Unit(unit), UNIT_WORDS[Unit.ITEM]) if unit in Unit.values else ""
    words: dict[str, tuple[Any, Any]] = {
        "stock": (_("You have"), _("to sell.")),
        "seats": (_("Up to"), _("bookings at the same time.")),
        "check_in": (_("Guests arrive from"), _("(local time)")),
        "check_out": (_("and leave by"), _("on their last day.")),
        "min_units": (_("Each booking is at least"), units),
        "max_units": (_("and at most"), _("%(units)s (leave it empty for no limit).") % {"units": units}),
        "slot_minutes": (_("Bookings start on the"), _("minute mark (the length of a slot).")),
        "buffer_minutes": (_("Keep"), _("minutes free between two bookings.")),
        "min_notice_hours": (_("People book at least"), _("hours before it starts.")),
        "max_advance_days": (_("and at most"), _("days ahead.")),
    }
    rows = []
    for name, (before, after) in words.items():
        if name not in form.fields:
            continue
        rows.append({"field": form[name], "before": before, "after": after})
    return rows


def field_rows(form: StepForm, *, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The form's starting values as (label, value) in words, for a step's summary."""
    rows = []
    for name, field in form.fields.items():
        if name in skip or isinstance(field.widget, forms.HiddenInput):
            continue
        value = form.initial.get(name, field.initial)
        if isinstance(field, forms.BooleanField):
            shown = str(_("Yes") if value else _("No"))
        elif value in (None, ""):
            shown = str(_("Not set"))
        elif isinstance(field, forms.ChoiceField):
            labels = {str(key): label for key, label in field.widget.choices}
            shown = str(labels.get(str(value), value))
        elif isinstance(value, time):
            shown = value.strftime("%H:%M")
        else:
            shown = str(value)
        rows.append((str(field.label), shown))
    return rows


def kind_sentences() -> list[tuple[str, Any, Any]]:
    """Each kind, with what it is for in a sentence."""
    said = {
        Kind.SALE: _("Sell goods: people buy one or more, and you hand them over or send them."),
        Kind.RENTAL: _("Rent out a room, a space, a tool or a vehicle: people book dates or hours."),
        Kind.SERVICE: _("Offer your time and skills: people book an hour or a job."),
        Kind.REQUEST: _("Ask for help: people offer to do it, and you choose."),
    }
    return [(kind.value, kind.label, said[kind]) for kind in Kind]

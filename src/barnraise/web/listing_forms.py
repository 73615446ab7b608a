"""The listing form: its fields depend on the kind and the category's attribute schema. The
listing wizard (wizard_forms.StepForm) cuts it into steps; it is the web's one listing editor.

It parses input only. The catalog services hold the rules and their errors land beside the
fields through `listing_form_add_error`.
"""

from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.utils.translation import gettext_lazy as _

from barnraise.catalog import cancellation_policies
from barnraise.catalog.models import KIND_UNITS, Category, Kind, Listing, Unit
from barnraise.catalog.selectors import marketplace_area
from barnraise.catalog.services import EDITABLE_FIELDS
from barnraise.errors import DomainError, InvalidInput
from barnraise.money import currency_decimals, known_currencies
from barnraise.places import geocoder
from barnraise.web.forms import form_add_domain_error

COMMON_ZONES = (
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Brussels",
    "Europe/Warsaw",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)
COMMON_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "INR", "BRL", "MXN")
SLOT_CHOICES = [(15, "15"), (30, "30"), (60, "60"), (120, "120"), (240, "240"), (1440, "1440")]
BOOKABLE = (Kind.RENTAL, Kind.SERVICE)
# Where a service's error key is not a form field: the field it belongs beside.
ERROR_FIELDS = {"location": "address", "price_amount_minor": "price"}


def category_choices(categories: list[Category]) -> list[tuple[str, str]]:
    """Slug choices, children named under their parent: "Goods › Bikes"."""
    choices: list[tuple[str, str]] = [("", str(_("Choose a category")))]
    for category in categories:
        label = category.name
        if category.parent is not None:
            label = f"{category.parent.name} › {category.name}"
        choices.append((category.slug, label))
    return choices


def _number_attrs(definition: dict[str, Any], step: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {"step": step}
    for bound in ("min", "max"):
        if definition.get(bound) is not None:
            attrs[bound] = definition[bound]
    return attrs


def attribute_field(definition: dict[str, Any], *, for_filter: bool = False) -> forms.Field:
    """A form field for one attribute of a category schema."""
    label = definition.get("label") or definition["name"].replace("_", " ").capitalize()
    required = bool(definition.get("required")) and not for_filter
    kind = definition["type"]
    if kind == "enum":
        choices = [("", _("Any") if for_filter else "—")] + [(str(v), str(v)) for v in definition["values"]]
        return forms.ChoiceField(label=label, required=required, choices=choices)
    if kind == "boolean":
        if for_filter:
            choices = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
            return forms.ChoiceField(label=label, required=False, choices=choices)
        return forms.BooleanField(label=label, required=False)
    if kind == "integer":
        return forms.IntegerField(
            label=label, required=required, widget=forms.NumberInput(_number_attrs(definition, "1"))
        )
    if kind == "number":
        widget = forms.NumberInput(_number_attrs(definition, "any"))
        return forms.FloatField(label=label, required=required, widget=widget)
    return forms.CharField(label=label, required=required, max_length=200)


class ListingForm(forms.Form):
    """A listing's fields. `kind` and `category` decide which exist."""

    category = forms.ChoiceField(label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=10_000,
        help_text=_("Markdown: **bold**, *italic*, lists and links. No HTML."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    price = forms.DecimalField(label=_("Price"), min_value=0, max_digits=14, decimal_places=3)
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        initial="USD",
        widget=forms.TextInput(attrs={"list": "currency-list", "autocomplete": "off", "size": 4}),
    )
    unit = forms.ChoiceField(label=_("Priced"))
    stock = forms.IntegerField(label=_("How many you have"), min_value=0, required=False)
    seats = forms.IntegerField(
        label=_("Bookings at the same time"),
        min_value=1,
        initial=1,
        help_text=_("How many people or bookings at the same time."),
    )
    # The pin: set by the map, or found from the address when the form is saved.
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Address or town"),
        required=False,
        max_length=300,
        help_text=_("The street address is private: shown only once a booking or purchase is accepted."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    timezone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        initial="UTC",
        help_text=_("Pick one or type any IANA zone, e.g. America/New_York."),
        widget=forms.TextInput(attrs={"list": "timezone-list", "autocomplete": "off"}),
    )
    slot_minutes = forms.TypedChoiceField(
        label=_("Booking slot, in minutes"), choices=SLOT_CHOICES, coerce=int, initial=60
    )
    min_units = forms.IntegerField(label=_("Shortest booking, in units"), min_value=0, initial=1)
    max_units = forms.IntegerField(label=_("Longest booking, in units"), min_value=0, required=False)
    buffer_minutes = forms.IntegerField(label=_("Gap between bookings, in minutes"), min_value=0, initial=0)
    min_notice_hours = forms.IntegerField(label=_("Notice needed, in hours"), min_value=0, initial=0)
    max_advance_days = forms.IntegerField(label=_("Bookable up to, in days ahead"), min_value=0, initial=365)
    instant_booking = forms.BooleanField(label=_("Accept bookings without asking me"), required=False)
    check_in = forms.TimeField(
        label=_("Check-in from"),
        required=False,
        help_text=_("Stays: the time guests may arrive, local time."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    check_out = forms.TimeField(
        label=_("Check-out by"),
        required=False,
        help_text=_("Stays: the time guests leave, local time."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    cancellation_policy = forms.ChoiceField(
        label=_("Cancellation policy"),
        initial="moderate",
        required=False,  # left out: a new listing's default, an edited one's current policy
        help_text=_("What a customer gets back when they cancel a booking."),
    )
    deadline = forms.DateTimeField(
        label=_("Needed by"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=_("In the listing's time zone."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        category: Category | None,
        categories: list[Category],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind_value, self.category_obj = kind, category
        self._choose("category", category_choices(categories))
        self._choose("unit", [(u, str(Unit(u).label)) for u in KIND_UNITS.get(kind, ())])
        if kind != Kind.SALE:
            del self.fields["stock"]
        else:
            self.fields["stock"].required = True
        if kind != Kind.RENTAL:
            del self.fields["seats"], self.fields["check_in"], self.fields["check_out"]
        if kind not in BOOKABLE:
            for name in ("slot_minutes", "min_units", "max_units", "buffer_minutes", "min_notice_hours"):
                del self.fields[name]
            del self.fields["max_advance_days"], self.fields["instant_booking"]
            del self.fields["cancellation_policy"]
        else:
            self._choose(
                "cancellation_policy",
                [
                    (slug, f"{p['name']}: {p['summary']}")
                    for slug, p in cancellation_policies.policies().items()
                ],
            )
        if kind != Kind.REQUEST:
            del self.fields["deadline"]
        self.attribute_names: list[str] = []
        for definition in category.attribute_schema if category else []:
            self.fields[f"attr_{definition['name']}"] = attribute_field(definition)
            self.attribute_names.append(definition["name"])

    def _choose(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = choices

    def clean_currency(self) -> str:
        code = str(self.cleaned_data["currency"]).upper()
        if code not in known_currencies():
            raise forms.ValidationError(_("Use a three-letter ISO 4217 code such as USD or EUR."))
        return code

    def clean_timezone(self) -> str:
        zone = str(self.cleaned_data["timezone"]).strip()
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(_("Use an IANA time zone such as Europe/Paris.")) from None
        return zone

    def clean(self) -> dict[str, Any]:
        """Without a pin from the map, the address (or the town it names) places the listing."""
        super().clean()
        data = self.cleaned_data
        if data.get("lat") is not None and data.get("lng") is not None:
            return data
        address = str(data.get("address") or "").strip()
        located = geocoder.locate(address, near=marketplace_area()) if address else None
        if located is None:
            self.add_error(
                "address",
                _("We couldn’t find this place. Type the town it is in, or set the pin on the map.")
                if address
                else _("Type the address or the town, so that people nearby find your listing."),
            )
        else:
            data["lat"], data["lng"] = located.lat, located.lng
            if located.time_zone and "timezone" not in self.changed_data:
                data["timezone"] = located.time_zone  # the town's, unless the member chose one
        return data


def price_minor(amount: Decimal, currency: str) -> int:
    """A price typed in major units ("12.50") as integer minor units (1250)."""
    try:
        return int((amount * (Decimal(10) ** currency_decimals(currency))).to_integral_value())
    except (InvalidOperation, ValueError):
        raise InvalidInput(details={"price": [_("Give the price as a number.")]}) from None


def price_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-currency_decimals(currency))


def listing_initial(listing: Listing) -> dict[str, Any]:
    """The edit form's starting values, from the listing: each editable field the form shows as
    it is stored, then those it shows in another shape (category, price, deadline, attributes)."""
    initial: dict[str, Any] = {
        name: getattr(listing, name) for name in EDITABLE_FIELDS if name in ListingForm.base_fields
    }
    initial["category"] = listing.category.slug
    initial["price"] = price_major(listing.price_amount_minor, listing.currency)
    if listing.deadline:
        initial["deadline"] = listing.deadline.astimezone(ZoneInfo(listing.timezone)).replace(tzinfo=None)
    for name, value in (listing.attributes or {}).items():
        initial[f"attr_{name}"] = value
    return initial


def listing_form_add_error(form: ListingForm, error: DomainError) -> None:
    """A service's error beside the field it names (attributes.x → attr_x, location → lat)."""
    if isinstance(error, InvalidInput) and isinstance(error.details, dict):
        details: dict[str, Any] = {}
        for key, messages in error.details.items():
            target = ERROR_FIELDS.get(str(key), str(key))
            if key.startswith("attributes."):
                target = f"attr_{key.split('.', 1)[1]}"
            details[target] = messages
        error = InvalidInput(error.message, details=details)
    form_add_domain_error(form, error)

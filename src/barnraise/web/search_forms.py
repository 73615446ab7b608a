"""The search page's form: never bound, it only shows the values and the query's errors."""

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from barnraise.catalog.models import Category, Kind
from barnraise.web.listing_forms import attribute_field

SORT_CHOICES = [
    ("", _("Best match")),
    ("newest", _("Newest first")),
    ("price", _("Price, low to high")),
    ("-price", _("Price, high to low")),
    ("distance", _("Nearest first")),
    ("rating", _("Best rated")),
]
RADIUS_CHOICES = [(str(km), f"{km} km") for km in (1, 2, 5, 10, 25, 50, 100, 250)]


def tree_choices(tree: list[Category]) -> list[tuple[str, str]]:
    choices: list[tuple[str, str]] = [("", str(_("All categories")))]
    for parent in tree:
        choices.append((parent.slug, parent.name))
        choices.extend((child.slug, f"{parent.name} › {child.name}") for child in parent.children.all())
    return choices


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("What are you looking for?"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("drill, bike, room, tutor…")}),
    )
    where = forms.CharField(
        label=_("Where"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "list": "place-options",
                "autocomplete": "off",
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#place-options",
                "hx-swap": "innerHTML",
            }
        ),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Any kind")), *((k.value, capfirst(k.label)) for k in Kind)],
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    price_from = forms.DecimalField(
        label=_("Price from"), required=False, widget=forms.NumberInput(attrs={"step": "any", "min": 0})
    )
    price_to = forms.DecimalField(
        label=_("Price up to"), required=False, widget=forms.NumberInput(attrs={"step": "any", "min": 0})
    )
    currency = forms.CharField(
        label=_("Currency"),
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"list": "currency-list", "autocomplete": "off"}),
    )
    start = forms.CharField(
        label=_("Available from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    end = forms.CharField(
        label=_("Until"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    seats = forms.IntegerField(
        label=_("Seats or people"), required=False, widget=forms.NumberInput(attrs={"min": 1})
    )
    radius_km = forms.ChoiceField(label=_("Within"), required=False, choices=RADIUS_CHOICES, initial="25")
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    lng = forms.CharField(required=False, widget=forms.HiddenInput)
    bbox = forms.CharField(required=False, widget=forms.HiddenInput)
    tz = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        tree: list[Category],
        attributes: list[dict[str, Any]],
        default_currency: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["where"].widget.attrs["hx-get"] = reverse("search_place_options")
        if default_currency:
            self.fields["currency"].help_text = _("Prices are in %(code)s unless you give another.") % {
                "code": default_currency
            }
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)  # noqa: S101 - declared above
        category.choices = tree_choices(tree)
        self.attribute_names = []
        for definition in attributes:
            name = f"attr.{definition['name']}"
            self.fields[name] = attribute_field(definition, for_filter=True)
            self.attribute_names.append(name)

    @property
    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.attribute_names]

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """The query's errors beside their fields; hidden or unknown parameters on top, named."""
        if not hasattr(self, "cleaned_data"):
            self.cleaned_data = {}  # add_error expects it; an unbound form never cleans
        for key, messages in errors.items():
            visible = key in self.fields and not self.fields[key].widget.is_hidden
            for message in messages:
                if visible:
                    self.add_error(key, message)
                elif key:
                    self.add_error(None, f"{key}: {message}")
                else:
                    self.add_error(None, message)

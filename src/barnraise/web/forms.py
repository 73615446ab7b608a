"""Forms for the site's pages. They parse input only; the services hold the rules."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from barnraise import moments
from barnraise.errors import DomainError, InvalidInput


def time_zone_choices() -> list[tuple[str, Any]]:
    """Every IANA zone the server knows, by name, after "follow my browser"."""
    zones = sorted(z for z in moments.time_zones() if "/" in z or z == "UTC")
    return [("", _("The one my browser uses")), *((z, z.replace("_", " ")) for z in zones)]


class ProfileForm(forms.Form):
    name = forms.CharField(
        label=_("Display name"),
        max_length=100,
        help_text=_("Shown to other members, for example “Ana P.”"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    bio = forms.CharField(
        label=_("About you"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    location = forms.CharField(
        label=_("Location"),
        required=False,
        max_length=120,
        help_text=_("A town or neighbourhood; never your street address."),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=time_zone_choices,
        help_text=_(
            "Times of messages and notifications are shown in it. Bookings keep the time of the "
            "place they happen in, labelled."
        ),
    )
    business_name = forms.CharField(
        label=_("Business name"),
        required=False,
        max_length=200,
        help_text=_("If you buy or sell as a business: printed on your receipts and invoices."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    tax_number = forms.CharField(
        label=_("Tax number"),
        required=False,
        max_length=40,
        help_text=_("Your VAT or tax number, as printed, for example “BE 0123.456.789”."),
    )


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, for example “my shop sync”."),
    )


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def form_add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's error on the form: field details beside their fields, the rest on top."""
    details = error.details if isinstance(error, InvalidInput) and isinstance(error.details, dict) else {}
    placed = False
    for field, messages in details.items():
        target = field if field in form.fields else None
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(target, str(message))
            placed = True
    if not placed:
        form.add_error(None, error.message)

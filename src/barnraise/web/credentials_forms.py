"""Forms for verifications, documents and portfolios; the rules are the accounts services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from barnraise.accounts.models import Document


class PhoneForm(forms.Form):
    number = forms.CharField(
        label=_("Mobile number"), max_length=40, help_text=_("With the country code, e.g. +32 470 12 34 56.")
    )


class PhoneCodeForm(forms.Form):
    code = forms.CharField(label=_("The code we texted you"), max_length=12)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is it?"), choices=Document.Kind.choices)
    title = forms.CharField(
        label=_("What it licenses or certifies"),
        max_length=200,
        required=False,
        help_text=_("Not for identity documents."),
    )
    issuer = forms.CharField(label=_("Issued by"), max_length=200, required=False)
    file = forms.FileField(
        label=_("A PDF or a photo"),
        help_text=_(
            "At most 10 MB: a PDF of up to 20 pages, or a photo of up to 25 megapixels. "
            "Only operators will see it."
        ),
    )


class PortfolioForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea
    )
    url = forms.URLField(label=_("Link"), max_length=500, required=False, assume_scheme="https")
    transaction_id = forms.TypedChoiceField(
        label=_("A completed deal it came from (verified work)"), required=False, empty_value=None
    )

    def __init__(self, *args: object, deals: list[tuple[str, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own loose signature
        field = self.fields["transaction_id"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 - declared just above
        field.choices = [("", "—"), *(deals or [])]


class ImageForm(forms.Form):
    file = forms.ImageField(label=_("Add an image"))

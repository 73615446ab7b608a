"""Forms for reviews and replies; the rules are the reputation services'."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

STARS = [(n, "★" * n) for n in range(5, 0, -1)]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Overall"), choices=STARS, coerce=int, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Your review (public)"), required=False, max_length=5000, widget=forms.Textarea
    )
    private_score = forms.TypedChoiceField(
        label=_("Would you recommend them to a friend? (private, 0 = not at all, 10 = certainly)"),
        choices=[("", "—"), *[(n, str(n)) for n in range(11)]],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, aspects: list[dict[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aspects = aspects or []
        for aspect in self.aspects:
            self.fields[f"aspect_{aspect['key']}"] = forms.TypedChoiceField(
                label=aspect.get("label") or aspect["key"],
                choices=[("", "—"), *STARS],
                coerce=int,
                empty_value=None,
                required=False,
            )

    def sub_ratings(self) -> dict[str, int]:
        found = {a["key"]: self.cleaned_data.get(f"aspect_{a['key']}") for a in self.aspects}
        return {key: value for key, value in found.items() if value is not None}


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Your public reply"), max_length=2000, widget=forms.Textarea)

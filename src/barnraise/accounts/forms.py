from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from barnraise.accounts.models import User


class SignupForm(AllauthSignupForm):
    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        help_text=_("Shown to other members, for example “Ana P.”"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ("name", "email", "password1", "password2")

    def save(self, request: HttpRequest) -> User:
        user: User = super().save(request)
        return user

    def custom_signup(self, request: HttpRequest, user: Any) -> None:
        user.name = " ".join(self.cleaned_data["name"].split())
        user.save(update_fields=["name"])


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("name", "bio", "location")
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

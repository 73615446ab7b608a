from functools import partial
from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from barnraise.catalog.defaults import defaults_check
from barnraise.catalog.models import Category, Listing, Photo
from barnraise.catalog.services import category_path
from barnraise.errors import InvalidInput
from barnraise.money import Money


class CategoryForm(forms.ModelForm[Category]):
    class Meta:
        model = Category
        fields = (
            "parent",
            "slug",
            "name",
            "kinds",
            "processes",
            "attribute_schema",
            "listing_defaults",
            "position",
        )

    def clean_listing_defaults(self) -> Any:
        """The defaults a new listing starts with, checked as category_create checks them."""
        try:
            return defaults_check(self.cleaned_data["listing_defaults"])
        except InvalidInput as error:
            details = error.details if isinstance(error.details, dict) else {}
            raise forms.ValidationError(
                [str(m) for messages in details.values() for m in messages] or error.message
            ) from None


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    form = CategoryForm
    list_display = ("name", "path", "position")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def save_model(self, request: object, obj: Category, form: object, change: bool) -> None:
        obj.path = category_path(obj)
        super().save_model(request, obj, form, change)  # type: ignore[arg-type]


class PhotoInline(admin.TabularInline[Photo, Listing]):
    """The listing's photos, to look at; an operator may remove one (its files go on commit).

    Photos are added only through the members' API, where every upload is checked.
    """

    model = Photo
    extra = 0
    can_delete = True
    fields = ("preview", "alt_text", "width", "height", "position", "created_at")
    readonly_fields = fields
    ordering = ("position", "id")

    def has_add_permission(self, request: HttpRequest, obj: Listing | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Listing | None = None) -> bool:
        return False

    @admin.display(description=_("preview"))
    def preview(self, photo: Photo) -> SafeString | str:
        if not photo.thumbnail:
            return "—"
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" height="80" loading="lazy"></a>',
            photo.image.url,
            photo.thumbnail.url,
            photo.alt_text,
        )


def _delete_photo_files(photo: Photo) -> None:
    for file in (photo.image, photo.thumbnail):
        if file.name:
            file.storage.delete(file.name)


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin[Listing]):
    inlines = (PhotoInline,)
    list_display = ("title", "kind", "category", "author", "price", "status", "created_at")
    list_filter = ("kind", "status", "category")
    search_fields = ("title", "author__email")
    raw_id_fields = ("author",)
    readonly_fields = (
        "status",
        "rating_score",
        "public_lat",
        "public_lng",
        "created_at",
        "updated_at",
        "published_at",
    )

    @admin.display(description=_("price"))
    def price(self, listing: Listing) -> str:
        return Money(listing.price_amount_minor, listing.currency).format()

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Listing],
        formset: BaseInlineFormSet[Any, Any, Any],
        change: bool,
    ) -> None:
        super().save_formset(request, form, formset, change)
        for removed in getattr(formset, "deleted_objects", ()):
            if isinstance(removed, Photo):
                transaction.on_commit(partial(_delete_photo_files, removed))

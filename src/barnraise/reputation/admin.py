from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from barnraise.reputation.models import CategoryAspects, Reputation, ReputationPolicy, Review


@admin.register(ReputationPolicy)
class ReputationPolicyAdmin(admin.ModelAdmin[ReputationPolicy]):
    list_display = ("prior_weight", "default_prior_mean", "half_life_days", "job_success_min_count")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ReputationPolicy.objects.exists()


@admin.register(CategoryAspects)
class CategoryAspectsAdmin(admin.ModelAdmin[CategoryAspects]):
    list_display = ("category", "__str__")
    autocomplete_fields = ("category",)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin[Review]):
    """Reviews are history: operators read them; nobody edits them here."""

    list_display = ("created_at", "author", "subject", "subject_role", "rating", "published_at")
    list_filter = ("subject_role", "rating")
    search_fields = ("author__email", "subject__email", "text")
    readonly_fields = tuple(f.name for f in Review._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reputation)
class ReputationAdmin(admin.ModelAdmin[Reputation]):
    list_display = ("user", "listing", "role", "score", "reviews", "counterparties", "job_success")
    list_filter = ("role",)
    readonly_fields = tuple(f.name for f in Reputation._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

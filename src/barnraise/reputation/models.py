from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from barnraise.catalog.models import Category, Listing
from barnraise.commerce.models import Transaction
from barnraise.ids import uuid7


class Role(models.TextChoices):
    """The part the reviewed member played in the deal."""

    PROVIDER = "provider", _("as provider")
    CUSTOMER = "customer", _("as customer")


class ReputationPolicy(models.Model):
    """How reputation is computed, edited by operators in the admin. One row.

    The formulas are in docs/trust.md; the defaults are the values documented there.
    """

    prior_weight = models.FloatField(
        default=3.0, help_text=_("m: how many average reviews a newcomer's score starts from.")
    )
    default_prior_mean = models.FloatField(
        default=4.0, help_text=_("C before the marketplace has any review of its own.")
    )
    half_life_days = models.PositiveSmallIntegerField(
        default=365, help_text=_("A review this old counts half as much as a new one.")
    )
    job_success_min_count = models.PositiveSmallIntegerField(
        default=2, help_text=_("Deals (with as many different counterparties) before job success shows.")
    )

    class Meta:
        verbose_name = verbose_name_plural = _("reputation policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class CategoryAspects(models.Model):
    """The sub-ratings reviewers give in a category (and its subcategories without their own).

    `aspects` is a list of {"key": "punctuality", "label": "Punctuality"}.
    """

    category = models.OneToOneField(Category, on_delete=models.CASCADE, related_name="+")
    aspects = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("review aspects of a category")
        verbose_name_plural = _("review aspects of categories")

    def __str__(self) -> str:
        return f"{self.category}: {', '.join(a.get('key', '?') for a in self.aspects)}"


class Review(models.Model):
    """One party's review of the other after a completed deal.

    Hidden (published_at empty) until both parties have reviewed or the window closes; never
    edited after that. `private_score` (0–10, "would recommend") is never shown to anyone.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received"
    )
    subject_role = models.CharField(max_length=10, choices=Role.choices)
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, null=True, on_delete=models.SET_NULL, related_name="+")
    rating = models.PositiveSmallIntegerField()
    sub_ratings = models.JSONField(default=dict, blank=True)
    text = models.TextField(max_length=5000, blank=True)
    private_score = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    published_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(max_length=2000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    # An operator hid it for breaking the rules: it leaves profiles, listings and the scores.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hidden_reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["subject", "subject_role", "-published_at"]),
            models.Index(fields=["listing", "-published_at"]),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["transaction", "author"], name="review_once_per_party"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_5"
            ),
            models.CheckConstraint(
                condition=models.Q(private_score__isnull=True)
                | models.Q(private_score__gte=0, private_score__lte=10),
                name="review_private_score_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.subject_id} ({self.subject_role})"


class Reputation(models.Model):
    """Computed scores, stored so that search and profiles read them without recomputing.

    One row per member and role, and one per listing (role empty). Recomputed when a review is
    published and when a deal ends (barnraise.reputation.services.reputation_recompute).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    listing = models.ForeignKey(Listing, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices, blank=True)
    score = models.FloatField(null=True, blank=True, help_text=_("Bayesian average, 1–5."))
    mean = models.FloatField(null=True, blank=True, help_text=_("The plain mean of the public stars."))
    reviews = models.PositiveIntegerField(default=0)
    counterparties = models.PositiveIntegerField(default=0)
    job_success = models.FloatField(null=True, blank=True, help_text=_("0–1; empty below the minimum."))
    deals_counted = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "role"], condition=models.Q(user__isnull=False), name="reputation_member_role"
            ),
            models.UniqueConstraint(
                fields=["listing"], condition=models.Q(listing__isnull=False), name="reputation_listing"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, listing__isnull=True)
                | models.Q(user__isnull=True, listing__isnull=False, role=""),
                name="reputation_member_or_listing",
            ),
        ]

    def __str__(self) -> str:
        who = f"{self.user_id} {self.role}" if self.user_id else f"listing {self.listing_id}"
        return f"{who}: {self.score}"

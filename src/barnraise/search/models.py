from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from barnraise.ids import uuid7


class SavedSearch(models.Model):
    """A member's search, re-run daily over the listings new since the last run (the alert)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(max_length=100)
    params = models.JSONField(help_text=_("The search's query parameters, as given."))
    alerts = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The highest listing id seen by the last digest: the next one looks only past it.
    last_listing_id = models.BigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["user", "-created_at"])]
        verbose_name_plural = _("saved searches")

    def __str__(self) -> str:
        return self.name

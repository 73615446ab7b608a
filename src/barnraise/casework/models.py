"""The operators' work queue: who took which item.

An item is a thing waiting for an operator (a listing to approve, an open report, an open
dispute, an identity document, a payout hold in force), named by its kind and the public id its
own app's events use. The items themselves live in their apps; this app only records who is
working on one, through `casework.services` (each change an event in the log).
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    LISTING = "listing", _("listing to approve")
    REPORT = "report", _("report")
    DISPUTE = "dispute", _("dispute")
    DOCUMENT = "document", _("document to review")
    PAYOUT_HOLD = "payout_hold", _("payout hold")


class Assignment(models.Model):
    """One operator working on one item; at most one per item."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    item_id = models.CharField(max_length=64, help_text=_("The item's public id, as text."))
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["kind", "item_id"], name="casework_one_assignee"),
        ]
        indexes: ClassVar = [models.Index(fields=["operator", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id} → {self.operator_id}"

"""Safety: contact-screening violations, reports, strikes, suspensions, appeals and their log."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from barnraise.ids import uuid7


class TrustPolicy(models.Model):
    """Marketplace safety policy, edited by operators in the admin. One row; see docs/safety.md."""

    screening_hits_per_strike = models.PositiveSmallIntegerField(
        default=3, help_text=_("Contact-screening hits within the window that give a strike.")
    )
    screening_window_days = models.PositiveSmallIntegerField(
        default=30, help_text=_("How far back screening hits count towards a strike.")
    )
    strike_lifetime_days = models.PositiveSmallIntegerField(
        default=180, help_text=_("A strike stops counting this many days after it was given.")
    )
    strikes_to_suspend = models.PositiveSmallIntegerField(
        default=3, help_text=_("Active strikes at which a member is suspended automatically.")
    )
    phone_regions = models.CharField(
        max_length=200,
        default="GB,US,FR",
        help_text=_("ISO country codes whose national phone formats screening recognises, comma-separated."),
    )

    class Meta:
        verbose_name = verbose_name_plural = _("trust policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    def regions(self) -> tuple[str, ...]:
        return tuple(part.strip().upper() for part in self.phone_regions.split(",") if part.strip())


class Violation(models.Model):
    """Contact details found in a member's text before they were allowed: the evidence of one try."""

    class Where(models.TextChoices):
        MESSAGE = "message", _("message")
        LISTING = "listing", _("listing")
        BIO = "bio", _("profile")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    where = models.CharField(max_length=10, choices=Where.choices)
    subject_id = models.CharField(max_length=64, blank=True, help_text=_("The message, listing or member."))
    kinds = models.JSONField(default=list, help_text=_("What was found: phone, email, url, handle."))
    original = models.TextField(blank=True, help_text=_("The text as written; operators only."))
    masked = models.TextField(blank=True, help_text=_("The text as others see it."))
    strike = models.ForeignKey(
        "Strike", null=True, blank=True, on_delete=models.SET_NULL, related_name="violations"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["member", "created_at"])]

    def __str__(self) -> str:
        return f"{self.where} {', '.join(self.kinds)} ({self.member_id})"


class Report(models.Model):
    """A member reports a listing, a member or a message; an operator confirms or dismisses it."""

    class Subject(models.TextChoices):
        LISTING = "listing", _("listing")
        MEMBER = "member", _("member")
        MESSAGE = "message", _("message")

    class Reason(models.TextChoices):
        SPAM = "spam", _("spam or advertising")
        FRAUD = "fraud", _("fraud or scam")
        OFFPLATFORM = "off_platform", _("asks to deal outside the marketplace")
        ABUSE = "abuse", _("harassment or hate")
        PROHIBITED = "prohibited", _("prohibited item or service")
        MISLEADING = "misleading", _("misleading or fake")
        OTHER = "other", _("something else")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CONFIRMED = "confirmed", _("confirmed")
        DISMISSED = "dismissed", _("dismissed")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who is reported: the member, the listing's author or the message's sender."),
    )
    subject = models.CharField(max_length=10, choices=Subject.choices)
    subject_id = models.CharField(max_length=64)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(blank=True)
    evidence = models.TextField(blank=True, help_text=_("The reported text as it stood when reported."))
    evidence_url = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField(blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["created_at"], condition=models.Q(status="open"), name="report_open_idx"),
            models.Index(fields=["member", "status"]),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["reporter", "subject", "subject_id"],
                condition=models.Q(status="open"),
                name="report_one_open_per_reporter_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.subject_id}: {self.reason} ({self.status})"


class Strike(models.Model):
    """A mark against a member. It counts until `expires_at`, unless an operator revokes it."""

    class Reason(models.TextChoices):
        REPORT = "report", _("a confirmed report")
        SCREENING = "screening", _("repeated contact details before acceptance")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    report = models.OneToOneField(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="strike"
    )
    issued_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["member", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.member_id})"


class Suspension(models.Model):
    """A member who may not publish or transact, from `started_at` until an operator ends it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    started_at = models.DateTimeField(default=now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_note = models.TextField(blank=True)
    withdrawn_listings = models.JSONField(
        default=list, blank=True, help_text=_("Listings taken out of search, put back when it ends.")
    )
    banned = models.BooleanField(
        default=False, help_text=_("A ban: no appeal; only an operator's reinstatement ends it.")
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(ended_at=None), name="suspension_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} since {self.started_at:%Y-%m-%d}"

    @property
    def active(self) -> bool:
        return self.ended_at is None


class Appeal(models.Model):
    """A suspended member asks an operator to lift the suspension."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        GRANTED = "granted", _("granted")
        DENIED = "denied", _("denied")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    suspension = models.ForeignKey(Suspension, on_delete=models.PROTECT, related_name="appeals")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField(blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["suspension"], condition=models.Q(status="open"), name="appeal_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.status}"


class TrustEventType(models.TextChoices):
    """`source:subject:action`; never renamed or reused."""

    VIOLATION_RECORDED = "trust:violation:recorded", _("contact details screened")
    REPORT_FILED = "trust:report:filed", _("report filed")
    REPORT_CONFIRMED = "trust:report:confirmed", _("report confirmed")
    REPORT_DISMISSED = "trust:report:dismissed", _("report dismissed")
    STRIKE_ISSUED = "trust:strike:issued", _("strike given")
    STRIKE_REVOKED = "trust:strike:revoked", _("strike revoked")
    SUSPENSION_STARTED = "trust:suspension:started", _("suspended")
    SUSPENSION_LIFTED = "trust:suspension:lifted", _("suspension lifted")
    APPEAL_FILED = "trust:appeal:filed", _("appeal filed")
    APPEAL_GRANTED = "trust:appeal:granted", _("appeal granted")
    APPEAL_DENIED = "trust:appeal:denied", _("appeal denied")
    MEMBER_BANNED = "trust:member:banned", _("banned")


class TrustEvent(models.Model):
    """The log of every safety step about a member; holds ids, never the texts themselves."""

    id = models.BigAutoField(primary_key=True)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=40, choices=TrustEventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["member", "id"])]

    def __str__(self) -> str:
        return f"{self.type} {self.member_id}"

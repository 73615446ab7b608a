import hashlib
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from barnraise import private_files
from barnraise.ids import uuid7


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A member. Email is the login; the public id is an opaque UUID."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("display name"), max_length=100)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    bio = models.TextField(_("bio"), max_length=2000, blank=True)
    location = models.CharField(_("location"), max_length=120, blank=True)
    # The zone the member reads times in (IANA name); empty: their browser's, else the
    # marketplace's (docs/architecture.md, "Time zones").
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # Paperwork (docs/taxes.md): the name and tax number printed on receipts and invoices. A
    # customer with a tax number buys as a business (reverse charge where the tax table says so).
    business_name = models.CharField(_("business name"), max_length=200, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Verifications and credentials as shown on the profile and in search results, kept by
    # accounts.badges.badges_refresh whenever one changes ([{"kind", "label"}, …]).
    badges = models.JSONField(default=list, blank=True, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 digest of the secret is stored."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text=_("The first characters, to recognise it."))
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


def token_digest(raw: str) -> str:
    """The stored digest of an API token's secret (services store it, selectors look tokens up
    by it). Tokens carry 256 random bits, so a fast hash is enough and lets us look them up."""
    return hashlib.sha256(raw.encode()).hexdigest()


def private_storage() -> Any:
    """Identity documents and licences: a storage that no URL serves (barnraise.private_files)."""
    return private_files.private_storage()


class PhoneNumber(models.Model):
    """A member's verified phone number (E.164); one per member."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="phone")
    number = models.CharField(max_length=20)
    verified_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.number


class PhoneCode(models.Model):
    """A one-time code sent by SMS; only a keyed digest is kept."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=20)
    digest = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"code for {self.number}"


class Document(models.Model):
    """An identity document, licence or certificate, reviewed by an operator.

    The file sits in private storage; its status changes only through the services
    (accounts.verification), called by the admin's approve and reject actions.
    """

    class Kind(models.TextChoices):
        IDENTITY = "identity", _("identity document")
        LICENCE = "licence", _("licence")
        CERTIFICATE = "certificate", _("certificate")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=200, blank=True, help_text=_("For licences: what it licenses."))
    issuer = models.CharField(max_length=200, blank=True)
    file = models.FileField(storage=private_storage, upload_to="documents/%Y/%m/")
    content_type = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=500, blank=True, help_text=_("Why it was rejected."))
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.user_id} ({self.status})"


class DocumentPage(models.Model):
    """A page of a PDF document rendered to a JPEG by the worker (barnraise.pdfs): what the
    member and operators look at; the PDF itself is only downloaded on request."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveSmallIntegerField(help_text=_("From 1."))
    image = models.FileField(storage=private_storage, upload_to="documents/pages/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["document", "number"], name="document_page_unique")
        ]

    def __str__(self) -> str:
        return f"page {self.number} of {self.document_id}"


class SkillTest(models.Model):
    """An operator-defined test for one category: questions drawn at random, auto-graded."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # A string reference: accounts imports no other context.
    category = models.OneToOneField("catalog.Category", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    time_limit_minutes = models.PositiveSmallIntegerField(default=20)
    questions_per_attempt = models.PositiveSmallIntegerField(default=10)
    pass_mark_percent = models.PositiveSmallIntegerField(default=70)
    retake_cooldown_days = models.PositiveSmallIntegerField(default=30)
    active = models.BooleanField(default=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(pass_mark_percent__lte=100, questions_per_attempt__gte=1),
                name="skilltest_sane",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SkillQuestion(models.Model):
    """One multiple-choice question of a test's bank; `correct` is the index of the right choice."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    test = models.ForeignKey(SkillTest, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()
    choices = models.JSONField(help_text=_('["first choice", "second choice", …]'))
    correct = models.PositiveSmallIntegerField(help_text=_("0 for the first choice, 1 for the second…"))
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.text[:80]


class SkillAttempt(models.Model):
    """One sitting of a test: the questions drawn, the deadline, then the grade."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    test = models.ForeignKey(SkillTest, on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="skill_attempts")
    question_ids = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    score_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["user", "test", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.test} by {self.user_id}: {self.score_percent}"


class PortfolioItem(models.Model):
    """A piece of work a member shows; linked to a completed deal of theirs, it is verified work."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="portfolio_items")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    url = models.URLField(max_length=500, blank=True)
    # Checked at creation by the verifier registered with accounts.portfolio (a commerce deal id).
    transaction_id = models.UUIDField(null=True, blank=True)
    verified = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class PortfolioImage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    item = models.ForeignKey(PortfolioItem, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="portfolio/")
    thumbnail = models.ImageField(upload_to="portfolio/thumbs/")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.image.name or ""

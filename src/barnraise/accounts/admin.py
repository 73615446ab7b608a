from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from barnraise.accounts import skills, verification
from barnraise.accounts.models import (
    ApiToken,
    Document,
    PhoneNumber,
    PortfolioItem,
    SkillAttempt,
    SkillQuestion,
    SkillTest,
    User,
)
from barnraise.errors import DomainError
from barnraise.private_files import private_file_response


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    ordering = ("-date_joined",)
    list_display = ("email", "name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "groups")
    search_fields = ("email", "name")
    readonly_fields = ("id", "date_joined", "last_login", "deleted_at")
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        (_("Profile"), {"fields": ("name", "avatar", "bio", "location")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("date_joined", "last_login", "deleted_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),)
    ACCESS = ("is_active", "is_staff", "is_superuser", "groups")

    @staticmethod
    def manages_operators(request: HttpRequest) -> bool:
        """Who may grant access and set passwords: the admin group (it holds every permission,
        auth's among them) and superusers. Support changes members' profiles, not their keys:
        otherwise a support operator could make themselves superuser or take over any account."""
        user = request.user
        return bool(user.is_active and (user.is_superuser or user.has_perm("auth.change_group")))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if self.manages_operators(request) else fields + self.ACCESS

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        if not self.manages_operators(request):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    search_fields = ("user__email", "prefix")
    readonly_fields = ("user", "name", "prefix", "digest", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin[PhoneNumber]):
    list_display = ("user", "number", "verified_at")
    search_fields = ("user__email", "number")
    readonly_fields = ("user", "number", "verified_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin[Document]):
    """Operators open each file through an authorized view, then approve or reject (with a reason)."""

    list_display = ("created_at", "user", "kind", "title", "status", "reviewed_by")
    list_filter = ("status", "kind")
    search_fields = ("user__email", "title", "issuer")
    ordering = ("status", "created_at")
    readonly_fields = (
        "user",
        "kind",
        "title",
        "issuer",
        "open_file",
        "content_type",
        "status",
        "reason",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    )
    fields = readonly_fields
    actions = ("approve", "reject")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("file"))
    def open_file(self, obj: Document) -> str:
        """A PDF is shown by its rendered pages; the PDF itself only by an explicit download."""
        url = reverse("admin:accounts_document_file", args=[obj.pk])
        pages = sorted(obj.pages.all(), key=lambda page: page.number)
        shown = format_html_join(
            "",
            '<p><img src="{}" alt="{}" width="{}" height="{}" style="max-width:100%;height:auto"></p>',
            (
                (
                    reverse("admin:accounts_document_page", args=[obj.pk, page.number]),
                    _("Page %d") % page.number,
                    page.width,
                    page.height,
                )
                for page in pages
            ),
        )
        if obj.content_type == "application/pdf" and not pages:
            shown = format_html("<p>{}</p>", _("The pages are being rendered; reload in a moment."))
        label = (
            _("Download the PDF as uploaded") if obj.content_type == "application/pdf" else _("Open the file")
        )
        return format_html('{}<a href="{}" download>{}</a>', shown, url, label)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<uuid:document_id>/file/",
                self.admin_site.admin_view(self.file_view),
                name="accounts_document_file",
            ),
            path(
                "<uuid:document_id>/pages/<int:number>/",
                self.admin_site.admin_view(self.page_view),
                name="accounts_document_page",
            ),
        ]
        return own + super().get_urls()

    def file_view(self, request: HttpRequest, document_id: Any) -> HttpResponseBase:
        if not isinstance(request.user, User):
            raise Http404
        try:
            document = verification.document_readable(actor=request.user, document_id=document_id)
        except DomainError as exc:
            raise Http404 from exc
        # Never shown in the operator's browser: a PDF may carry scripts.
        name = f"{document.kind}-{document.id}"
        return private_file_response(document.file, content_type=document.content_type, name=name)

    def page_view(self, request: HttpRequest, document_id: Any, number: int) -> HttpResponseBase:
        if not isinstance(request.user, User):
            raise Http404
        try:
            page = verification.document_page_readable(
                actor=request.user, document_id=document_id, number=number
            )
        except DomainError as exc:
            raise Http404 from exc
        name = f"{document_id}-page-{number}"
        return private_file_response(page.image, content_type="image/jpeg", name=name, inline=True)

    def _review(self, request: HttpRequest, queryset: QuerySet[Document], approve: bool, reason: str) -> int:
        assert isinstance(request.user, User)  # noqa: S101 - the admin requires a staff login
        done = 0
        for document in queryset.order_by("pk"):
            try:
                verification.document_review(
                    actor=request.user, document_id=document.pk, approve=approve, reason=reason
                )
                done += 1
            except DomainError as error:
                self.message_user(request, f"{document}: {error.message}", messages.ERROR)
        return done

    @admin.action(description=_("Approve the selected documents"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        done = self._review(request, queryset, True, "")
        self.message_user(request, _("%d approved.") % done, messages.SUCCESS)

    @admin.action(description=_("Reject the selected documents (with a reason)…"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Document]) -> HttpResponse | None:
        reason = request.POST.get("reason", "").strip()
        if "confirm" in request.POST and reason:
            done = self._review(request, queryset, False, reason)
            self.message_user(request, _("%d rejected.") % done, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "documents": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
            "missing_reason": "confirm" in request.POST,
        }
        return render(request, "admin/accounts/document/reject.html", context)


class SkillQuestionInline(admin.StackedInline[SkillQuestion, SkillTest]):
    model = SkillQuestion
    extra = 1
    fields = ("text", "choices", "correct", "active")


@admin.register(SkillTest)
class SkillTestAdmin(admin.ModelAdmin[SkillTest]):
    """The test and its question bank; saving warns about questions an attempt cannot grade."""

    list_display = ("title", "category", "questions_per_attempt", "pass_mark_percent", "active")
    list_filter = ("active",)
    autocomplete_fields = ("category",)
    inlines = (SkillQuestionInline,)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        assert isinstance(request.user, User)  # noqa: S101 - the admin requires a staff login
        for problem in skills.skill_test_bank_problems(actor=request.user, test=form.instance):
            self.message_user(request, problem, messages.WARNING)


@admin.register(SkillAttempt)
class SkillAttemptAdmin(admin.ModelAdmin[SkillAttempt]):
    list_display = ("started_at", "user", "test", "score_percent", "passed")
    list_filter = ("passed", "test")
    search_fields = ("user__email",)
    readonly_fields = tuple(f.name for f in SkillAttempt._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PortfolioItem)
class PortfolioItemAdmin(admin.ModelAdmin[PortfolioItem]):
    list_display = ("title", "user", "verified", "created_at")
    list_filter = ("verified",)
    search_fields = ("title", "user__email")
    readonly_fields = ("user", "transaction_id", "verified", "created_at")

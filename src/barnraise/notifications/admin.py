from django.contrib import admin

from barnraise.notifications.models import Notification, OutgoingEmail


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("kind", "recipient", "title", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("recipient__email", "title")
    readonly_fields = ("recipient", "kind", "title", "body", "url", "data", "created_at", "read_at")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin[OutgoingEmail]):
    list_display = ("subject", "to", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("to", "subject")
    readonly_fields = (
        "to",
        "subject",
        "text_body",
        "html_body",
        "notification",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    )

    def has_add_permission(self, request: object) -> bool:
        return False

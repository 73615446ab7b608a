"""The event log, for operators to read; nothing is edited."""

from django.contrib import admin
from django.http import HttpRequest

from barnraise.eventlog.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ("sequence", "type", "subject_type", "subject_id", "created_at")
    list_filter = ("type", "subject_type")
    search_fields = ("subject_id",)
    raw_id_fields = ("member", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

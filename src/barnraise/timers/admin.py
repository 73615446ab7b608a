from django.contrib import admin

from barnraise.timers.models import Timer


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin[Timer]):
    list_display = ("handler", "target", "due_at", "status", "attempts")
    list_filter = ("status", "handler")
    readonly_fields = [f.name for f in Timer._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

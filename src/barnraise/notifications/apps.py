from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "barnraise.notifications"
    label = "notifications"

    def ready(self) -> None:
        from barnraise.accounts import lifecycle
        from barnraise.notifications import selectors, services

        lifecycle.register_export("notifications", selectors.notifications_export_for)
        lifecycle.register_deletion(services.notifications_delete_for)

from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "barnraise.messaging"
    label = "messaging"

    def ready(self) -> None:
        from barnraise.accounts import lifecycle
        from barnraise.messaging import selectors, services
        from barnraise.trust import subjects

        subjects.register("message", selectors.message_subject)
        lifecycle.register_export("messages", selectors.messages_export_for)
        lifecycle.register_deletion(services.messages_delete_for)

from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "barnraise.trust"
    label = "trust"
    verbose_name = "Safety"

    def ready(self) -> None:
        from barnraise.accounts import lifecycle, standing
        from barnraise.trust import selectors, services

        standing.register_guard(selectors.member_require_good_standing)
        standing.register_text_screen(services.public_text_screen)
        lifecycle.register_export("safety", selectors.trust_export_for)
        lifecycle.register_deletion(services.trust_delete_for)

from django.apps import AppConfig


class ReputationConfig(AppConfig):
    name = "barnraise.reputation"
    label = "reputation"
    verbose_name = "Reviews and reputation"

    def ready(self) -> None:
        from barnraise.accounts import lifecycle, portfolio
        from barnraise.commerce import events
        from barnraise.reputation import selectors, services
        from barnraise.timers import services as timers

        timers.register_handler(services.REVEAL_HANDLER, services.reviews_reveal_due)
        events.register_consumer("reputation", services.on_event)
        lifecycle.register_export("reviews_written", selectors.export_for)
        portfolio.register_work_verifier(selectors.work_is_verified)

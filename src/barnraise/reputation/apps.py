from django.apps import AppConfig


class ReputationConfig(AppConfig):
    name = "barnraise.reputation"
    label = "reputation"
    verbose_name = "Reviews and reputation"

    def ready(self) -> None:
        from barnraise.accounts import lifecycle, portfolio
        from barnraise.commerce.models import TransactionEvent
        from barnraise.eventlog import sequencer
        from barnraise.reputation import selectors, services
        from barnraise.timers import services as timers

        timers.register_handler(services.REVEAL_HANDLER, services.reviews_reveal_due)
        sequencer.register_consumer("reputation", services.on_event, source=TransactionEvent)
        lifecycle.register_export("reviews_written", selectors.export_for)
        lifecycle.register_export("reviews_received", selectors.received_export_for)
        portfolio.register_work_verifier(selectors.work_is_verified)

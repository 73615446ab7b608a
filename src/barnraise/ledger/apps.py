from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "barnraise.ledger"
    label = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from barnraise.commerce import registry
        from barnraise.eventlog import sequencer
        from barnraise.eventlog.models import Event
        from barnraise.ledger import escrow, exports, money_notify, payouts, selectors

        escrow.register()
        payouts.register()
        exports.register()
        registry.register_deal_detail("payouts", selectors.deal_payouts_detail)
        sequencer.register_consumer("money_notifications", money_notify.on_event, source=Event)

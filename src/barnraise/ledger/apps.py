from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "barnraise.ledger"
    label = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from barnraise.eventlog import sequencer
        from barnraise.eventlog.models import Event
        from barnraise.ledger import deals, escrow, exports, money_notify, payouts, selectors

        escrow.register()
        payouts.register()
        exports.register()
        deals.deal_detail_register("payouts", selectors.deal_payouts_detail)
        sequencer.register_consumer("money_notifications", money_notify.on_event, source=Event)

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "barnraise.ledger"
    label = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from barnraise.ledger import escrow, exports, payouts

        escrow.register()
        payouts.register()
        exports.register()

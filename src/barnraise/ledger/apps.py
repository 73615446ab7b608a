from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "barnraise.ledger"
    label = "ledger"
    verbose_name = "Ledger"

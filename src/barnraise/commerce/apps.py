from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "barnraise.commerce"
    label = "commerce"

    def ready(self) -> None:
        from django.core import checks

        from barnraise.accounts import lifecycle
        from barnraise.catalog import availability, cancellation_policies
        from barnraise.catalog.models import Category
        from barnraise.commerce import (
            actions,
            bookings,
            cancellation,
            engine,
            notify,
            pricing,
            registry,
            selectors,
            taxes,
        )
        from barnraise.commerce import (
            checks as process_checks,
        )
        from barnraise.commerce.models import (
            CancellationPolicy,
            CommercePolicy,
            FeeAmount,
            FeeRule,
            TaxRate,
            TransactionEvent,
        )
        from barnraise.eventlog import sequencer
        from barnraise.timers import services as timers

        pricing.FEE_RULES.connect(FeeRule, FeeAmount, Category)  # a rule follows its category's path
        cancellation.POLICIES.connect(CancellationPolicy)
        taxes.TAX_RATES.connect(TaxRate, CommercePolicy, Category)
        actions.register_builtins()
        registry.load_configured()
        timers.register_handler(engine.TIMER_HANDLER, engine.fire_timed)
        # A deal's transition writes its own row, which is an entry of the one event log.
        sequencer.register_source(
            TransactionEvent,
            related=("transaction__listing", "transaction__customer", "transaction__provider"),
        )
        sequencer.register_consumer("notifications", notify.on_event, source=TransactionEvent)
        availability.register_taken_provider(bookings.taken_on)
        cancellation_policies.register_policy_source(cancellation.listing_choices)
        lifecycle.register_export("deals", selectors.deals_export_for)
        # Every process version names only registered steps and keeps its released behaviour.
        checks.register(process_checks.check_processes, "barnraise")

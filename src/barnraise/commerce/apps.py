from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "barnraise.commerce"
    label = "commerce"

    def ready(self) -> None:
        from barnraise.catalog import availability
        from barnraise.commerce import actions, bookings, engine, events, notify, registry, timers

        actions.register_builtins()
        registry.load_configured()
        timers.register_handler(engine.TIMER_HANDLER, engine.fire_timed)
        events.register_consumer("notifications", notify.on_event)
        availability.register_taken_provider(bookings.taken_on)

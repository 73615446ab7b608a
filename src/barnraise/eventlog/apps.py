from django.apps import AppConfig


class EventlogConfig(AppConfig):
    name = "barnraise.eventlog"
    label = "eventlog"
    verbose_name = "Event log"

    def ready(self) -> None:
        from barnraise.eventlog import sequencer
        from barnraise.eventlog.models import Event

        sequencer.register_source(Event)

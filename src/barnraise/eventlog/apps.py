from django.apps import AppConfig


class EventlogConfig(AppConfig):
    name = "barnraise.eventlog"
    label = "eventlog"
    verbose_name = "Event log"

    def ready(self) -> None:
        from barnraise.accounts import signals as accounts_signals
        from barnraise.eventlog import hooks, sequencer
        from barnraise.eventlog.models import Event

        sequencer.register_source(Event)
        # Doors of apps below the log tell it their changes in their transactions.
        accounts_signals.document_reviewed.connect(
            hooks.on_document_reviewed, dispatch_uid="eventlog-document"
        )

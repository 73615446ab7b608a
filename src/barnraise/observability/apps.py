from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "barnraise.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.backends.signals import connection_created

        from barnraise.observability import metrics

        if settings.METRICS_TOKEN:
            connection_created.connect(metrics.time_statements, dispatch_uid="observability.time_statements")

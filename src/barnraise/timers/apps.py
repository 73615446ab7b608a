from django.apps import AppConfig


class TimersConfig(AppConfig):
    """Generic timers: rows a periodic sweeper fires once due, for any context's handler."""

    name = "barnraise.timers"
    label = "timers"
    verbose_name = "Timers"

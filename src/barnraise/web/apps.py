from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "barnraise.web"
    label = "web"
    verbose_name = "Site"

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "barnraise.api"
    label = "api"
    verbose_name = "API"

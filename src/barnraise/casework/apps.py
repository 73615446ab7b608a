from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "barnraise.casework"
    label = "casework"

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "barnraise.search"
    label = "search"

    def ready(self) -> None:
        from barnraise.accounts import lifecycle
        from barnraise.search import index, selectors, services

        # SQLite drops a table's triggers when a migration rebuilds it; re-create them (set-up,
        # not business logic) so the text index never falls out of step.
        post_migrate.connect(index.ensure_after_migrate)
        connection_created.connect(index.tune_sqlite_connection)
        lifecycle.register_export("saved_searches", selectors.saved_searches_export_for)
        lifecycle.register_deletion(services.saved_searches_delete_for)

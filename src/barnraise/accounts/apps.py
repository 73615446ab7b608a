from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "barnraise.accounts"
    label = "accounts"
    verbose_name = "Members"

    def ready(self) -> None:
        from barnraise.accounts import lifecycle, operators, verification

        # Keeping the operator groups' permissions in step with the models is set-up, not
        # business logic: it runs after every migrate.
        post_migrate.connect(operators.sync_groups_after_migrate)
        lifecycle.register_export("verifications_and_credentials", verification.credentials_export_for)
        lifecycle.register_deletion(verification.credentials_delete_for)

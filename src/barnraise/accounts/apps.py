from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "barnraise.accounts"
    label = "accounts"
    verbose_name = "Members"

    def ready(self) -> None:
        from allauth.account import signals as allauth_signals

        from barnraise.accounts import lifecycle, operators, passwords, verification

        # Keeping the operator groups' permissions in step with the models is set-up, not
        # business logic: it runs after every migrate.
        post_migrate.connect(operators.sync_groups_after_migrate)
        lifecycle.register_export("verifications_and_credentials", verification.credentials_export_for)
        lifecycle.register_deletion(verification.credentials_delete_for)
        # A password changed or reset on the pages, or a first confirmation, ends old tokens.
        allauth_signals.password_changed.connect(passwords.on_password_changed)
        allauth_signals.password_reset.connect(passwords.on_password_reset)
        allauth_signals.email_confirmed.connect(passwords.on_email_confirmed)

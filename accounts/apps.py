from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts and security"

    def ready(self) -> None:
        # The sign-in receivers connect when their modules load, which must wait for the app
        # registry; loading them here means every process has them, whatever it imports first.
        from accounts import second_factor, sessions  # noqa: F401

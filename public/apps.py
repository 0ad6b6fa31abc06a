from django.apps import AppConfig


class PublicConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "public"
    verbose_name = "Public site"

    def ready(self) -> None:
        # Cached public pages follow every write below them, bulk deletes and the admin included.
        from public import signals  # noqa: F401

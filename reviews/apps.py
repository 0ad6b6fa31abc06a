from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Editorial review"

    def ready(self) -> None:
        from reviews import signals  # noqa: F401 - connects the dashboard-count receivers

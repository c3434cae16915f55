from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "pathways"
    verbose_name = "Pathways"

    def ready(self) -> None:
        # Connects the sign-in log's signal receivers.
        from . import accounts  # noqa: F401

from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "pathways"
    verbose_name = "Pathways"

    def ready(self) -> None:
        # Connects the sign-in log's signal receivers and the fragment cache's content watch.
        from . import accounts  # noqa: F401
        from .caching import watch_content

        watch_content()

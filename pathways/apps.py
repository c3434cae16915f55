from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "pathways"
    verbose_name = "Pathways"

    def ready(self) -> None:
        # Every signal receiver is connected here, none on import, so importing a module
        # never changes behaviour. The admin registrations live with the editors' and the
        # problem reports' code, not in a pathways/admin.py.
        from . import history
        from .editing import admin, importing, notifications  # noqa: F401
        from .local import admin as local_admin  # noqa: F401
        from .operations import accounts, caching
        from .problem_reports import admin as reports_admin  # noqa: F401

        history.connect_signals()
        accounts.connect_signals()
        caching.watch_content()
        notifications.connect_signals()
        importing.connect()

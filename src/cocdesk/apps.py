from django.apps import AppConfig


class CocdeskConfig(AppConfig):
    """The project itself: shared templates, static files and project-wide commands."""

    name = "cocdesk"
    verbose_name = "cocdesk"

from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "cocdesk.transparency"
    label = "transparency"
    verbose_name = "Transparency reports"

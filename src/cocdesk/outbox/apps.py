from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "cocdesk.outbox"
    label = "outbox"
    verbose_name = "Outgoing mail"

from django.apps import AppConfig


class EscrowConfig(AppConfig):
    name = "cocdesk.escrow"
    label = "escrow"
    verbose_name = "Escrow and patterns"

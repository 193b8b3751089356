from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "cocdesk.intake"
    label = "intake"
    verbose_name = "Intake"

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "cocdesk.audit"
    label = "audit"
    verbose_name = "Audit log"

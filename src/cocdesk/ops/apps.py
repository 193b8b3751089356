from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class OpsConfig(AppConfig):
    """What the site operator runs: key fingerprints, key rotation, restore bookkeeping, and the
    checks that refuse an unsafe start (D11, D12)."""

    name = "cocdesk.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from cocdesk.ops import checks as ops_checks  # noqa: PLC0415 - the checks read models: loaded once apps are

        # Tagged "cocdesk", not "database": they run before every command (so `ingest-email`, `tick`
        # and `check --deploy` see them) and at a production start (cocdesk.wsgi).
        checks.register(ops_checks.keys_match, ops_checks.TAG)
        checks.register(ops_checks.production_email_backend, ops_checks.TAG)
        post_migrate.connect(ops_checks.record_fingerprints_after_migrate, sender=self)

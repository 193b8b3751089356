"""When the last transparency report was published: what the yearly reminder (D5) counts from. A
module of its own so that deadlines can read it without importing the report generator."""

from __future__ import annotations

from datetime import datetime

from cocdesk.transparency.models import ReportStatus, TransparencyReport


def last_published_at() -> datetime | None:
    """When the latest transparency report was published (the yearly reminder counts from it)."""
    return (
        TransparencyReport.objects.filter(status=ReportStatus.PUBLISHED)
        .order_by("-published_at")
        .values_list("published_at", flat=True)
        .first()
    )

from django.db.models import Q, QuerySet

from cocdesk import access
from cocdesk.outbox.models import OutboxMessage, Status


def outbox_dead_for(user: object) -> QuerySet[OutboxMessage]:
    """Messages that could not be sent after every retry, as far as `user` may know of their case."""
    if not access.is_committee_member(user):
        return OutboxMessage.objects.none()
    known = access.cases_visible_to(user) | access.cases_awaiting_declaration_by(user)
    return (
        OutboxMessage.objects.filter(status=Status.DEAD)
        .filter(Q(case__isnull=True) | Q(case__in=known.values("pk")))
        .select_related("case")
        .only("pk", "kind", "created_at", "last_error", "case__reference")
    )

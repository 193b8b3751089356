"""Retention (D5): a closed case's content is deleted for good on its expunge date."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction

from cocdesk import clock
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence
from cocdesk.cases.models import Case
from cocdesk.crypto import EncryptedJSONField, EncryptedTextField


@transaction.atomic
def expunge_date_set(*, case: Case, date: datetime | None, actor: object | str | None = "system") -> bool:
    """Set (or postpone, or clear) a closed case's expunge date (computed by the deadlines app from
    the committee's retention settings). Only the run that changes the stored value acts, so
    concurrent ticks audit it once. Side effects: Case.expunge_at, audit (by `actor`)."""
    old = case.expunge_at
    current = Case.objects.filter(pk=case.pk, expunged_at__isnull=True)
    current = current.filter(expunge_at__isnull=True) if old is None else current.filter(expunge_at=old)
    if not current.update(expunge_at=date):
        return False
    action = (
        "scheduled" if old is None else ("postponed" if date is None or date > old else "brought_forward")
    )
    audit_record(actor=actor, action=f"case.expunge_{action}", target=case)
    case.expunge_at = date
    return True


def _delete_files(names: list[str]) -> None:
    for name in names:
        evidence.delete_stored(name)


@transaction.atomic
def case_expunge(*, case: Case) -> bool:
    """Delete a case's content for good, keeping only what statistics need. Irreversible.

    Kept: reference, channel, kind, state, resolution, severity, the flags (urgent, ongoing, law
    enforcement requested) and the dates. Deleted: every row of every table that points at the
    case (parties, messages, timeline, attachments, discussion, proposals and votes,
    conversations, stored emails, mail to and about it…), every encrypted field of the case, the
    receipt code, who received it and at which event. Stored files (attachments, raw emails) are
    deleted after commit. Side effects: Case.expunged_at, audit `case.expunged`.
    Returns False if the case was already expunged (e.g. by a concurrent tick).
    """
    case = Case.objects.select_for_update().filter(pk=case.pk, expunged_at__isnull=True).first()
    if case is None:
        return False
    files = []
    relations = [  # every table pointing at the case, hidden reverse relations (related_name="+") too
        f
        for f in Case._meta.get_fields(include_hidden=True)
        if f.is_relation and f.auto_created and not f.concrete
    ]
    for relation in relations:
        if relation.many_to_many:
            getattr(case, relation.get_accessor_name()).clear()
            continue
        rows = relation.related_model._base_manager.filter(**{relation.field.name: case})
        for model_field in relation.related_model._meta.concrete_fields:
            if model_field.name.endswith("storage_name"):
                files.extend(n for n in rows.values_list(model_field.name, flat=True) if n)
        rows.delete()
    for model_field in Case._meta.concrete_fields:
        if isinstance(model_field, EncryptedTextField | EncryptedJSONField):
            setattr(case, model_field.attname, model_field.get_default())
    case.receipt_hash, case.received_by, case.event = None, None, None
    case.expunged_at = clock.now()
    case.save()
    audit_record(actor="system", action="case.expunged", target=case)
    transaction.on_commit(partial(_delete_files, files))
    return True

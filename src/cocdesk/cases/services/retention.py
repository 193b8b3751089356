"""Retention (D5): a closed case's content is deleted for good on its expunge date."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence
from cocdesk.cases.models import Case, State
from cocdesk.cases.selectors import case_consequences_in_force
from cocdesk.crypto import EncryptedJSONField, EncryptedTextField
from cocdesk.errors import Refused


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
def case_expunge_now(*, case: Case, by: object) -> bool:
    """The committee deletes a closed case's content before its date (the confirmation page on the
    case, issue 12). Irreversible; the same deletion as on the date (`case_expunge`).

    Refused unless the case is closed, `by` may keep it longer or not (`access.may_extend_retention`:
    a chair free of conflict taking part, or without one the members taking part) and no
    consequence decided on it still applies. Side effects: those of `case_expunge`, audited as `by`.
    """
    case = Case.objects.select_for_update().filter(pk=case.pk, expunged_at__isnull=True).first()
    if case is None:
        return False
    if case.state != State.CLOSED:
        raise Refused(_("Only a closed case's content can be deleted."))
    if not access.may_extend_retention(by, case):
        raise Refused(
            _("Only the chair taking part in this case (or, without one, its members) can delete it.")
        )
    if case_consequences_in_force(case=case, today=clock.now().date()):
        raise Refused(_("A consequence decided on this case still applies, so its record is kept."))
    return case_expunge(case=case, actor=by)


@transaction.atomic
def case_expunge(*, case: Case, actor: object | str = "system") -> bool:
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
    audit_record(actor=actor, action="case.expunged", target=case)
    transaction.on_commit(partial(_delete_files, files))
    return True

"""Retention as the committee's choice (D5): the chair's settings, and keeping one closed case
longer. What `tick` does with them is in `tick._retention`."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.cases.services import expunge_date_set
from cocdesk.deadlines import rules, selectors
from cocdesk.deadlines.models import RetentionExtension, RetentionPolicy
from cocdesk.errors import Refused

if TYPE_CHECKING:
    from cocdesk.cases.models import Case
    from cocdesk.members.models import Member


@transaction.atomic
def retention_policy_update(
    *,
    by: Member,
    minor_months: int,
    moderate_months: int,
    severe_months: int,
    unassessed_months: int,
    never_delete: bool,
    extend_months: int,
) -> RetentionPolicy:
    """The chair sets how long closed cases are kept. Closed cases' dates follow on their pages at
    once and at the next `tick`; a case is still never deleted sooner than 30 days after the chair
    is told (rules.deletion_date), so shorter periods cannot delete anything unannounced.

    Side effects: the RetentionPolicy row (created the first time); audit `retention.policy_updated`.
    """
    if not access.may_manage_retention(by):
        raise Refused(_("Only the chair can change how long cases are kept."))
    policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(pk=RetentionPolicy.SINGLETON)
    policy.minor_months, policy.moderate_months = minor_months, moderate_months
    policy.severe_months, policy.unassessed_months = severe_months, unassessed_months
    policy.never_delete, policy.extend_months = never_delete, extend_months
    policy.updated_at, policy.updated_by = clock.now(), by
    policy.full_clean()
    policy.save()
    audit_record(actor=by, action="retention.policy_updated", target=policy)
    return policy


@transaction.atomic
def retention_extend(*, case: Case, by: Member, reason: str, until: date | None = None) -> RetentionExtension:
    """Keep one closed case's content longer than the committee's periods: until the day `until`
    (deleted at its start, in the site's time zone), or, without
    it, the committee's extension period (`RetentionPolicy.extend_months`) past its current deletion
    date. Refused unless `by` may (`access.may_extend_retention`: the chair, or without a chair free
    of conflict the members taking part), the case has a deletion date, a reason is given and the
    new date is later.

    Side effects: a RetentionExtension (the reason encrypted); Case.expunge_at postponed (audit
    `case.expunge_postponed` by `by`); audit `case.retention_extended`. The chair is told again 30
    days before the new date.
    """
    if not access.may_extend_retention(by, case):
        raise Refused(_("Only the chair can keep a case longer."))
    retention = selectors.case_retention(case=case)
    if retention.deletion_at is None:
        raise Refused(_("This case has no deletion date, so there is nothing to postpone."))
    if not reason.strip():
        raise Refused(_("Please say why the committee needs to keep this case longer."))
    policy = selectors.retention_policy()
    if until is not None:
        new_date: datetime = timezone.make_aware(datetime.combine(until, time.min))
    else:
        new_date = rules.add_months(retention.deletion_at, policy.extend_months)
    if new_date <= retention.deletion_at:
        raise Refused(
            _("Please choose a date after %(day)s, the day it would be deleted now.")
            % {"day": f"{retention.deletion_at:%Y-%m-%d}"}
        )
    extension = RetentionExtension.objects.create(case=case, until=new_date, reason=reason.strip(), by=by)
    audit_record(actor=by, action="case.retention_extended", target=case)
    case.refresh_from_db(fields=["expunge_at"])  # as `tick` last stored it
    expunge_date_set(case=case, date=selectors.case_retention(case=case).deletion_at, actor=by)
    return extension

"""Reads on cases. Every query starts from the access policy (DESIGN D3), never from Case.objects."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from cocdesk import access
from cocdesk.cases.models import Case, ConflictDeclaration, IncidentOwner, Party, TimelineEntry


def case_visible(*, user: object, reference: str) -> Case | None:
    """The case if `user` may read its file, else None (the caller answers 404)."""
    return access.cases_visible_to(user).filter(reference=reference).first()


def case_awaiting_declaration(*, user: object, reference: str) -> Case | None:
    """The case if `user` still has to declare on it (they may see the prompt only)."""
    return access.cases_awaiting_declaration_by(user).filter(reference=reference).first()


@dataclass(frozen=True)
class PartyName:
    role: str
    name: str


def prompt_party_names(*, case: Case) -> list[PartyName]:
    """What a member sees before declaring: each party's role and name (or handle), nothing else."""
    return [PartyName(p.get_role_display(), p.name or p.handle or p.email or "—") for p in case.parties.all()]


def case_participants(*, case: Case) -> QuerySet:
    return access.case_participants(case).order_by("name")


def case_timeline(*, case: Case) -> QuerySet[TimelineEntry]:
    return case.timeline.select_related("author").order_by("at", "pk")


def cases_list(*, user: object) -> QuerySet[Case]:
    """The case list ("the spreadsheet"): what the user may read, with owners in one query."""
    return (
        access.cases_visible_to(user)
        .prefetch_related(Prefetch("owners", queryset=IncidentOwner.objects.select_related("member")))
        .order_by("-received_at")
    )


def cases_awaiting_list(*, user: object) -> QuerySet[Case]:
    return access.cases_awaiting_declaration_by(user).prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("role", "pk"))
    )


def declaration_of(*, case: Case, member: object) -> ConflictDeclaration | None:
    return ConflictDeclaration.objects.filter(case=case, member=member).first()

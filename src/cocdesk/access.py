"""The single authorization policy (DESIGN D3).

Every view, selector, export, notification and command asks here. Deny by default: a function
answers True only for the roles and states it names. Case-level rules are added with the case file.
"""

from __future__ import annotations

from cocdesk.members.models import COMMITTEE_ROLES, Role


def _verified(user: object) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_verified", lambda: False)()
    )


def is_committee_member(user: object) -> bool:
    """A verified committee member or chair."""
    return _verified(user) and getattr(user, "role", None) in COMMITTEE_ROLES


def is_chair(user: object) -> bool:
    return _verified(user) and getattr(user, "role", None) == Role.CHAIR


def can_open_dashboard(user: object) -> bool:
    """Any verified account has a dashboard; what it lists depends on the role."""
    return _verified(user) and getattr(user, "role", None) != Role.OPERATOR

"""Accounts and roles (DESIGN D1)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from cocdesk import clock


class Role(models.TextChoices):
    MEMBER = "member", _("Committee member")
    CHAIR = "chair", _("Chair")
    COMMUNITY_MANAGER = "community_manager", _("Community manager")
    EVENT_RESPONDER = "event_responder", _("Event responder")
    OPERATOR = "operator", _("Site operator")


COMMITTEE_ROLES = (Role.MEMBER, Role.CHAIR)


class MemberManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> Member:
        if not email:
            raise ValueError("An email address is required.")
        member = self.model(email=self.normalize_email(email).lower(), **fields)
        member.set_password(password)  # None gives an unusable password until enrolment
        member.save(using=self._db)
        return member

    def create_superuser(self, email: str, password: str | None = None, **fields) -> Member:
        fields.update(is_staff=True, is_superuser=True, role=Role.OPERATOR)
        fields.setdefault("name", "Site operator")
        return self.create_user(email, password, **fields)


class Member(AbstractBaseUser, PermissionsMixin):
    """Anyone with an account: committee members, the chair, the community manager, event
    responders and the site operator. Reporters never have accounts."""

    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)  # may open the Django admin (site operator only)
    joined_at = models.DateTimeField(default=clock.now)
    # Bumped when an account is disabled: every session signed with the old value ends at once.
    session_epoch = models.PositiveIntegerField(default=0)

    objects = MemberManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name"]
        verbose_name = _("member")

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def is_committee(self) -> bool:
        return self.role in COMMITTEE_ROLES

    @property
    def is_chair(self) -> bool:
        return self.role == Role.CHAIR

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        key_salt = "cocdesk.members.Member.get_session_auth_hash"
        value = f"{self.password}|{self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class EnrolmentToken(models.Model):
    """A one-time link where a new member sets a password and enrols TOTP. Only its hash is stored."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="enrolment_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"enrolment link for member {self.member_id}"

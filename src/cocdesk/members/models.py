"""Accounts and roles (D1)."""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import random_hex

from cocdesk import clock
from cocdesk.crypto import EncryptedTextField


class Role(models.TextChoices):
    MEMBER = "member", _("Committee member")
    CHAIR = "chair", _("Chair")
    COMMUNITY_MANAGER = "community_manager", _("Community manager")
    EVENT_RESPONDER = "event_responder", _("Event responder")
    OPERATOR = "operator", _("Site operator")


COMMITTEE_ROLES = (Role.MEMBER, Role.CHAIR)
# What a role change may give (D1): never the site operator's role, which `createsuperuser` gives.
ASSIGNABLE_ROLES = (Role.MEMBER, Role.CHAIR, Role.COMMUNITY_MANAGER, Role.EVENT_RESPONDER)


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
        constraints = [
            # The site operator administers the server and never reads a case (D1): an account with
            # admin rights holds no other role, and no other account gets admin rights.
            models.CheckConstraint(
                condition=models.Q(role="operator") | models.Q(is_staff=False, is_superuser=False),
                name="admin_rights_only_for_the_site_operator",
                violation_error_message=_(
                    "Only a site operator's account has admin rights, and it holds no other role."
                ),
            )
        ]

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


class IdentityKind(models.TextChoices):
    NAME = "name", _("A name")
    EMAIL = "email", _("An email address")
    HANDLE = "handle", _("A handle or username")


class MemberIdentity(models.Model):
    """A name, email address or handle a member (or the community manager) is known by, besides
    their account's name and address, which always count (D3). Reports are matched against them
    (`cocdesk.identity`); the value is encrypted, its blind index keeps one row per identifier."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=10, choices=IdentityKind.choices)
    value = EncryptedTextField()
    index = models.CharField(max_length=64, db_index=True)
    added_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name_plural = "member identities"
        constraints = [
            models.UniqueConstraint(fields=["member", "kind", "index"], name="one_row_per_identifier")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of member {self.member_id}"


class EnrolmentToken(models.Model):
    """A one-time link where a new member sets a password and enrols TOTP. Only its hash is stored."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="enrolment_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"enrolment link for member {self.member_id}"


def totp_key_default() -> str:
    """A new TOTP secret: 20 random bytes, hex-encoded (as django-otp makes them)."""
    return random_hex(20)


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A member's authenticator app: a django-otp device whose secret is encrypted at rest.

    django-otp's own TOTPDevice keeps the secret as plain hex, so a copy of the database could make
    login codes (issue 16). This one keeps it in an EncryptedTextField (the field keys; re-encrypted
    by `rotate-keys`) and otherwise behaves the same: django-otp's throttling (ThrottlingMixin)
    and its replay protection (a code's time step must be later than `last_t`).
    """

    key = EncryptedTextField(default=totp_key_default)  # hex, as django-otp's TOTPDevice.key
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    def totp(self) -> TOTP:
        """django-otp's TOTP for this device at the current wall-clock time (codes are real time)."""
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        return totp

    def verify_token(self, token: object) -> bool:
        """As django-otp's TOTPDevice.verify_token: a code is accepted once, within `tolerance`
        steps, and failures back off exponentially. Saves only the counters, never the secret."""
        if not self.verify_is_allowed()[0]:
            return False
        try:
            code = int(str(token))
        except ValueError:
            verified = False
        else:
            totp = self.totp()
            verified = totp.verify(code, self.tolerance, self.last_t + 1)
            if verified:
                self.last_t = totp.t()
                if getattr(settings, "OTP_TOTP_SYNC", True):
                    self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
        if not verified:
            self.throttle_increment(commit=False)
        self.save(update_fields=self.COUNTERS)
        return verified

    COUNTERS = ("last_t", "drift", "throttling_failure_timestamp", "throttling_failure_count", "last_used_at")

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    @property
    def config_url(self) -> str:
        """The otpauth:// URL an authenticator app scans (as django-otp's TOTPDevice.config_url)."""
        label = str(self.user.get_username())
        params = urlencode(
            {
                "secret": b32encode(self.bin_key),
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
            }
        )
        issuer = getattr(settings, "OTP_TOTP_ISSUER", "")
        if issuer:
            issuer = issuer.replace(":", "")
            label = f"{issuer}:{label}"
            params += f"&issuer={quote(issuer)}"
        return f"otpauth://totp/{quote(label)}?{params}"


# --- the committee over time (D8) ----------------------------------------------------------


class RemovalStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PASSED = "passed", _("Passed: the member is removed")
    FAILED = "failed", _("Did not pass")
    ENDED = "ended", _("Ended: the member left the committee")


class Removal(models.Model):
    """A private discussion, and a vote, about removing a committee member (D8).

    The member concerned never sees it: `access.removals_visible_to` leaves it out for them.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=clock.now)
    status = models.CharField(max_length=10, choices=RemovalStatus.choices, default=RemovalStatus.OPEN)
    decided_at = models.DateTimeField(null=True, blank=True)
    tally = models.JSONField(default=dict, blank=True)  # {"yes": n, "no": n, "members": n}

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(status="open"), name="one_open_removal_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"removal discussion {self.pk}"


class RemovalPost(models.Model):
    removal = models.ForeignKey(Removal, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"post {self.pk} in removal discussion {self.removal_id}"


class RemovalVote(models.Model):
    """One member's vote. A vote is final once cast."""

    removal = models.ForeignKey(Removal, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    remove = models.BooleanField()
    cast_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["removal", "member"], name="one_removal_vote")]

    def __str__(self) -> str:
        return f"vote of member {self.member_id} on removal {self.removal_id}"


class ElectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PASSED = "passed", _("Passed: the candidate is a chair")
    FAILED = "failed", _("Did not pass")
    ENDED = "ended", _("Ended: the candidate left the committee")


class ChairElection(models.Model):
    """A vote of the committee to make one of its members a chair (D8), decided like a removal: it
    passes when yes votes are more than half of all active committee members. Any member may open
    one; every active member, the candidate included, may vote. Seen by committee members only.

    A chair who is still on the committee stays a chair when another is elected: a committee may
    have more than one chair, and stepping down is the chair's own choice (or a removal vote).
    """

    candidate = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=clock.now)
    status = models.CharField(max_length=10, choices=ElectionStatus.choices, default=ElectionStatus.OPEN)
    decided_at = models.DateTimeField(null=True, blank=True)
    tally = models.JSONField(default=dict, blank=True)  # {"yes": n, "no": n, "members": n}

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate"],
                condition=models.Q(status="open"),
                name="one_open_election_per_candidate",
            )
        ]

    def __str__(self) -> str:
        return f"chair election {self.pk}"


class ChairElectionVote(models.Model):
    """One member's vote in a chair election. A vote is final once cast."""

    election = models.ForeignKey(ChairElection, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    elect = models.BooleanField()
    cast_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["election", "member"], name="one_election_vote")]

    def __str__(self) -> str:
        return f"vote of member {self.member_id} in chair election {self.election_id}"


class OffboardingReason(models.TextChoices):
    RESIGNATION = "resignation", _("Stepped down")
    REMOVAL = "removal", _("Removed by a vote of the committee")


# The outside resources the plan lists; each must be ticked by the chair before the notice goes.
CHECKLIST = (
    ("mailing_lists", _("Removed from committee mailing lists and Google groups")),
    ("email_aliases", _("Removed from the email aliases they send from")),
    ("chat_channels", _("Removed from the committee's private chat channels")),
    ("report_documents", _("Access removed from all documents for reports")),
    ("status_spreadsheet", _("Access removed from the spreadsheet of report statuses")),
    ("event_registration", _("Access removed from event registration data")),
)


class Offboarding(models.Model):
    """A member leaving the committee. Access inside cocdesk ends when this row is made; the
    checklist covers what lives elsewhere. The notice to the member goes last."""

    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="offboarding")
    reason = models.CharField(max_length=12, choices=OffboardingReason.choices)
    removal = models.ForeignKey(Removal, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=clock.now)
    access_revoked_at = models.DateTimeField(null=True, blank=True)
    ticked = models.JSONField(default=dict, blank=True)  # checklist item -> ISO time it was ticked
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    notice_sent_by = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"off-boarding of member {self.member_id}"

    @property
    def checklist_complete(self) -> bool:
        return all(self.ticked.get(item) for item, _label in CHECKLIST)


class StepKind(models.TextChoices):
    TICK = "tick", _("Tick")
    UNTICK = "untick", _("Untick")
    NOTICE = "notice", _("Send the notice")


class OffboardingStep(models.Model):
    """One of the chair's off-boarding steps, taken by two members together while the committee has
    no chair (D8): one member proposes it, and it happens only when a different member confirms.
    Both are recorded here and in the audit log."""

    offboarding = models.ForeignKey(Offboarding, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=8, choices=StepKind.choices)
    item = models.CharField(max_length=32, blank=True, default="")  # a CHECKLIST item; empty for the notice
    proposed_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(default=clock.now)
    confirmed_by = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["offboarding", "kind", "item"],
                condition=models.Q(confirmed_at__isnull=True),
                name="one_open_offboarding_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.item} in off-boarding {self.offboarding_id}".replace("  ", " ")

    @property
    def label(self) -> str:
        if self.kind == StepKind.NOTICE:
            return str(StepKind.NOTICE.label)
        return f"{StepKind(self.kind).label}: {dict(CHECKLIST).get(self.item, self.item)}"

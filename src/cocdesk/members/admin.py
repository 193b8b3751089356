"""The site operator's admin: technical account administration only, never case content (D1)."""

from django.contrib import admin, messages

from cocdesk.members import services
from cocdesk.members.models import Member

# TOTP devices are not registered: secrets are not for display, even to the operator; a lost phone
# gets a new enrolment link.


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("email", "name")
    fields = ("email", "name", "role", "is_active", "last_login", "joined_at")
    readonly_fields = ("is_active", "last_login", "joined_at")
    actions = ["disable_accounts"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # accounts are disabled, never deleted: the audit log refers to them

    @admin.action(description="Disable the selected accounts and end their sessions")
    def disable_accounts(self, request, queryset) -> None:
        for member in queryset:
            services.member_disable(member=member, actor=request.user)
        self.message_user(request, f"{queryset.count()} account(s) disabled.", messages.SUCCESS)

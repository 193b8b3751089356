"""The site operator's admin: technical account administration only, never case content (D1).

What would change who someone is to cocdesk is read-only here: the role (an audited change by the
chair on the roster page, or `cocdesk set-role`), the email address (where enrolment links and
notices go: changing it would hand the account to someone else) and the active state (the audited
"disable" action below). Accounts are added with `cocdesk add-member`, never here. The name may be
corrected; that is audited too.
"""

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
    readonly_fields = ("email", "role", "is_active", "last_login", "joined_at")
    actions = ["disable_accounts"]

    def has_add_permission(self, request) -> bool:
        return False  # `cocdesk add-member`: audited, with a one-time enrolment link

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # accounts are disabled, never deleted: the audit log refers to them

    def save_model(self, request, obj, form, change) -> None:
        # Only the name is editable; the service saves the name and nothing else, and audits it.
        services.member_rename(member=obj, name=form.cleaned_data["name"], actor=request.user)

    @admin.action(description="Disable the selected accounts and end their sessions")
    def disable_accounts(self, request, queryset) -> None:
        for member in queryset:
            services.member_disable(member=member, actor=request.user)
        self.message_user(request, f"{queryset.count()} account(s) disabled.", messages.SUCCESS)

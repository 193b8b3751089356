from django.urls import path

from cocdesk.deadlines import views

app_name = "deadlines"
urlpatterns = [
    path("cases/<str:reference>/messages/new/", views.compose, name="compose"),
    path("cases/<str:reference>/messages/told/", views.told, name="told"),
    path("cases/<str:reference>/messages/wishes/", views.wishes, name="wishes"),
    path("cases/<str:reference>/deadlines/", views.case_deadlines, name="case"),
    path("cases/<str:reference>/retention/", views.retention_extend, name="retention_extend"),
    path("deadlines/retention/", views.retention_settings, name="retention"),
    path("deadlines/templates/", views.templates_list, name="templates"),
    path("deadlines/templates/<str:kind>/", views.template_edit, name="template_edit"),
    path("deadlines/calendar/", views.calendar_settings, name="calendar"),
    path("deadlines/calendar/new/", views.calendar_new, name="calendar_new"),
    path("deadlines/calendar/revoke/", views.calendar_revoke, name="calendar_revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("deadlines/email/", views.notice_settings, name="notices"),
    path("check-in/", views.check_in, name="check_in"),
    path("check-ins/", views.check_ins, name="check_ins"),
]

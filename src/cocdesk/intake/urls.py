from django.urls import path

from cocdesk.intake import views

app_name = "intake"
urlpatterns = [
    path("report/", views.report_form, name="report"),
    path("report/thanks/", views.report_thanks, name="thanks"),
    path("report/status/", views.status_lookup, name="status"),
    path("report/status/case/", views.status_case, name="status_case"),
    path("report/status/leave/", views.status_leave, name="status_leave"),
    path("intake/new/", views.intake_new, name="new"),
    path("intake/filed/", views.intake_filed, name="filed"),
    path("events/", views.events_list, name="events"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    # Who a case is about: members taking part add and correct people on any case (D3).
    path("cases/<str:reference>/people/", views.case_people, name="people"),
    path("cases/<str:reference>/people/<int:party_id>/", views.case_person, name="person"),
    path("events/<int:event_id>/safety/", views.event_safety, name="event_safety"),
]

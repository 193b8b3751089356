from django.urls import path

from cocdesk.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.cases_index, name="index"),
    path("cases/<str:reference>/", views.case_detail, name="detail"),
    path("cases/<str:reference>/declare/", views.case_declare, name="declare"),
    path("cases/<str:reference>/recuse/", views.case_recuse, name="recuse"),
    path("cases/<str:reference>/notes/", views.case_note_add, name="note_add"),
    path("cases/<str:reference>/step-up/", views.case_stepup, name="stepup"),
    path(
        "cases/<str:reference>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"
    ),
]

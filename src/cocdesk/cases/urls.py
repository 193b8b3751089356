from django.urls import path

from cocdesk.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.cases_index, name="index"),
    path("cases/export.csv", views.cases_export_csv, name="export_csv"),
    path("catalog/", views.catalog, name="catalog"),
    path("declarations/", views.my_declarations, name="declarations"),
    path("declarations/<str:reference>/rejoin/", views.rejoin_request, name="rejoin_request"),
    path("shared/", views.shared_records, name="shared_records"),
    path("shared/<int:record_id>/", views.shared_record, name="shared_record"),
    path("cases/<str:reference>/", views.case_detail, name="detail"),
    path("cases/<str:reference>/declare/", views.case_declare, name="declare"),
    path("cases/<str:reference>/recuse/", views.case_recuse, name="recuse"),
    path("cases/<str:reference>/notes/", views.case_note_add, name="note_add"),
    path("cases/<str:reference>/owners/", views.case_owners, name="owners"),
    path("cases/<str:reference>/discussion/", views.case_post, name="post"),
    path("cases/<str:reference>/state/", views.case_state, name="state"),
    path("cases/<str:reference>/proposals/", views.case_proposal, name="proposal"),
    path("cases/<str:reference>/proposals/<int:proposal_id>/vote/", views.case_vote, name="vote"),
    path("cases/<str:reference>/conversations/new/", views.case_conversation, name="conversation"),
    path("cases/<str:reference>/context/", views.case_context, name="context"),
    path("cases/<str:reference>/follow-ups/", views.case_follow_up, name="follow_up"),
    path("cases/<str:reference>/law-enforcement/requested/", views.case_law_requested, name="law_requested"),
    path("cases/<str:reference>/law-enforcement/", views.case_law_record, name="law_record"),
    path("cases/<str:reference>/rejoin/<int:member_id>/agree/", views.rejoin_agree, name="rejoin_agree"),
    path("cases/<str:reference>/step-up/", views.case_stepup, name="stepup"),
    path("cases/<str:reference>/export/", views.case_export, name="export"),
    path(
        "cases/<str:reference>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"
    ),
]

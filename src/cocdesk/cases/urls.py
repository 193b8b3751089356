from django.urls import path

from cocdesk.cases.views import deliberation, file, lists, safety

app_name = "cases"
urlpatterns = [
    path("cases/", lists.cases_index, name="index"),
    path("cases/export.csv", lists.cases_export_csv, name="export_csv"),
    path("catalog/", lists.catalog, name="catalog"),
    path("declarations/", lists.my_declarations, name="declarations"),
    path("declarations/<str:reference>/rejoin/", lists.rejoin_request, name="rejoin_request"),
    path("shared/", lists.shared_records, name="shared_records"),
    path("shared/<int:record_id>/", lists.shared_record, name="shared_record"),
    path("shared/<int:record_id>/declare/", lists.shared_declare, name="shared_declare"),
    path("cases/<str:reference>/", file.case_detail, name="detail"),
    path("cases/<str:reference>/declare/", file.case_declare, name="declare"),
    path("cases/<str:reference>/danger/", safety.case_danger, name="danger"),
    path("taken/<int:index>/danger/", safety.taken_danger, name="taken_danger"),
    path("cases/<str:reference>/recuse/", file.case_recuse, name="recuse"),
    path("cases/<str:reference>/delete/", file.case_delete, name="delete"),
    path("cases/<str:reference>/notes/", file.case_note_add, name="note_add"),
    path("cases/<str:reference>/contact/", file.case_contact, name="contact"),
    path("cases/<str:reference>/export/", file.case_export, name="export"),
    path(
        "cases/<str:reference>/attachments/<int:attachment_id>/", file.attachment_download, name="attachment"
    ),
    path("cases/<str:reference>/search/start/", file.search_start, name="search_start"),
    path("cases/<str:reference>/search/end/", file.search_end, name="search_end"),
    path("cases/<str:reference>/owners/", deliberation.case_owners, name="owners"),
    path("cases/<str:reference>/discussion/", deliberation.case_post, name="post"),
    path("cases/<str:reference>/state/", deliberation.case_state, name="state"),
    path("cases/<str:reference>/proposals/", deliberation.case_proposal, name="proposal"),
    path("cases/<str:reference>/proposals/<int:proposal_id>/vote/", deliberation.case_vote, name="vote"),
    path("cases/<str:reference>/rounds/", deliberation.case_round, name="round"),
    path("cases/<str:reference>/conversations/new/", deliberation.case_conversation, name="conversation"),
    path("cases/<str:reference>/context/", deliberation.case_context, name="context"),
    path("cases/<str:reference>/follow-ups/", deliberation.case_follow_up, name="follow_up"),
    path(
        "cases/<str:reference>/law-enforcement/requested/",
        deliberation.case_law_requested,
        name="law_requested",
    ),
    path("cases/<str:reference>/law-enforcement/", deliberation.case_law_record, name="law_record"),
    path(
        "cases/<str:reference>/rejoin/<int:member_id>/agree/", deliberation.rejoin_agree, name="rejoin_agree"
    ),
    path(
        "cases/<str:reference>/possible/<int:member_id>/clear/",
        deliberation.possible_clear,
        name="possible_clear",
    ),
]

from django.urls import path

from cocdesk.transparency import views

app_name = "transparency"
urlpatterns = [
    # Public (middleware.PUBLIC_REPORT): published reports only; a draft is "not found" here.
    path("transparency/<int:year>/", views.public_report, name="public"),
    path("transparency/<int:year>/report.md", views.public_markdown, name="markdown"),
    path("transparency/<int:year>/report.html", views.public_html, name="html"),
    # Committee members; the chair's drafts.
    path("transparency/", views.reports_index, name="index"),
    path("transparency/new/", views.report_new, name="new"),
    path("transparency/published-elsewhere/", views.report_published_elsewhere, name="published_elsewhere"),
    path("transparency/drafts/<int:year>/", views.report_draft, name="draft"),
    path("transparency/drafts/<int:year>/promotion/", views.report_promotion, name="promotion"),
    path("transparency/drafts/<int:year>/refresh/", views.report_refresh, name="refresh"),
    path("transparency/drafts/<int:year>/ask/", views.report_ask_teams, name="ask"),
    path("transparency/drafts/<int:year>/publish/", views.report_publish, name="publish"),
    # The members taking part in a case.
    path("cases/<str:reference>/category/", views.case_summary, name="case"),
    path("cases/<str:reference>/transparency/<int:year>/", views.case_check, name="case_check"),
    path("statistics/", views.statistics, name="statistics"),
]

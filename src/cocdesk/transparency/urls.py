from django.urls import path

from cocdesk.transparency import views

app_name = "transparency"
urlpatterns = [
    path("transparency/", views.reports_index, name="index"),
    path("transparency/new/", views.report_new, name="new"),
    path("transparency/published-elsewhere/", views.report_published_elsewhere, name="published_elsewhere"),
    path("transparency/<int:year>/", views.report_detail, name="detail"),
    path("transparency/<int:year>/promotion/", views.report_promotion, name="promotion"),
    path("transparency/<int:year>/refresh/", views.report_refresh, name="refresh"),
    path("transparency/<int:year>/publish/", views.report_publish, name="publish"),
    path("transparency/<int:year>/report.md", views.report_markdown, name="markdown"),
    path("transparency/<int:year>/report.html", views.report_html, name="html"),
    path("cases/<str:reference>/category/", views.case_summary, name="case"),
]

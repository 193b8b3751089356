from django.contrib import admin
from django.urls import include, path

from cocdesk import views

admin.site.site_header = "cocdesk technical administration"
admin.site.site_title = "cocdesk admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("dev/mail/", views.dev_mail, name="dev_mail"),  # development only (404 in production)
    path("", include("cocdesk.members.urls")),
    path("", include("cocdesk.intake.urls")),
    path("", include("cocdesk.deadlines.urls")),
    path("", include("cocdesk.cases.urls")),
    path("", include("cocdesk.escrow.urls")),
    path("", include("cocdesk.transparency.urls")),
    path("admin/", admin.site.urls),
]

# Error pages in the app's own look (cocdesk/error_pages.py); 405 through ErrorPagesMiddleware.
handler400 = "cocdesk.error_pages.bad_request"
handler403 = "cocdesk.error_pages.permission_denied"
handler404 = "cocdesk.error_pages.not_found"
handler500 = "cocdesk.error_pages.server_error"

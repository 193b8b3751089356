"""The site's URLs plus one view that fails, to see the 500 page."""

from django.urls import path

from cocdesk.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("canary-500 a bug")


urlpatterns = [path("report/boom/", boom), *urlpatterns]

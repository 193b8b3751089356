"""cocdesk's URLs and `/bench/bare/`: the same middleware, one INSERT, nothing else."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    """What the report form is compared with: a POST through every middleware, one row inserted."""
    if request.method == "POST":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_bare (at) VALUES (now())")
    return HttpResponse("ok")


urlpatterns = [path("bench/bare/", bare), path("", include("cocdesk.urls"))]

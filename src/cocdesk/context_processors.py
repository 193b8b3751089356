from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {"quick_exit_url": settings.QUICK_EXIT_URL}

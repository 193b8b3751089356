from django.conf import settings
from django.http import HttpRequest

from cocdesk import access


def site(request: HttpRequest) -> dict:
    """What every page may show: the quick-exit address, and the menu `access` allows this user."""
    return {"quick_exit_url": settings.QUICK_EXIT_URL, "nav": access.navigation(request.user)}

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest

from cocdesk import access
from cocdesk.keep_typed import kept_context
from cocdesk.middleware import is_public_path


def site(request: HttpRequest) -> dict:
    """What every page may show: the quick-exit address (and whether this is a public page, which
    carries the quick exit), and the menu `access` allows this user."""
    user = getattr(request, "user", None)
    public = is_public_path(request.path) or not getattr(user, "is_authenticated", False)
    try:
        nav = access.navigation(user)
    except DatabaseError:  # an outage: the page that says so still has its menu
        nav = access.navigation(user, database=False)
    return {
        "quick_exit_url": settings.QUICK_EXIT_URL,
        "public_page": public,
        "nav": nav,
        **kept_context(request),
    }

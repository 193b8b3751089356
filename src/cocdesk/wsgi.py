import logging
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cocdesk.settings")
application = get_wsgi_application()

from cocdesk.ops.checks import refuse_unsafe_start  # noqa: E402 - after setup: the check reads models

if settings.PRODUCTION and not settings.REDIS_URL:
    logging.getLogger("cocdesk").warning(
        "REDIS_URL is not set: sessions, rate limits and login lockouts are kept in the database cache. "
        "That works, but Redis takes this load off the database; set COCDESK_REQUIRE_REDIS=1 to refuse "
        "to start without it (docs/operating.md)."
    )
if settings.PRODUCTION:
    # A wrong key or a printing mail backend stops here (after setup: the check reads models).
    refuse_unsafe_start()

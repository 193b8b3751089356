import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cocdesk.settings")
application = get_wsgi_application()

if settings.PRODUCTION:
    # Imported after setup: it reads models. A wrong key or a printing mail backend stops here.
    from cocdesk.ops.checks import refuse_unsafe_start

    refuse_unsafe_start()

"""cocdesk's own settings, plus one bench-only URL: a bare Django view that inserts one row, served
by the same gunicorn, as the yardstick for the report form's throughput."""

from cocdesk.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

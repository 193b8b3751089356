"""The `cocdesk` console command (D11): Django management with cocdesk's settings.

Command names may be written with hyphens (`cocdesk add-member`); they map onto the management
commands of the same name with underscores.

When the database cannot be reached (connection refused, server shutting down, connection lost),
every command stops with one line and exit code 75 (EX_TEMPFAIL: "try again later") instead of a
traceback, so cron, systemd and mail servers retry it.
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line

from cocdesk.errors import DATABASE_UNAVAILABLE, database_unavailable

EX_TEMPFAIL = 75


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cocdesk.settings")
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    try:
        execute_from_command_line(args)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        sys.stderr.write(DATABASE_UNAVAILABLE + "\n")
        sys.exit(EX_TEMPFAIL)


if __name__ == "__main__":
    main()

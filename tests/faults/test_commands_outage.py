"""Commands during a database outage exit 75 with one line, no traceback (issue 11)."""

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from cocdesk import cli

COCDESK = Path(sys.executable).with_name("cocdesk")


def _unavailable(error):
    def refuse(self, *args, **kwargs):
        raise error("connection refused")

    return mock.patch.object(BaseDatabaseWrapper, "ensure_connection", refuse)


@pytest.mark.parametrize(
    "argv",
    [["tick"], ["send-mail"], ["audit", "verify"], ["transparency-report", "--year", "2026"]],
    ids=lambda argv: argv[0],
)
@pytest.mark.parametrize("error", [OperationalError, InterfaceError], ids=lambda e: e.__name__)
def test_a_command_during_an_outage_exits_75_with_one_line(argv, error, capsys):
    with _unavailable(error), pytest.raises(SystemExit) as exited:
        cli.main(["cocdesk", *argv])
    assert exited.value.code == 75
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["cocdesk: database unavailable, try again (exit 75)."]
    assert "Traceback" not in err


@pytest.mark.slow
def test_tick_against_a_database_that_refuses_connections_exits_75():
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/reliability_nowhere?connect_timeout=2",
        "COCDESK_DATA_DIR": os.environ["COCDESK_DATA_DIR"],
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([str(COCDESK), "tick"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 75, done.stderr
    assert done.stderr.strip().splitlines() == ["cocdesk: database unavailable, try again (exit 75)."]

"""`make run` for a newcomer (issue 17): development mail goes to files in the data directory and a
development-only page lists them; `HOST`/`PORT` reach every printed address and email link.
(The default backend itself: tests/test_settings_production.py; the demo's output:
tests/members/test_commands.py.)"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.mail import send_mail
from django.test import Client

from tests.factories import verified_client

ROOT = Path(__file__).resolve().parent.parent
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


@pytest.fixture
def file_mail(settings, tmp_path):
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


@pytest.mark.django_db
def test_the_dev_mail_page_lists_the_mail_written_to_files(alice, file_mail):
    send_mail(
        "canary-subject-2a1 Your report", "canary-body-71c the words", "conduct@localhost", ["r@example.net"]
    )
    page = verified_client(alice).get("/dev/mail/")
    assert page.status_code == 200
    assert "canary-subject-2a1 Your report" in page.text
    assert "canary-body-71c the words" in page.text and "r@example.net" in page.text
    assert str(file_mail) in page.text


@pytest.mark.django_db
def test_the_dev_mail_page_needs_a_committee_login(alice, file_mail):
    response = Client().get("/dev/mail/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_the_dev_mail_page_does_not_exist_in_production(alice, file_mail, settings):
    settings.PRODUCTION = True
    assert verified_client(alice).get("/dev/mail/").status_code == 404


@pytest.mark.django_db
def test_the_dev_mail_page_does_not_exist_when_mail_is_sent(alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert verified_client(alice).get("/dev/mail/").status_code == 404


def _make_run_dry(env_extra: dict, *args: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("COCDESK_BASE_URL", "HOST", "PORT")}
    result = subprocess.run(
        ["make", "-n", "run", *args],
        cwd=ROOT,
        env={**env, **env_extra},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_derives_the_base_url_from_host_and_port():
    out = _make_run_dry({}, "PORT=8101")
    assert 'COCDESK_BASE_URL="http://127.0.0.1:8101"' in out
    assert "--bind 127.0.0.1:8101" in out
    assert "8000" not in out
    # The demo prints the login details right before the quiet tick loop and the server start.
    assert out.index("cocdesk demo") < out.index("cocdesk tick") < out.index("gunicorn")
    assert "--log-level warning" in out


def test_make_run_keeps_a_base_url_that_is_set():
    out = _make_run_dry({"COCDESK_BASE_URL": "https://conduct.example.org"}, "PORT=8101")
    assert 'COCDESK_BASE_URL="https://conduct.example.org"' in out
    assert "--bind 127.0.0.1:8101" in out

"""Production mode: refuses to start without its secrets, and passes `check --deploy` cleanly (D12)."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

PRODUCTION_ENV = {
    "COCDESK_ENV": "production",
    "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
    "COCDESK_FIELD_KEYS": Fernet.generate_key().decode(),
    "COCDESK_AUDIT_KEY": "a" * 64,
    "COCDESK_INDEX_KEY": "b" * 64,
    "ALLOWED_HOSTS": "conduct.example.org",
    "COCDESK_BASE_URL": "https://conduct.example.org",
}


def _cocdesk(args, env, tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COCDESK_", "DJANGO_", "REDIS_"))}
    base.pop("SECRET_KEY", None)
    base.pop("DATABASE_URL", None)  # a database of the test's own: SQLite in its data dir
    full_env = {**base, "COCDESK_DATA_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "cocdesk.cli", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_check_deploy_gives_no_warning_in_production(tmp_path):
    result = _cocdesk(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr.upper()


def test_production_without_its_secrets_refuses_to_start(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "COCDESK_FIELD_KEYS"}
    result = _cocdesk(["check"], env, tmp_path)
    assert result.returncode != 0
    assert "will not start in production without these settings: COCDESK_FIELD_KEYS" in result.stderr
    assert not (tmp_path / "field_keys").exists()  # nothing generated behind the operator's back


@pytest.mark.slow
def test_development_generates_its_keys_into_the_data_dir(tmp_path):
    result = _cocdesk(["check"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("secret_key", "field_keys", "audit_key", "index_key"):
        assert (tmp_path / name).stat().st_mode & 0o077 == 0  # readable by the owner only


def test_production_without_redis_starts_with_a_warning(tmp_path):
    result = _python(["-c", "import cocdesk.wsgi"], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "REDIS_URL is not set" in result.stderr


def test_production_with_redis_starts_without_a_warning(tmp_path):
    env = {**PRODUCTION_ENV, "REDIS_URL": "redis://127.0.0.1:6379/5"}
    result = _python(["-c", "import cocdesk.wsgi"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "REDIS_URL" not in result.stderr


def test_production_refuses_to_start_without_redis_when_the_operator_requires_it(tmp_path):
    result = _cocdesk(["check"], {**PRODUCTION_ENV, "COCDESK_REQUIRE_REDIS": "1"}, tmp_path)
    assert result.returncode != 0
    assert "COCDESK_REQUIRE_REDIS is set but REDIS_URL is not" in result.stderr


@pytest.mark.slow
def test_check_deploy_gives_no_warning_in_production_with_redis(tmp_path):
    env = {**PRODUCTION_ENV, "REDIS_URL": "redis://127.0.0.1:6379/5", "COCDESK_REQUIRE_REDIS": "1"}
    result = _cocdesk(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNING" not in result.stderr.upper()


@pytest.mark.slow
def test_every_secret_may_be_given_as_a_file(tmp_path):
    """docs/operating.md: each NAME may instead be NAME_FILE (systemd credentials, Docker secrets)."""
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    database = tmp_path / "from-a-file.sqlite3"
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{database}"}
    for name in list(env):
        if name != "COCDESK_ENV":
            (secrets_dir / name).write_text(env.pop(name) + "\n")
            env[f"{name}_FILE"] = str(secrets_dir / name)
    data = tmp_path / "data"
    result = _cocdesk(["check", "--deploy", "--fail-level", "WARNING"], env, data)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout
    assert database.exists()  # DATABASE_URL_FILE was read too


def test_a_secret_file_that_cannot_be_read_is_named(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "COCDESK_AUDIT_KEY"}
    env["COCDESK_AUDIT_KEY_FILE"] = str(tmp_path / "missing")
    result = _cocdesk(["check"], env, tmp_path / "data")
    assert result.returncode != 0
    assert "COCDESK_AUDIT_KEY_FILE" in result.stderr


def test_an_existing_data_directory_is_made_private(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    result = _cocdesk(["check"], {}, data)
    assert result.returncode == 0, result.stderr
    assert data.stat().st_mode & 0o777 == 0o700


@pytest.mark.slow
def test_production_refuses_to_print_or_file_its_mail(tmp_path):
    """Issue 16: the console backend printed whole emails, reporter addresses included, from cron."""
    for backend in ("console", "filebased"):
        env = {**PRODUCTION_ENV, "EMAIL_BACKEND": f"django.core.mail.backends.{backend}.EmailBackend"}
        result = _cocdesk(["check", "--deploy"], env, tmp_path / backend)
        assert result.returncode != 0, backend
        assert "EMAIL_BACKEND" in result.stderr
        started = _python(["-c", "import cocdesk.wsgi"], env, tmp_path / backend)
        assert started.returncode != 0, backend
        assert "EMAIL_BACKEND" in started.stderr


def test_development_writes_mail_to_files_in_the_data_directory(tmp_path):
    """Issue 17: `make run` printed about ten demo emails before the login details; development mail
    now goes to files under the data directory (listed on /dev/mail/), never to the terminal."""
    result = _python(
        [
            "-c",
            "from django.conf import settings; import cocdesk.wsgi; "
            "print(settings.EMAIL_BACKEND); print(settings.EMAIL_FILE_PATH)",
        ],
        {"DJANGO_SETTINGS_MODULE": "cocdesk.settings"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.filebased.EmailBackend",
        str(tmp_path / "mail"),
    ]


def _python(args, env, data_dir):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COCDESK_", "DJANGO_", "REDIS_"))}
    base.pop("SECRET_KEY", None)
    base.pop("DATABASE_URL", None)  # a database of the test's own: SQLite in its data dir
    full_env = {
        **base,
        "COCDESK_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "cocdesk.settings",
        **env,
    }
    return subprocess.run([sys.executable, *args], env=full_env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_a_production_start_with_a_key_this_database_was_not_written_with_is_refused(tmp_path):
    """Issue 11: `check --deploy` passed with a wrong audit, index or field key."""
    migrated = _cocdesk(["migrate", "-v", "0"], PRODUCTION_ENV, tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    started = _python(["-c", "import cocdesk.wsgi"], PRODUCTION_ENV, tmp_path)
    assert started.returncode == 0, started.stderr

    wrong = {**PRODUCTION_ENV, "COCDESK_INDEX_KEY": "c" * 64}
    result = _cocdesk(["check", "--deploy"], wrong, tmp_path)
    assert result.returncode != 0
    assert "COCDESK_INDEX_KEY does not match the key this database was written with" in result.stderr
    started = _python(["-c", "import cocdesk.wsgi"], wrong, tmp_path)
    assert started.returncode != 0
    assert "COCDESK_INDEX_KEY does not match the key this database was written with" in started.stderr

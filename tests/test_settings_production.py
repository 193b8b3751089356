"""Production mode: refuses to start without its secrets, and passes `check --deploy` cleanly (D12)."""

import os
import subprocess
import sys

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
    full_env = {**base, "COCDESK_DATA_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "cocdesk.cli", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


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


def test_development_generates_its_keys_into_the_data_dir(tmp_path):
    result = _cocdesk(["check"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("secret_key", "field_keys", "audit_key", "index_key"):
        assert (tmp_path / name).stat().st_mode & 0o077 == 0  # readable by the owner only


def test_production_without_redis_starts_with_a_warning(tmp_path):
    result = _cocdesk_python("import cocdesk.wsgi", PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "REDIS_URL is not set" in result.stderr


def test_production_with_redis_starts_without_a_warning(tmp_path):
    env = {**PRODUCTION_ENV, "REDIS_URL": "redis://127.0.0.1:6379/5"}
    result = _cocdesk_python("import cocdesk.wsgi", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "REDIS_URL" not in result.stderr


def test_production_refuses_to_start_without_redis_when_the_operator_requires_it(tmp_path):
    result = _cocdesk(["check"], {**PRODUCTION_ENV, "COCDESK_REQUIRE_REDIS": "1"}, tmp_path)
    assert result.returncode != 0
    assert "COCDESK_REQUIRE_REDIS is set but REDIS_URL is not" in result.stderr


def test_check_deploy_gives_no_warning_in_production_with_redis(tmp_path):
    env = {**PRODUCTION_ENV, "REDIS_URL": "redis://127.0.0.1:6379/5", "COCDESK_REQUIRE_REDIS": "1"}
    result = _cocdesk(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNING" not in result.stderr.upper()


def _cocdesk_python(code, env, tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COCDESK_", "DJANGO_", "REDIS_"))}
    base.pop("SECRET_KEY", None)
    full_env = {
        **base,
        "COCDESK_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "cocdesk.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=120
    )

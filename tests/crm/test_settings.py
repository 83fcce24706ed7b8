"""The settings module read under different environments, each in a fresh child process.

A child process is the honest way: settings are read once at import, and the
production checks must fail start-up the way a real deployment would.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 10 + "a-long-random-production-secret-key-0123456789-XYZ",
    "ALLOWED_HOSTS": "rapport.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://rapport.example.com",
    "SITE_URL": "https://rapport.example.com",
}
READ = """
import json, crm.settings as s
print(json.dumps({
    "DEBUG": s.DEBUG, "ENGINE": s.DATABASES["default"]["ENGINE"], "DB_NAME": str(s.DATABASES["default"]["NAME"]),
    "BROKER": s.CELERY_BROKER_URL, "RESULTS": s.CELERY_RESULT_BACKEND, "EMAIL_BACKEND": s.EMAIL_BACKEND,
    "DELIVERY": s.OUTBOX_DELIVERY_BACKEND,
    "ANYMAIL": s.ANYMAIL, "ALLOWED_HOSTS": s.ALLOWED_HOSTS, "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE, "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SSL_REDIRECT": s.SECURE_SSL_REDIRECT, "HSTS": s.SECURE_HSTS_SECONDS,
    "TRANSPORT": s.CELERY_BROKER_TRANSPORT_OPTIONS,
}))
"""


def clean_env(**overrides: str) -> dict[str, str]:
    keep = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "SYSTEMROOT"}}
    return {**keep, "RAPPORT_VAR_DIR": str(ROOT / "var"), **overrides}


def read_settings(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=clean_env(**env), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_runs_on_embedded_defaults_with_no_environment():
    settings = read_settings(DEBUG="1")
    assert settings["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["DB_NAME"].endswith("var/rapport.sqlite3")
    assert settings["BROKER"] == "filesystem://"
    assert settings["TRANSPORT"]["data_folder_in"].endswith("var/celery/queue")
    assert settings["RESULTS"] is None
    assert settings["EMAIL_BACKEND"] == "comms.backends.OutboxBackend"
    assert settings["DELIVERY"] == "comms.mailbox.MailboxBackend"
    assert settings["SESSION_COOKIE_SECURE"] is False


def test_it_reads_postgres_redis_and_an_esp_from_the_environment():
    settings = read_settings(
        **PRODUCTION_ENV,
        DATABASE_URL="postgres://rapport:pw@db.internal:5432/rapport",
        REDIS_URL="redis://cache.internal:6379/0",
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        ANYMAIL_POSTMARK_SERVER_TOKEN="server-token",
    )
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["DB_NAME"] == "rapport"
    assert settings["BROKER"] == "redis://cache.internal:6379/0"
    assert settings["RESULTS"] == "redis://cache.internal:6379/0"
    assert settings["TRANSPORT"]["visibility_timeout"] == 3600  # the rest: tests/crm/test_celery_config.py
    assert settings["EMAIL_BACKEND"] == "comms.backends.OutboxBackend"  # Django's own mail joins the outbox too
    assert settings["DELIVERY"] == "anymail.backends.postmark.EmailBackend"
    assert settings["ANYMAIL"] == {"POSTMARK_SERVER_TOKEN": "server-token"}


def test_production_defaults_are_safe():
    settings = read_settings(**PRODUCTION_ENV)
    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["rapport.example.com"]
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["https://rapport.example.com"]
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SSL_REDIRECT"] is True
    assert settings["HSTS"] >= 31_536_000


def test_a_missing_secret_key_in_production_stops_start_up_naming_the_variable():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean_env(DEBUG="0", ALLOWED_HOSTS="rapport.example.com"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_celery_broker_can_be_set_apart_from_redis_url():
    settings = read_settings(DEBUG="1", REDIS_URL="redis://a:6379/0", CELERY_BROKER_URL="redis://b:6379/1")
    assert settings["BROKER"] == "redis://b:6379/1"


def test_check_deploy_is_clean_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean_env(**PRODUCTION_ENV),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("debug", ["1", "0"])
def test_migrations_match_the_models(debug: str):
    env = clean_env(**PRODUCTION_ENV) if debug == "0" else clean_env(DEBUG="1")
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""Settings come from the environment, and production refuses unsafe values with a clear message."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-real-secret-key-that-is-long-and-random-0123456789",
    "ALLOWED_HOSTS": "www.example.org",
}
PRINT_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"),
    "options": db.get("OPTIONS", {}), "email_backend": settings.EMAIL_BACKEND,
    "email_host": settings.EMAIL_HOST, "email_port": settings.EMAIL_PORT,
    "email_use_tls": settings.EMAIL_USE_TLS, "debug": settings.DEBUG,
}))
"""


def load_settings(tmp_path, **environment):
    """Import website.settings in a fresh interpreter with exactly this environment."""
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "website.settings",
            "ENV_FILE": str(empty_env_file),
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("secret_key", [None, "", "change-me-to-a-long-random-string"])
def test_production_refuses_a_missing_or_example_secret_key(tmp_path, secret_key):
    environment = {**PRODUCTION}
    environment.pop("SECRET_KEY")
    if secret_key is not None:
        environment["SECRET_KEY"] = secret_key
    result = load_settings(tmp_path, **environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is missing or still the example value" in result.stderr


def test_production_refuses_empty_allowed_hosts(tmp_path):
    result = load_settings(tmp_path, **{**PRODUCTION, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS is empty" in result.stderr


def test_development_runs_without_configuration_on_sqlite_and_console_email(tmp_path):
    result = load_settings(tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"] == str(BASE_DIR / "var" / "db.sqlite3")
    assert loaded["options"]["transaction_mode"] == "IMMEDIATE"
    assert loaded["email_backend"] == "django.core.mail.backends.console.EmailBackend"


def test_database_url_and_email_url_are_honoured(tmp_path):
    result = load_settings(
        tmp_path,
        **PRODUCTION,
        DATABASE_URL="postgres://theatre:secret@db.example.org:5432/azionelab",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.org:587",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert (loaded["name"], loaded["host"]) == ("azionelab", "db.example.org")
    assert loaded["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (loaded["email_host"], loaded["email_port"]) == ("smtp.example.org", 587)
    assert loaded["email_use_tls"] is True
    assert loaded["debug"] is False


def test_env_example_documents_every_variable_the_settings_read():
    source = (BASE_DIR / "website" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', source))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.M))
    assert read, "no variables found in settings.py"
    assert read - documented == set()

"""Settings for the test suite: the real settings, with test-only values where none is given.

DATABASE_URL is honoured, so `make test` runs on PostgreSQL when it points there.
"""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from website.settings import *  # noqa: F403
from website.settings import DATABASES, STORAGES

# Tests assert on the English source strings; the Italian catalogue has tests of its own.
LANGUAGE_CODE = "en"

# A file, not memory: the concurrency tests' threads need real, separate connections. Beside
# the database file (var/ by default; /tmp in the `test` image, whose var/ is read-only).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    database_file = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": str(database_file.with_name("test-db.sqlite3"))}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# No collectstatic in tests: serve static names as they are.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

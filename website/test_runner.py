"""`manage.py test` runs the project's pytest suite (TEST_RUNNER in settings.py; ADR 0020).

The suite is written for pytest and pytest-django, not for Django's unittest runner. This
runner starts pytest in a fresh interpreter, with the settings `manage.py test` loaded
(tests.settings unless --settings or DJANGO_SETTINGS_MODULE says otherwise): the same run as
`pytest` from the repository root, whose configuration is pyproject.toml's.

Test labels are pytest's: paths and node ids (`tests/booking`, `tests/test_architecture.py`,
`tests/booking/test_api.py::test_name`), not dotted module names.
"""

import importlib.util
import os
import subprocess
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class PytestRunner:
    def __init__(self, verbosity=1, failfast=False, keepdb=False, **kwargs):
        self.verbosity = verbosity
        self.failfast = failfast
        self.keepdb = keepdb

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument(
            "--keepdb",
            action="store_true",
            help="Keep the test database between runs (pytest-django's --reuse-db).",
        )

    def pytest_arguments(self, test_labels):
        arguments = ["--ds", settings.SETTINGS_MODULE]
        if self.verbosity == 0:
            arguments.append("--quiet")
        elif self.verbosity >= 2:
            arguments.append("-" + "v" * (self.verbosity - 1))
        if self.failfast:
            arguments.append("--exitfirst")
        if self.keepdb:
            arguments.append("--reuse-db")
        return [*arguments, *test_labels]

    def run_tests(self, test_labels, **kwargs):
        """pytest's exit status: 0 when every test passed, which `manage.py test` turns into
        its own exit status (1 for anything else)."""
        if importlib.util.find_spec("pytest") is None:
            raise ImproperlyConfigured(
                "pytest is not installed: the test suite runs with requirements-dev.txt, in the "
                "`test` image (BACKEND_TARGET=test) or after `make install-dev`, not in the "
                "production image."
            )
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        command = [sys.executable, "-m", "pytest", *self.pytest_arguments(test_labels)]
        return subprocess.run(command, cwd=settings.BASE_DIR, env=environment).returncode

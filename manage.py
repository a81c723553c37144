#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

if __name__ == "__main__":
    # `manage.py test` runs the pytest suite (website/test_runner.py) with the test settings,
    # as `pytest` does; every other command, the site's.
    is_test = sys.argv[1:2] == ["test"]
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE", "tests.settings" if is_test else "website.settings"
    )

    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

"""The booker's confirm request, timed in process: what the email costs the request.

Books N seats through the public form, gets each link from a real SMTP server on loopback
(tests/faults/smtp.py), then times the confirm POST, as the booker's browser sends it, through
Django's full request handling on PostgreSQL. Runs against any checkout, so the same figures can
be taken before and after a change (docs/performance.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/confirm_latency.py [--code DIR] [--bookings 60]

--code runs another checkout's application code (a `git worktree` of an older commit) with this
script's SMTP server. Mail server modes: "fast" answers at once; "slow" holds each message for
--delay seconds before accepting it, as a loaded relay does.
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--code", type=Path, default=HERE)
    parser.add_argument("--bookings", type=int, default=60)
    parser.add_argument("--mail", choices=["fast", "slow"], default="fast")
    parser.add_argument("--delay", type=float, default=1.0)
    options = parser.parse_args()

    server_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    database = f"azionelab_confirm_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", f"{server_url}/postgres", "-qc", f'CREATE DATABASE "{database}"'])
    os.environ.update(
        DATABASE_URL=f"{server_url}/{database}",
        DJANGO_SETTINGS_MODULE="tests.settings",
        LANGUAGE_CODE="en",
    )
    # This checkout's SMTP server, whichever checkout's application runs.
    spec = importlib.util.spec_from_file_location("smtp", HERE / "tests" / "faults" / "smtp.py")
    smtp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smtp)
    sys.path.insert(0, str(options.code))
    try:
        run(options, smtp.SMTPResponder)
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", f"{server_url}/postgres", "-qc", f'DROP DATABASE "{database}"'])


def run(options, SMTPResponder):
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from booking import emails
    from tests.booking.factories import make_performance
    from tests.website.factories import ensure_home_page, make_show, make_show_index

    call_command("migrate", verbosity=0)
    outbox = hasattr(emails, "queue")
    show = make_show(make_show_index(ensure_home_page()))
    performance = make_performance(show, venue_capacity=options.bookings)

    with SMTPResponder() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_TIMEOUT = 10
        bookers = []
        for number in range(options.bookings):
            client = Client()
            client.post(
                reverse("booking:book", args=[show.pk]),
                {
                    "performance": performance.pk,
                    "name": f"Booker {number}",
                    "email": f"booker{number}@example.org",
                    "seats": 1,
                    "privacy_acknowledged": "on",
                },
                headers={"sec-fetch-site": "same-origin"},
            )
            bookers.append(client)
        if outbox:
            call_command("email_worker", "--batch", verbosity=0)
        links = {
            message.recipients[0]: message.text.split("/b/")[1].split("/")[0]
            for message in server.messages
        }

        if options.mail == "slow":
            server.hold_data = Delay(options.delay)

        timings = []
        for number, client in enumerate(bookers):
            client.get(f"/b/{links[f'booker{number}@example.org']}/")
            started = time.perf_counter()
            response = client.post("/booking/reservation/confirm/")
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 302, response.status_code

    timings.sort()
    print(
        f"confirm POST, {'outbox' if outbox else 'email in the request'}, {options.mail} mail "
        f"server, {len(timings)} bookings: median {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, max {timings[-1]:.1f} ms"
    )


class Delay:
    """A slow relay: it holds each message this long before it says it has taken it."""

    def __init__(self, seconds):
        self.seconds = seconds

    def wait(self, timeout=None):
        time.sleep(self.seconds)

    def set(self):
        pass  # what the server calls on its way out: nothing is held for ever


if __name__ == "__main__":
    main()

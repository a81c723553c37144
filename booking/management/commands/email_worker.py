"""The email worker: the one long-running process besides the web workers (ADR 0013).

A loop of two steps: queue again any email whose task was lost (left running by a worker that
was killed, failed when the database went away), then let django-tasks-db's `db_worker` send
everything due on the "email" task backend, until nothing is due; then wait `--interval`
seconds.
"""

import signal
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from booking import emails


class Command(BaseCommand):
    help = "Send the booking emails queued in the database, with retries, until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between looks at the outbox when nothing is due (default: 1).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Send what is due now, then exit (for a test or a one-off drain).",
        )

    def handle(self, *args, interval, batch, verbosity, **options):
        starting = True
        while True:
            lost = emails.requeue_lost(starting=starting)
            starting = False
            if lost:
                self.stdout.write(f"Queued {lost} email(s) again whose task was lost.")
            # During a pass db_worker handles SIGTERM and SIGINT itself: it finishes the email
            # it is sending, then stops. Its start and end lines, once a pass, would be noise.
            call_command(
                "db_worker",
                "--backend",
                emails.TASK_BACKEND,
                "--batch",
                "--no-reload",
                "--no-startup-delay",
                "--verbosity",
                str(max(0, verbosity - 1)),
            )
            if batch:
                return
            # Between passes nothing is under way: stop at once.
            for stop_signal in (signal.SIGTERM, signal.SIGINT):
                signal.signal(stop_signal, stop)
            time.sleep(interval)


def stop(signum, frame):
    raise SystemExit(0)

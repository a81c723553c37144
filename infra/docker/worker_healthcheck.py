"""Container health check of the email worker: the database answers and the outbox is moving.

The worker serves no port, so the check looks at its work instead: unhealthy while a booking
email has been due for more than OVERDUE minutes and is still waiting. That covers a worker
that is hung, one whose task was lost, and a backlog the mail server cannot keep up with; an
email waiting for its next retry after a failure is not due yet, and does not count.
"""

import datetime
import os
import sys
from pathlib import Path

# Long enough for a burst of bookings and a slow mail server (EMAIL_TIMEOUT per attempt);
# short enough that `docker compose ps` shows a stuck outbox before bookers start calling.
OVERDUE = datetime.timedelta(minutes=5)


def overdue_emails(now):
    """How many booking emails have been due since before `now - OVERDUE` and not left."""
    from django.db.models.functions import Coalesce

    from booking.models import BookingEmail, EmailStatus

    return (
        BookingEmail.objects.filter(status=EmailStatus.QUEUED)
        # A first attempt is due when queued; a retry when record_failure scheduled it.
        .annotate(due_at=Coalesce("next_attempt_at", "created_at"))
        .filter(due_at__lt=now - OVERDUE)
        .count()
    )


def main():
    from django.db import DatabaseError
    from django.utils import timezone

    try:
        overdue = overdue_emails(timezone.now())
    except DatabaseError as error:
        print(f"unhealthy: the database does not answer ({type(error).__name__})")
        return 1
    if overdue:
        minutes = int(OVERDUE.total_seconds() // 60)
        print(f"unhealthy: {overdue} email(s) due for more than {minutes} minutes not sent")
        return 1
    print("healthy: the database answers and no email is overdue")
    return 0


if __name__ == "__main__":
    # Run as a file (`python infra/docker/worker_healthcheck.py`), its folder is on the path
    # and the project is not.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "website.settings")
    import django

    django.setup()
    sys.exit(main())

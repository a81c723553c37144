"""The email worker's container health check (infra/docker/worker_healthcheck.py)."""

import datetime
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from booking import services
from booking.models import BookingEmail, EmailStatus
from infra.docker.worker_healthcheck import OVERDUE, main, overdue_emails
from infra.native_stack import free_port
from tests.booking.factories import make_performance

pytestmark = pytest.mark.django_db


def queued_email():
    """A confirmation link the booking queued and no worker has sent."""
    reservation = services.request_booking(
        make_performance().pk, name="Ada Lovelace", email="ada@example.org", seats=1
    )
    return reservation.emails.get(status=EmailStatus.QUEUED)


def test_an_email_just_queued_is_not_overdue(capsys):
    queued_email()
    assert overdue_emails(timezone.now()) == 0
    assert main() == 0
    assert capsys.readouterr().out.startswith("healthy")


def test_an_email_due_for_longer_than_the_grace_makes_the_worker_unhealthy(capsys):
    email = queued_email()
    now = timezone.now()
    late = now - OVERDUE - datetime.timedelta(minutes=1)
    BookingEmail.objects.filter(pk=email.pk).update(created_at=late)
    assert overdue_emails(now) == 1
    assert main() == 1
    assert "1 email(s) due for more than 5 minutes not sent" in capsys.readouterr().out


def test_a_retry_counts_from_when_it_is_due_not_from_when_the_email_was_queued():
    email = queued_email()
    now = timezone.now()
    long_ago = now - datetime.timedelta(hours=2)
    # After a failed attempt the worker waits for the retry: not late, however old the email.
    BookingEmail.objects.filter(pk=email.pk).update(
        created_at=long_ago, attempts=3, next_attempt_at=now + datetime.timedelta(minutes=4)
    )
    assert overdue_emails(now) == 0
    # The retry's time has passed and the worker has not come back to it.
    BookingEmail.objects.filter(pk=email.pk).update(next_attempt_at=now - OVERDUE * 2)
    assert overdue_emails(now) == 1


@pytest.mark.parametrize("status", [EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.WITHDRAWN])
def test_emails_that_are_done_never_count(status):
    email = queued_email()
    now = timezone.now()
    BookingEmail.objects.filter(pk=email.pk).update(
        status=status,
        created_at=now - datetime.timedelta(days=1),
        sent_at=now if status == EmailStatus.SENT else None,
    )
    assert overdue_emails(now) == 0


def test_the_check_fails_when_the_database_does_not_answer():
    """Run as Docker runs it: a file, from the project's folder, with the production settings."""
    env = {
        "PATH": "/usr/bin:/bin",
        "ENV_FILE": "/dev/null",
        "DEBUG": "false",
        "SECRET_KEY": f"health-check-test-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        "ALLOWED_HOSTS": "localhost",
        # Nothing listens there.
        "DATABASE_URL": f"postgres://azionelab@127.0.0.1:{free_port()}/azionelab",
    }
    result = subprocess.run(
        [sys.executable, "infra/docker/worker_healthcheck.py"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("unhealthy: the database does not answer")

"""The email worker inside a test: send what the outbox holds, and read what it sent."""

import datetime
import re

from django.core import mail
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from booking import emails

LINK_TOKEN = re.compile(r"/b/([A-Za-z0-9_-]{43})/")


def email_worker(max_tasks=None):
    """django-tasks-db's worker on the outbox's backend, as `email_worker` runs it: in batch
    mode, it stops once nothing is due (or after `max_tasks`)."""
    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=emails.TASK_BACKEND,
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=get_random_string(16),
        excluded_queue_names=[],
    )


def make_retries_due():
    """Move the clock of every waiting email task to now: the retries are due."""
    return DBTaskResult.objects.filter(
        backend_name=emails.TASK_BACKEND, status=TaskResultStatus.READY
    ).update(run_after=timezone.now() - datetime.timedelta(seconds=1))


def send_queued_emails():
    """Do what the email worker would do now: run every email task that is due, as
    `db_worker` runs them (claimed, then run), inside the test's transaction. Returns how many
    ran; a task that crashed fails the test with its traceback."""
    worker = email_worker()
    ran = 0
    due = DBTaskResult.objects.ready().filter(backend_name=emails.TASK_BACKEND)
    while True:
        with transaction.atomic():
            task = due.get_locked()
            if task is None:
                return ran
            task.claim(worker.worker_id)
        worker.run_task(task)
        task.refresh_from_db()
        assert task.status != TaskResultStatus.FAILED, task.traceback
        ran += 1


def link_token(message):
    """The booker's link token in an email (confirmation link or ticket)."""
    return LINK_TOKEN.search(message.body).group(1)


def sent_to(address):
    return [message for message in mail.outbox if address in message.to]

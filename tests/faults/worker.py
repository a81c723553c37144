"""The email worker inside a fault test: its loop as it runs, or a fresh start of it.

Both commit for real: use them in `django_db(transaction=True)` tests.
"""

import datetime
import signal
import threading

from django.core.management import call_command
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.compat import DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from booking import emails


def run_worker_loop(max_tasks=None):
    """One pass of the running worker's loop, as `email_worker` makes it: queue again what was
    lost, then django-tasks-db's Worker until no email task is due or after `max_tasks`."""
    emails.requeue_lost()
    Worker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=0,
        batch=True,
        backend_name=emails.TASK_BACKEND,
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=get_random_string(16),
        excluded_queue_names=[],
    ).run()


def start_worker():
    """`manage.py email_worker --batch`: what a (re)started worker does, lost tasks first."""
    assert threading.current_thread() is threading.main_thread()
    # The command installs its graceful-shutdown handlers; give pytest its own back.
    handlers = {number: signal.getsignal(number) for number in WORKER_SIGNALS}
    try:
        call_command("email_worker", "--batch", "--interval", "0", verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


WORKER_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


def make_retries_due():
    """Move the clock of every waiting email task to now: the retries are due."""
    return DBTaskResult.objects.filter(
        backend_name=emails.TASK_BACKEND, status=TaskResultStatus.READY
    ).update(run_after=timezone.now() - datetime.timedelta(seconds=1))


def waiting_tasks(email):
    """The email's tasks not yet run (due or scheduled)."""
    return [
        task
        for task in DBTaskResult.objects.filter(
            backend_name=emails.TASK_BACKEND, status=TaskResultStatus.READY
        )
        if task.args_kwargs["args"] == [email.pk]
    ]

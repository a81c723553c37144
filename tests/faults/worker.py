"""The email worker inside a fault test: its loop as it runs, or a fresh start of it.

Both commit for real: use them in `django_db(transaction=True)` tests.
"""

import signal
import threading

from django.core.management import call_command
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from booking import emails
from tests.booking.mailbox import email_worker


def run_worker_loop(max_tasks=None):
    """One pass of the running worker's loop, as `email_worker` makes it: queue again what was
    lost, then django-tasks-db's Worker until no email task is due or after `max_tasks`."""
    emails.requeue_lost()
    email_worker(max_tasks).run()


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


def waiting_tasks(email):
    """The email's tasks not yet run (due or scheduled)."""
    return [
        task
        for task in DBTaskResult.objects.filter(
            backend_name=emails.TASK_BACKEND, status=TaskResultStatus.READY
        )
        if task.args_kwargs["args"] == [email.pk]
    ]

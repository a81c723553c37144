"""One email, run more than once: two tasks for it, two workers at once, a worker restarted after
it sent. The booker receives one message.

Faults injected: a duplicate task; a second worker started while the first is in the middle
of the send (its requeue_lost takes the first's task for lost); a worker that died after its
send was recorded but before its task was.
"""

import threading

import pytest
from django.db import connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from booking import emails, services
from booking.models import BookingEmail, EmailStatus
from tests.faults.worker import run_worker_loop, start_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def email(performance):
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)
    return BookingEmail.objects.get()


def test_an_email_with_two_tasks_is_sent_once(email, mail_server):
    emails.send_email.enqueue(email.pk)  # a second task for the same email

    run_worker_loop()

    assert len(mail_server.messages) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {
        TaskResultStatus.SUCCESSFUL
    }


def test_a_second_worker_started_while_the_first_sends_does_not_send_again(email, mail_server):
    mail_server.hold_data = threading.Event()

    def first_worker():
        try:
            run_worker_loop(max_tasks=1)
        finally:
            connection.close()

    first = threading.Thread(target=first_worker, daemon=True)
    first.start()
    assert mail_server.data_received.wait(timeout=10)
    # The mail server answers the first worker only once the second is at work.
    threading.Timer(1, mail_server.hold_data.set).start()
    start_worker()  # takes the first worker's running task for lost, and queues it again
    first.join(timeout=10)

    assert not first.is_alive()
    assert len(mail_server.messages) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)
    if connection.vendor == "postgresql":
        # The second worker did queue and run a task of its own for the email. (On SQLite,
        # where writers queue, it can look only once the first worker has finished.)
        assert DBTaskResult.objects.count() == 2


def test_a_worker_restarted_after_it_sent_does_not_send_again(email, mail_server):
    # The worker claimed the task and sent the email, then died before marking the task done.
    DBTaskResult.objects.get().claim("a-worker-that-died")
    assert emails.deliver(email.pk) == EmailStatus.SENT

    start_worker()

    assert len(mail_server.messages) == 1
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED

"""Workers killed mid-job: the email worker in the middle of a send, a web worker in the
middle of a request. Nothing confirmed is lost, and each email reaches the booker once.

Faults injected: SIGKILL of a real `manage.py email_worker` process while the mail server has
it waiting; SystemExit inside a request, which is how gunicorn ends a sync worker that overran
its timeout (SIGABRT), before and after the confirmation's commit.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from booking import emails, services
from booking.models import BookingEmail, EmailKind, EmailStatus, Reservation, ReservationStatus
from tests.booking.mailbox import LINK_TOKEN, link_token
from tests.faults.smtp import HANG, SMTPResponder
from tests.faults.visitor import page
from tests.faults.worker import run_worker_loop

pytestmark = pytest.mark.django_db(transaction=True)

# Room for a worker process to start Django and reach the outbox on a busy machine.
PROCESS_DEADLINE = 20


def database_url():
    """The test database, as the worker process's DATABASE_URL."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    credentials = quote(database["USER"])
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"])
    return (
        f"postgres://{credentials}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
    )


def start_worker_process(smtp_port, log):
    """`manage.py email_worker` as production runs it, on the test database."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        # Longer than the test: the worker waits on a hung mail server until it is killed.
        "EMAIL_TIMEOUT": "60",
        "LOG_LEVEL": "WARNING",
        "ENV_FILE": os.devnull,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "email_worker", "--interval", "0.1"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process, how=signal.SIGTERM):
    if process.poll() is None:
        process.send_signal(how)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def wait_for(condition, what, log_path):
    deadline = time.monotonic() + PROCESS_DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"{what}; worker said:\n{Path(log_path).read_text()}"
        time.sleep(0.1)


def email_status(kind):
    return BookingEmail.objects.get(kind=kind).status


def test_an_email_worker_killed_mid_send_is_restarted_and_sends_the_ticket_once(
    performance, tmp_path
):
    reservation = services.request_booking(
        performance.pk, name="Ada", email="ada@example.org", seats=2
    )
    run_worker_loop()  # the confirmation link leaves (in-memory backend)
    services.confirm(link_token(mail.outbox[0]))
    log_path = tmp_path / "worker.log"

    with open(log_path, "w") as log, SMTPResponder(HANG) as hung:
        worker = start_worker_process(hung.port, log)
        try:
            assert hung.connected.wait(timeout=PROCESS_DEADLINE), log_path.read_text()
        finally:
            stop(worker, signal.SIGKILL)  # in the middle of sending the ticket
    assert email_status(EmailKind.TICKET) == EmailStatus.QUEUED

    with open(log_path, "a") as log, SMTPResponder() as server:
        worker = start_worker_process(server.port, log)
        try:
            wait_for(
                lambda: email_status(EmailKind.TICKET) == EmailStatus.SENT,
                "the restarted worker never sent the ticket",
                log_path,
            )
            time.sleep(0.5)  # a few more rounds of the worker: nothing else leaves
        finally:
            stop(worker)

    assert [message.recipients for message in server.messages] == [["ada@example.org"]]
    assert server.messages[0].message["Subject"].startswith("Your ticket")
    assert hung.messages == []
    reservation.refresh_from_db()
    assert (reservation.status, reservation.seats) == (ReservationStatus.CONFIRMED, 2)
    assert worker.returncode == 0, log_path.read_text()


def test_every_link_the_booker_receives_works_after_a_worker_died_before_recording_its_send(
    performance, tmp_path
):
    """The mail server took the confirmation link, then the worker died before its commit: the
    restarted worker sends it again (the duplicate ADR 0013 accepts, with the same Message-ID,
    so that mail clients fold the two). Whichever copy the booker opens must work; today the
    first copy's link was never recorded, and says "This link is not valid"."""
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)
    log_path = tmp_path / "worker.log"

    with open(log_path, "w") as log, SMTPResponder() as slow:
        slow.hold_data = threading.Event()
        worker = start_worker_process(slow.port, log)
        try:
            assert slow.data_received.wait(timeout=PROCESS_DEADLINE), log_path.read_text()
        finally:
            stop(worker, signal.SIGKILL)  # the server has the message; the worker never hears

    with open(log_path, "a") as log, SMTPResponder() as server:
        worker = start_worker_process(server.port, log)
        try:
            wait_for(
                lambda: email_status(EmailKind.CONFIRMATION_LINK) == EmailStatus.SENT,
                "the restarted worker never sent the link",
                log_path,
            )
        finally:
            stop(worker)

    received = slow.messages + server.messages
    assert len(received) == 2
    assert len({message.message["Message-ID"] for message in received}) == 1
    for message in received:
        token = LINK_TOKEN.search(message.text).group(1)
        assert Reservation.objects.for_link_token(token).exists(), "this copy's link is dead"


def test_a_web_worker_killed_after_the_confirmation_committed_keeps_it_and_emails_once(
    visitor, performance, monkeypatch
):
    visitor.book_and_open_the_link(performance)
    confirm = services.confirm

    def killed_after_the_commit(*args, **kwargs):
        confirm(*args, **kwargs)
        raise SystemExit(1)  # gunicorn's timeout: SIGABRT, then sys.exit in the worker

    monkeypatch.setattr(services, "confirm", killed_after_the_commit)
    with pytest.raises(SystemExit):
        visitor.post("/booking/reservation/confirm/")
    monkeypatch.undo()

    # The visitor never got an answer: they reload, and press the button again.
    ticket = page(visitor.get("/booking/reservation/"))
    assert ticket.select_one(".ticket__qr svg") is not None
    assert visitor.post("/booking/reservation/confirm/").status_code == 302
    run_worker_loop()
    run_worker_loop()

    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED
    tickets = [message for message in mail.outbox if message.subject.startswith("Your ticket")]
    assert len(tickets) == 1
    assert email_status(EmailKind.TICKET) == EmailStatus.SENT


def test_a_web_worker_killed_before_the_confirmation_committed_leaves_it_to_do_again(
    visitor, performance, monkeypatch
):
    visitor.book_and_open_the_link(performance)
    queue = emails.queue

    def killed_before_the_commit(*args, **kwargs):
        queue(*args, **kwargs)
        raise SystemExit(1)

    monkeypatch.setattr(emails, "queue", killed_before_the_commit)
    with pytest.raises(SystemExit):
        visitor.post("/booking/reservation/confirm/")
    monkeypatch.undo()

    assert Reservation.objects.get().status == ReservationStatus.PENDING
    assert not BookingEmail.objects.filter(kind=EmailKind.TICKET).exists()
    # The link still works: the visitor confirms again.
    assert page(visitor.get("/booking/reservation/")).find("button", string="Confirm booking")
    assert visitor.post("/booking/reservation/confirm/").status_code == 302
    run_worker_loop()

    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED
    tickets = [message for message in mail.outbox if message.subject.startswith("Your ticket")]
    assert len(tickets) == 1

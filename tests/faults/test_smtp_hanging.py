"""A mail server that hangs: no page waits for it; the worker gives up after EMAIL_TIMEOUT.

Fault injected: an SMTP server that accepts connections and never answers, while ten
visitors book at once through real HTTP (the live server) and the health check is polled.
"""

import http.client
import threading
import time
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from booking import services
from booking.models import BookingEmail, EmailStatus, Reservation
from tests.faults.worker import run_worker_loop, waiting_tasks

pytestmark = pytest.mark.django_db(transaction=True)

BOOKINGS = 10
# Long, while the visitors book: a request that talked to the mail server would take this long.
REQUEST_PHASE_EMAIL_TIMEOUT = 10


def request(live_server, method, path, data=None):
    """One HTTP request to the live server; (status, Location, seconds it took)."""
    address = urlsplit(live_server.url)
    client = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    body = urlencode(data) if data else None
    headers = {"Sec-Fetch-Site": "same-origin"}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.monotonic()
    try:
        client.request(method, path, body=body, headers=headers)
        response = client.getresponse()
        response.read()
        return response.status, response.getheader("Location"), time.monotonic() - started
    finally:
        client.close()


def booking_data(performance, number):
    return {
        "performance": performance.pk,
        "name": f"Visitor {number}",
        "email": f"visitor{number}@example.org",
        "seats": 1,
        "privacy_acknowledged": "on",
        "website": "",
    }


def in_thread(target, *args):
    """Run `target` in a thread with its own database connection, closed when it ends."""

    def run():
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_ten_bookings_at_once_never_wait_for_a_hung_mail_server(
    live_server, performance, hung_mail_server, settings
):
    settings.EMAIL_TIMEOUT = REQUEST_PHASE_EMAIL_TIMEOUT
    path = reverse("booking:book", args=[performance.show_id])
    start = threading.Barrier(BOOKINGS + 1, timeout=10)
    bookings = [None] * BOOKINGS
    health = []
    booking_done = threading.Event()

    def book(number):
        start.wait()
        bookings[number] = request(live_server, "POST", path, booking_data(performance, number))

    def check_health():
        start.wait()
        while not booking_done.is_set():
            health.append(request(live_server, "GET", "/healthz"))

    visitors = [in_thread(book, number) for number in range(BOOKINGS)]
    health_check = in_thread(check_health)
    for thread in visitors:
        thread.join(timeout=30)
    booking_done.set()
    health_check.join(timeout=30)

    assert [(status, location) for status, location, _seconds in bookings] == [
        (302, "/booking/check-your-email/")
    ] * BOOKINGS
    assert hung_mail_server.connections == 0  # no request talked to the mail server
    assert max(seconds for _status, _location, seconds in bookings) < settings.EMAIL_TIMEOUT
    assert health and {status for status, _location, _seconds in health} == {200}
    assert max(seconds for _status, _location, seconds in health) < settings.EMAIL_TIMEOUT
    assert Reservation.objects.count() == BOOKINGS
    assert BookingEmail.objects.filter(status=EmailStatus.QUEUED).count() == BOOKINGS


def test_the_worker_gives_up_on_a_hung_mail_server_after_email_timeout_and_retries_later(
    live_server, performance, hung_mail_server, settings
):
    settings.EMAIL_TIMEOUT = 2
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)
    email = BookingEmail.objects.get()

    started = time.monotonic()
    worker = in_thread(run_worker_loop, 1)
    assert hung_mail_server.connected.wait(timeout=10)
    # The worker is stuck in the send; the site answers meanwhile.
    status, _location, _seconds = request(live_server, "GET", "/healthz")
    answered_while_stuck = worker.is_alive()
    worker.join(timeout=10)
    stuck_for = time.monotonic() - started

    assert status == 200
    assert answered_while_stuck
    assert not worker.is_alive()
    assert stuck_for >= settings.EMAIL_TIMEOUT
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (
        EmailStatus.QUEUED,
        1,
        # smtplib reports its read timing out as the server disconnecting.
        "SMTPServerDisconnected",
    )
    assert email.next_attempt_at > timezone.now()
    [retry] = waiting_tasks(email)
    assert retry.run_after == email.next_attempt_at


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite (development only) serialises writers: there a worker stuck in a send holds "
    "the write lock, and a booking waits for it, up to EMAIL_TIMEOUT",
)
def test_a_booking_is_not_held_up_by_a_worker_stuck_in_a_send(
    live_server, performance, hung_mail_server, settings
):
    settings.EMAIL_TIMEOUT = 5
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)

    worker = in_thread(run_worker_loop, 1)
    assert hung_mail_server.connected.wait(timeout=10)
    path = reverse("booking:book", args=[performance.show_id])
    status, location, _seconds = request(live_server, "POST", path, booking_data(performance, 1))
    answered_while_stuck = worker.is_alive()
    worker.join(timeout=10)

    assert (status, location) == (302, "/booking/check-your-email/")
    assert answered_while_stuck
    assert Reservation.objects.count() == 2

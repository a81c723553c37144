"""A mail server that refuses connections: bookings go on, the email waits, then leaves once.

Fault injected: the SMTP port is closed (a real TCP port with nothing listening), for three
attempts of the worker; then the mail server is back.
"""

import pytest
from django.utils import timezone

from booking.models import BookingEmail, EmailKind, EmailStatus, Reservation, ReservationStatus
from tests.booking.mailbox import LINK_TOKEN, make_retries_due
from tests.faults.conftest import use_mail_server
from tests.faults.smtp import SMTPResponder, closed_port
from tests.faults.visitor import heading, page
from tests.faults.worker import run_worker_loop, waiting_tasks

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED_ATTEMPTS = 3


def test_bookings_go_on_while_the_mail_server_refuses_and_each_email_leaves_once_it_is_back(
    visitor, performance, settings
):
    settings.BOOKING_MAX_LINKS_SENT = 2
    use_mail_server(settings, closed_port())

    response = visitor.book(performance)

    assert response.status_code == 302
    assert response["Location"] == "/booking/check-your-email/"
    reservation = Reservation.objects.get()
    assert reservation.status == ReservationStatus.PENDING
    email = BookingEmail.objects.get()

    for attempt in range(1, REFUSED_ATTEMPTS + 1):
        run_worker_loop()
        email.refresh_from_db()
        assert (email.status, email.attempts, email.last_error) == (
            EmailStatus.QUEUED,
            attempt,
            "ConnectionRefusedError",
        )
        assert email.next_attempt_at > timezone.now()
        [retry] = waiting_tasks(email)
        assert retry.run_after == email.next_attempt_at
        run_worker_loop()  # the retry is not due yet: nothing happens
        email.refresh_from_db()
        assert email.attempts == attempt
        make_retries_due()

    check_your_email = visitor.get("/booking/check-your-email/")
    assert heading(check_your_email) == "Your email is delayed"
    assert page(check_your_email).find("button", string="Send me a new link")
    # Meanwhile the visitor asks for a new link and submits the form again: still one email.
    visitor.post("/booking/check-your-email/resend/")
    assert visitor.book(performance).status_code == 302
    assert BookingEmail.objects.count() == 1

    with SMTPResponder() as server:
        use_mail_server(settings, server.port)
        run_worker_loop()
        run_worker_loop()  # once more: nothing is left to send

        assert [message.recipients for message in server.messages] == [["ada@example.org"]]
        email.refresh_from_db()
        assert (email.status, email.attempts) == (EmailStatus.SENT, REFUSED_ATTEMPTS + 1)
        reservation.refresh_from_db()
        assert reservation.links_sent == 1  # the refused attempts do not count
        assert heading(visitor.get("/booking/check-your-email/")) == "Check your email"

        # The link that left works.
        token = LINK_TOKEN.search(server.messages[0].text).group(1)
        visitor.get(f"/b/{token}/")
        assert page(visitor.get("/booking/reservation/")).find("button", string="Confirm booking")

        # The visitor is not locked out: a new link is still theirs to ask for, and it leaves.
        response = visitor.post("/booking/check-your-email/resend/")
        assert response.status_code == 302
        run_worker_loop()
        assert len(server.messages) == 2
        assert BookingEmail.objects.filter(kind=EmailKind.CONFIRMATION_LINK).count() == 2
        assert set(BookingEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}
        # Now two links have left: the limit, which counts delivered links, applies.
        assert not page(visitor.get("/booking/check-your-email/")).find(
            "button", string="Send me a new link"
        )
    assert Reservation.objects.count() == 1

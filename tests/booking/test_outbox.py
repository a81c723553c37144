"""The email outbox: queued with the change it reports, sent by the worker, retried, visible.

See booking/emails.py and ADR 0013.
"""

import datetime
import io
import smtplib
import threading
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from wagtail.models import ModelLogEntry

from booking import emails, services
from booking.models import BookingEmail, EmailKind, EmailStatus, Reservation
from tests.booking.factories import book, book_and_confirm, make_performance
from tests.booking.mailbox import link_token, make_retries_due, send_queued_emails
from tests.booking.test_admin import RESERVATIONS, listing_rows
from tests.booking.test_views import valid_data
from tests.staff import staff
from tests.website.factories import ensure_home_page, make_show, make_show_index

pytestmark = pytest.mark.django_db

SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


@pytest.fixture
def performance(home_page):
    return make_performance(venue_capacity=20)


@pytest.fixture
def mail_server_down():
    with mock.patch(SEND, side_effect=smtplib.SMTPServerDisconnected("gone")) as send:
        yield send


def post_booking(client, performance):
    """The booking form, as the browser sends it; the worker does not run."""
    return client.post(
        reverse("booking:book", args=[performance.show.pk]), valid_data(performance), follow=True
    )


def heading(response):
    return BeautifulSoup(response.content, "html.parser").find("h1").get_text(strip=True)


def test_the_email_is_queued_with_the_booking_and_sent_only_by_the_worker(client, performance):
    response = post_booking(client, performance)

    assert heading(response) == "Check your email"
    email = BookingEmail.objects.get()
    assert (email.kind, email.status) == (EmailKind.CONFIRMATION_LINK, EmailStatus.QUEUED)
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY
    assert mail.outbox == []  # the request never talks to the mail server

    assert send_queued_emails() == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(mail.outbox) == 1
    assert heading(client.get("/booking/check-your-email/")) == "Check your email"


def test_a_booking_rolled_back_leaves_no_email_behind(performance):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)
        raise RuntimeError("the transaction fails after the booking")
    assert not Reservation.objects.exists()
    assert not BookingEmail.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_no_raw_token_is_stored_in_the_outbox_or_its_tasks(performance):
    booked = book_and_confirm(performance)
    tokens = [booked.token, link_token(mail.outbox[-1])]
    stored = [str(row) for row in DBTaskResult.objects.values()]
    stored += [str(row) for row in BookingEmail.objects.values()]
    stored += [str(row) for row in Reservation.objects.values()]
    for token in tokens:
        assert not any(token in row for row in stored)


def test_the_link_is_minted_when_the_email_leaves(performance):
    reservation = services.request_booking(
        performance.pk, name="Ada", email="ada@example.org", seats=1
    )
    assert reservation.link_token_hash is None  # nothing to confirm with before it leaves
    send_queued_emails()
    reservation.refresh_from_db()
    assert Reservation.objects.for_link_token(link_token(mail.outbox[0])).get() == reservation


def test_a_failing_mail_server_is_retried_with_backoff_then_shown_as_failed(
    client, performance, settings, mail_server_down
):
    settings.BOOKING_EMAIL_ATTEMPTS = 3
    post_booking(client, performance)

    send_queued_emails()
    email = BookingEmail.objects.get()
    assert (email.status, email.attempts, email.last_error) == (
        EmailStatus.QUEUED,
        1,
        "SMTPServerDisconnected",
    )
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.run_after == email.next_attempt_at
    assert email.next_attempt_at - email.last_attempt_at == datetime.timedelta(minutes=1)
    assert send_queued_emails() == 0  # not due yet
    assert heading(client.get("/booking/check-your-email/")) == "Your email is delayed"

    make_retries_due()
    send_queued_emails()
    email.refresh_from_db()
    assert email.next_attempt_at - email.last_attempt_at == datetime.timedelta(minutes=2)

    make_retries_due()
    send_queued_emails()
    email.refresh_from_db()
    assert (email.status, email.attempts, email.next_attempt_at) == (EmailStatus.FAILED, 3, None)
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    reservation = Reservation.objects.get()
    assert (reservation.links_sent, reservation.link_token_hash) == (0, None)

    page = client.get("/booking/check-your-email/")
    assert heading(page) == "We could not send the email"
    assert BeautifulSoup(page.content, "html.parser").find("button", string="Send me a new link")


def test_failures_never_lock_the_visitor_out(client, performance, settings, mail_server_down):
    settings.BOOKING_MAX_LINKS_SENT = 1
    settings.BOOKING_EMAIL_ATTEMPTS = 1
    post_booking(client, performance)
    send_queued_emails()
    for _attempt in range(3):
        client.post("/booking/check-your-email/resend/")
        send_queued_emails()
    # Resubmitting the same booking during the outage queues a link too.
    post_booking(client, performance)
    send_queued_emails()
    assert BookingEmail.objects.filter(status=EmailStatus.FAILED).count() == 5

    mail_server_down.side_effect = None
    mail_server_down.return_value = 1
    response = client.post("/booking/check-your-email/resend/", follow=True)
    assert "A new link is on its way" in response.content.decode()
    send_queued_emails()
    assert mail_server_down.call_count == 6
    reservation = Reservation.objects.get()
    assert reservation.links_sent == 1
    # The limit counts delivered links: now it applies.
    response = client.post("/booking/check-your-email/resend/", follow=True)
    assert "already sent this link several times" in response.content.decode()


def test_a_recipient_refused_for_good_fails_at_once(performance):
    refused = smtplib.SMTPRecipientsRefused({"ada@example.org": (550, b"No such user")})
    with mock.patch(SEND, side_effect=refused):
        book(performance, email="ada@example.org")
    email = BookingEmail.objects.get()
    assert (email.status, email.attempts, email.last_error) == (
        EmailStatus.FAILED,
        1,
        "SMTPRecipientsRefused",
    )


def test_failures_are_logged_without_the_address(performance, caplog, mail_server_down):
    book(performance, email="ada@example.org")
    assert "Could not send the confirmation_link email" in caplog.text
    assert "ada@example.org" not in caplog.text


def test_delivering_an_email_twice_sends_it_once(performance):
    reservation = services.request_booking(
        performance.pk, name="Ada", email="ada@example.org", seats=1
    )
    email = reservation.emails.get()
    assert emails.deliver(email.pk) == EmailStatus.SENT
    assert emails.deliver(email.pk) == EmailStatus.SENT
    assert len(mail.outbox) == 1


def test_a_task_lost_with_a_killed_worker_is_queued_again_and_sent_once(performance):
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)
    # A worker claimed the task and died before it finished: the task stays "running".
    lost = DBTaskResult.objects.get()
    lost.claim("a-worker-that-died")
    assert send_queued_emails() == 0

    # While the worker runs, a task running for less than a send can take is left alone.
    assert emails.requeue_lost() == 0
    # When a worker starts, one worker working the outbox, that task was its predecessor's.
    assert emails.requeue_lost(starting=True) == 1
    assert emails.requeue_lost(starting=True) == 0  # a task is waiting now: nothing more
    send_queued_emails()
    assert len(mail.outbox) == 1
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED


def test_a_task_running_longer_than_any_send_is_taken_as_lost(performance):
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)
    lost = DBTaskResult.objects.get()
    lost.claim("a-worker-that-hangs-or-died")
    DBTaskResult.objects.filter(pk=lost.pk).update(
        started_at=timezone.now() - emails.longest_send() - datetime.timedelta(seconds=1)
    )
    assert emails.requeue_lost() == 1
    send_queued_emails()
    assert len(mail.outbox) == 1


def test_every_attempt_at_an_email_carries_the_same_link(performance, mail_server_down):
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)
    email = BookingEmail.objects.get()
    links = []
    mail_server_down.side_effect = lambda messages: links.append(link_token(messages[0]))
    emails.deliver(email.pk)  # the server took it; the worker died before recording it
    BookingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.QUEUED, sent_at=None)
    emails.deliver(email.pk)
    assert len(links) == 2 and links[0] == links[1]
    assert Reservation.objects.for_link_token(links[0]).exists()


def test_an_email_overtaken_by_the_booking_is_withdrawn(performance):
    booked = book(performance)
    services.resend_link(booked.reservation.pk)  # queued, not sent yet
    services.confirm(booked.token)  # the first link confirmed meanwhile
    send_queued_emails()
    statuses = dict(
        booked.reservation.emails.filter(status=EmailStatus.WITHDRAWN).values_list("kind", "status")
    )
    assert statuses == {EmailKind.CONFIRMATION_LINK: EmailStatus.WITHDRAWN}
    assert [m.subject.split(":")[0] for m in mail.outbox][-1].startswith("Your ticket")


def test_the_ticket_link_keeps_the_confirmation_link_working(client, performance):
    booked = book_and_confirm(performance)
    ticket_link = link_token(mail.outbox[-1])
    assert ticket_link != booked.token
    for token in (booked.token, ticket_link):
        client.get(f"/b/{token}/")
        page = client.get("/booking/reservation/")
        assert BeautifulSoup(page.content, "html.parser").select_one(".ticket__qr svg")


def test_the_ticket_page_says_whether_its_email_left(client, performance, settings):
    settings.BOOKING_EMAIL_ATTEMPTS = 1
    booked = book(performance)
    client.get(f"/b/{booked.token}/")
    response = client.post("/booking/reservation/confirm/", follow=True)
    page = BeautifulSoup(response.content, "html.parser")
    assert "on its way" in page.select_one(".ticket__email").get_text()
    with mock.patch(SEND, side_effect=smtplib.SMTPServerDisconnected("gone")):
        send_queued_emails()
    page = BeautifulSoup(client.get("/booking/reservation/").content, "html.parser")
    assert page.select_one(".ticket__qr svg") is not None
    assert "We could not email your ticket" in page.select_one(".ticket__email").get_text()


def test_the_box_office_sees_a_failed_email_and_resends_it(client, performance, settings):
    settings.BOOKING_EMAIL_ATTEMPTS = 1
    with mock.patch(SEND, side_effect=smtplib.SMTPServerDisconnected("gone")):
        booked = book(performance)
    user = staff("Box office")
    client.force_login(user)
    [row] = listing_rows(client.get(RESERVATIONS))
    assert row["Last email"] == "Confirmation link: Failed"

    url = reverse("booking_resend_email", args=[booked.reservation.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, follow=True)
    assert "is on its way" in response.content.decode()
    send_queued_emails()
    assert len(mail.outbox) == 1
    entry = ModelLogEntry.objects.get(action=services.RESEND_EMAIL_ACTION)
    assert entry.user == user
    [row] = listing_rows(client.get(RESERVATIONS))
    assert row["Last email"] == "Confirmation link: Sent"


@pytest.mark.django_db(transaction=True)
def test_the_email_worker_command_sends_what_is_due_and_what_a_dead_worker_left():
    # Committed for real (db_worker manages its own connection): the flush between such tests
    # removes what the migrations created, so the site is built again.
    performance = make_performance(make_show(make_show_index(ensure_home_page())))
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)
    DBTaskResult.objects.get().claim("a-worker-that-died")
    services.request_booking(performance.pk, name="Bob", email="bob@example.org", seats=1)

    call_command("email_worker", "--batch", stdout=io.StringIO())

    assert sorted(message.to[0] for message in mail.outbox) == [
        "ada@example.org",
        "bob@example.org",
    ]
    assert set(BookingEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}


def test_an_email_that_cannot_be_built_ends_as_failed_not_stuck(performance, settings, caplog):
    settings.BOOKING_EMAIL_ATTEMPTS = 2
    with mock.patch("booking.emails.render", side_effect=ValueError("a broken template")):
        book(performance)
        make_retries_due()
        send_queued_emails()
    email = BookingEmail.objects.get()
    assert (email.status, email.attempts, email.last_error) == (
        EmailStatus.FAILED,
        2,
        "ValueError",
    )
    assert "could not be built" in caplog.text


@pytest.mark.parametrize("value", ["²", "¹²", "12x", "", ":1"])
def test_a_remembered_booking_is_named_by_ascii_digits_only(client, value):
    from django.core.signing import get_cookie_signer

    from booking.http import COOKIE_SALT, REQUEST_COOKIE

    signer = get_cookie_signer(salt=REQUEST_COOKIE + COOKIE_SALT)
    client.cookies[REQUEST_COOKIE] = signer.sign(value)
    client.cookies[REQUEST_COOKIE]["path"] = "/booking/"
    response = client.get("/booking/check-your-email/")
    assert (response.status_code, response["Location"]) == (302, "/")


def test_a_changed_booking_withdraws_the_link_waiting_to_leave(performance):
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=3)
    send_queued_emails()
    assert list(BookingEmail.objects.order_by("pk").values_list("status", flat=True)) == [
        EmailStatus.WITHDRAWN,
        EmailStatus.SENT,
    ]
    [message] = mail.outbox
    assert "\nSeats: 3\n" in message.body


@pytest.mark.django_db(transaction=True)
def test_a_changed_booking_does_not_wait_for_a_link_being_sent():
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    performance = make_performance(make_show(make_show_index(ensure_home_page())))
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)
    sending, done = threading.Event(), threading.Event()

    def worker_holding_the_row():
        with transaction.atomic():
            BookingEmail.objects.select_for_update().get()
            sending.set()
            done.wait(timeout=30)
        connection.close()

    worker = threading.Thread(target=worker_holding_the_row)
    worker.start()
    try:
        assert sending.wait(timeout=30)
        # Returns at once, although the first link's row is locked by the "worker".
        services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=2)
        statuses = list(BookingEmail.objects.order_by("pk").values_list("status", flat=True))
        assert statuses == [EmailStatus.QUEUED, EmailStatus.QUEUED]
    finally:
        done.set()
        worker.join(timeout=30)


def test_a_new_link_asked_for_after_the_old_one_lapsed_is_valid_from_when_it_leaves(performance):
    booked = book(performance)
    lapsed = timezone.now() - datetime.timedelta(minutes=1)
    Reservation.objects.filter(pk=booked.reservation.pk).update(link_expires_at=lapsed)
    services.resend_link(booked.reservation.pk)
    send_queued_emails()
    assert len(mail.outbox) == 2
    assert services.confirm(link_token(mail.outbox[-1])).status == "confirmed"

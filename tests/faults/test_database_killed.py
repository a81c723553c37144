"""Database connections killed mid-flow: a booking is all there or not there at all, nothing
answers 5xx once committed, and the next request works without a restart.

Faults injected: `pg_terminate_backend` on the connection of the request or the worker, between
requests, before a commit and after one (as a database restart or failover would).
"""

import pytest
from django.contrib import messages
from django.core import mail
from django_tasks.signals import task_finished, task_started
from django_tasks_db.models import DBTaskResult

from booking import emails, services, views
from booking.models import BookingEmail, EmailStatus, Reservation, ReservationStatus
from tests.booking.mailbox import make_retries_due
from tests.faults.database import kill_this_connection, postgresql_only
from tests.faults.visitor import heading, page
from tests.faults.worker import run_worker_loop

pytestmark = [pytest.mark.django_db(transaction=True), postgresql_only]


def test_a_connection_killed_between_requests_is_replaced_by_the_next_request(visitor, performance):
    show_page = performance.show.url
    assert visitor.get(show_page).status_code == 200

    kill_this_connection()
    assert visitor.get(show_page).status_code == 200
    kill_this_connection()
    assert visitor.book(performance).status_code == 302
    kill_this_connection()
    assert heading(visitor.get("/booking/check-your-email/")) == "Check your email"
    assert Reservation.objects.count() == 1


def test_a_connection_killed_before_the_booking_commits_leaves_nothing_and_a_retry_books(
    visitor, performance, monkeypatch
):
    queue = emails.queue

    def killed_after_the_reservation_insert(*args, **kwargs):
        kill_this_connection()
        return queue(*args, **kwargs)

    monkeypatch.setattr(emails, "queue", killed_after_the_reservation_insert)
    response = visitor.book(performance)
    monkeypatch.undo()

    assert response.status_code >= 500
    assert page(response).select_one("main.error-page")
    assert not Reservation.objects.exists()
    assert not BookingEmail.objects.exists()
    assert not DBTaskResult.objects.exists()

    assert visitor.book(performance).status_code == 302
    assert Reservation.objects.get().status == ReservationStatus.PENDING
    assert BookingEmail.objects.get().status == EmailStatus.QUEUED


def test_a_connection_killed_after_the_booking_committed_still_answers_with_the_redirect(
    visitor, performance, monkeypatch
):
    remember_request = views.remember_request

    def killed_after_the_commit(*args, **kwargs):
        kill_this_connection()
        return remember_request(*args, **kwargs)

    monkeypatch.setattr(views, "remember_request", killed_after_the_commit)
    response = visitor.book(performance)
    monkeypatch.undo()

    assert response.status_code == 302
    assert response["Location"] == "/booking/check-your-email/"
    assert heading(visitor.get("/booking/check-your-email/")) == "Check your email"
    assert BookingEmail.objects.get(reservation=Reservation.objects.get()).status == (
        EmailStatus.QUEUED
    )


def test_a_connection_killed_after_the_confirmation_committed_still_shows_the_ticket(
    visitor, performance, monkeypatch
):
    visitor.book_and_open_the_link(performance)
    success = messages.success

    def killed_after_the_commit(*args, **kwargs):
        kill_this_connection()
        return success(*args, **kwargs)

    monkeypatch.setattr(messages, "success", killed_after_the_commit)
    response = visitor.post("/booking/reservation/confirm/")
    monkeypatch.undo()

    assert response.status_code == 302
    ticket = page(visitor.get("/booking/reservation/"))
    assert ticket.select_one(".ticket__qr svg") is not None
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED
    run_worker_loop()
    assert [message.subject.startswith("Your ticket") for message in mail.outbox] == [False, True]


def test_the_worker_carries_on_after_its_connection_is_killed_between_emails(performance):
    for number in range(2):
        services.request_booking(
            performance.pk, name="Ada", email=f"ada{number}@example.org", seats=1
        )

    def killed_after_a_task(**kwargs):
        kill_this_connection()

    task_finished.connect(killed_after_a_task)
    try:
        run_worker_loop()
    finally:
        task_finished.disconnect(killed_after_a_task)

    assert sorted(message.to[0] for message in mail.outbox) == [
        "ada0@example.org",
        "ada1@example.org",
    ]
    assert set(BookingEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}


def test_an_email_whose_worker_lost_the_database_is_sent_without_restarting_the_worker(
    performance,
):
    """The database restarts just as the worker takes an email: the running worker must still
    send it later. (Today the task fails, the email stays queued with no task left, and only
    a worker restart, through requeue_lost, sends it.)"""
    services.request_booking(performance.pk, name="Ada", email="ada@example.org", seats=1)

    def killed_as_the_task_starts(**kwargs):
        kill_this_connection()

    task_started.connect(killed_as_the_task_starts)
    try:
        run_worker_loop()
    finally:
        task_started.disconnect(killed_as_the_task_starts)

    # The same worker, later, when any retry is due.
    make_retries_due()
    run_worker_loop()

    assert BookingEmail.objects.get().status == EmailStatus.SENT, (
        "the email waits, queued with no task left, for the worker to be restarted"
    )
    assert len(mail.outbox) == 1

"""Capacity holds under concurrency: real threads, each with its own database connection.

Runs on the configured database: PostgreSQL in CI (row locks), SQLite locally (IMMEDIATE
transactions). Many requests start at the same instant, released by a barrier.
"""

import datetime
import random
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from booking import services
from booking.models import BookingEmail, EmailKind, Performance, Reservation, ReservationStatus
from tests.booking.factories import book, book_and_confirm, make_performance
from tests.booking.mailbox import link_token, send_queued_emails
from tests.website.factories import ensure_home_page, make_show, make_show_index

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(calls):
    """Run every call in its own thread, all released together; return results or errors."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as error:  # the test inspects every outcome
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def performance():
    show = make_show(make_show_index(ensure_home_page()))
    # 10 seats remain of the room's 25.
    return make_performance(show, venue_capacity=25, manually_occupied_seats=15)


def confirmed_seats(performance):
    return Performance.objects.with_seat_counts().get(pk=performance.pk).confirmed_seats


def test_thirty_confirmations_racing_for_ten_seats_confirm_exactly_ten(performance):
    links = [book(performance, seats=1) for _ in range(30)]

    results = run_at_once([lambda token=link.token: services.confirm(token) for link in links])

    refusals = [result for result in results if isinstance(result, Exception)]
    assert all(isinstance(refusal, services.SoldOut) for refusal in refusals), refusals
    assert len(refusals) == 20
    assert confirmed_seats(performance) == 10
    assert Reservation.objects.filter(status=ReservationStatus.CONFIRMED).count() == 10
    assert Reservation.objects.filter(status=ReservationStatus.EXPIRED).count() == 20


def test_confirmations_of_one_to_four_seats_never_exceed_capacity(performance):
    seats = random.Random(2026).choices([1, 2, 3, 4], k=30)
    links = [book(performance, seats=count) for count in seats]

    results = run_at_once([lambda token=link.token: services.confirm(token) for link in links])

    refused_seats = [
        count for count, result in zip(seats, results, strict=True) if isinstance(result, Exception)
    ]
    assert all(isinstance(result, services.SoldOut | Reservation) for result in results), results
    confirmed = confirmed_seats(performance)
    assert confirmed <= 10
    # Every refusal was right: whatever remained was too little for each refused booking.
    assert 10 - confirmed < min(refused_seats)


def test_a_double_click_creates_one_reservation_and_sends_one_email(performance):
    def submit(number):
        return services.request_booking(
            performance.pk, name="Ada Lovelace", email=f"ada{number}@example.org", seats=1
        )

    # Ten people double-click at the same moment: twenty identical-in-pairs requests.
    results = run_at_once([lambda number=number % 10: submit(number) for number in range(20)])

    assert not [result for result in results if isinstance(result, Exception)], results
    assert Reservation.objects.count() == 10
    for number in range(10):
        pair = {results[number].pk, results[number + 10].pk}
        assert len(pair) == 1
    send_queued_emails()
    assert len(mail.outbox) == 10


def test_bookings_racing_for_the_last_seats_never_book_beyond_what_is_available(performance):
    Performance.objects.filter(pk=performance.pk).update(manually_occupied_seats=24)

    results = run_at_once(
        [
            lambda number=number: services.request_booking(
                performance.pk, name="Racer", email=f"racer{number}@example.org", seats=1
            )
            for number in range(10)
        ]
    )
    # Pending bookings hold no seats, so every request may be accepted; confirming decides.
    assert all(isinstance(result, Reservation) for result in results), results
    send_queued_emails()
    tokens = [link_token(message) for message in mail.outbox]
    confirmations = run_at_once([lambda token=token: services.confirm(token) for token in tokens])
    assert sum(isinstance(result, Reservation) for result in confirmations) == 1
    assert confirmed_seats(performance) == 1


def test_reminder_jobs_running_at_once_remind_each_booking_once(performance):
    booked = [book_and_confirm(performance) for _ in range(6)]
    Performance.objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() + datetime.timedelta(days=3)
    )
    the_day_before = timezone.now() + datetime.timedelta(days=2, hours=4)

    results = run_at_once([lambda: services.queue_reminders(now=the_day_before)] * 8)

    assert not [result for result in results if isinstance(result, Exception)], results
    assert sum(results) == len(booked)
    reminders = BookingEmail.objects.filter(kind=EmailKind.REMINDER)
    assert sorted(reminders.values_list("reservation", flat=True)) == sorted(
        b.reservation.pk for b in booked
    )


@pytest.fixture
def sold_out_with_a_line():
    """Four seats, all confirmed (two bookings of two), and three parties of two in line."""
    show = make_show(make_show_index(ensure_home_page()))
    performance = make_performance(show, venue_capacity=4)
    bookings = []
    for _ in range(2):
        booked = book(performance, seats=2)
        services.confirm(booked.token)
        bookings.append(booked.reservation)
    line = []
    for number in range(3):
        place = services.join_waiting_list(
            performance.pk, name="Grace Hopper", email=f"line{number}@example.org", seats=2
        )
        send_queued_emails()
        services.confirm(link_token(mail.outbox[-1]))
        line.append(place)
    return performance, bookings, line


def held_and_confirmed(performance):
    counted = Performance.objects.with_seat_counts().get(pk=performance.pk)
    return counted.held_seats, counted.confirmed_seats


def test_seats_freed_at_once_are_offered_once(sold_out_with_a_line):
    performance, bookings, _line = sold_out_with_a_line

    results = run_at_once(
        [lambda: services.cancel(bookings[0].pk)]
        + [lambda: services.offer_freed_seats(performance.pk)] * 7
    )

    assert not [result for result in results if isinstance(result, Exception)], results
    offered = Reservation.objects.filter(status=ReservationStatus.OFFERED)
    assert list(offered.values_list("email", flat=True)) == ["line0@example.org"]
    assert held_and_confirmed(performance) == (2, 2)


def test_two_cancellations_at_once_offer_each_seat_once(sold_out_with_a_line):
    performance, bookings, _line = sold_out_with_a_line

    run_at_once([lambda booking=booking: services.cancel(booking.pk) for booking in bookings])

    offered = Reservation.objects.filter(status=ReservationStatus.OFFERED)
    assert sorted(offered.values_list("email", flat=True)) == [
        "line0@example.org",
        "line1@example.org",
    ]
    assert held_and_confirmed(performance) == (4, 0)


def test_an_offer_confirmed_while_the_public_books_never_overbooks(sold_out_with_a_line):
    performance, bookings, _line = sold_out_with_a_line
    services.cancel(bookings[0].pk)
    send_queued_emails()
    offer_link = link_token(mail.outbox[-1])
    # One more seat for the public, racing twenty bookers and the offer's confirmation.
    Performance.objects.filter(pk=performance.pk).update(additional_seats=1)
    public = [book(performance, seats=1) for _ in range(20)]

    results = run_at_once(
        [lambda: services.confirm(offer_link)]
        + [lambda token=booked.token: services.confirm(token) for booked in public]
    )

    assert isinstance(results[0], Reservation) and results[0].status == "confirmed"
    assert sum(isinstance(result, Reservation) for result in results[1:]) == 1
    assert all(isinstance(r, Reservation | services.SoldOut) for r in results), results
    assert held_and_confirmed(performance) == (0, 5)  # capacity 4 + 1, exactly


def test_wheelchair_bookings_racing_for_one_space_confirm_one():
    show = make_show(make_show_index(ensure_home_page()))
    performance = make_performance(show, venue_capacity=50, venue_wheelchair_spaces=1)
    links = [book(performance, seats=1, wheelchair_spaces=1) for _ in range(12)]

    results = run_at_once([lambda token=link.token: services.confirm(token) for link in links])

    assert sum(isinstance(result, Reservation) for result in results) == 1
    assert all(isinstance(r, Reservation | services.SoldOut) for r in results), results
    counted = Performance.objects.with_seat_counts().get(pk=performance.pk)
    assert counted.confirmed_wheelchair_spaces == 1

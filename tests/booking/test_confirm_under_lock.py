"""What the cheaper confirmation path keeps: the link checked under the lock, and seats counted
when each query runs (docs/performance.md)."""

import threading
import time

import pytest
from django.db import connection, transaction

from booking import services
from booking.models import (
    BookingEmail,
    EmailKind,
    Performance,
    Reservation,
    ReservationStatus,
    performances_with_seat_counts,
)
from tests.booking.factories import book, book_and_confirm, make_performance
from tests.website.factories import ensure_home_page, make_show, make_show_index


@pytest.fixture
def performance(db):
    return make_performance(make_show(make_show_index(ensure_home_page())), venue_capacity=10)


def wait_for_a_lock_wait(timeout=10):
    """Until another connection waits for a lock (PostgreSQL's own view of its sessions)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            # Inside a transaction the statistics views are read once: look again.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            time.sleep(0.02)
    raise AssertionError("the confirmation never waited for the performance's lock")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")
def test_a_link_replaced_while_the_confirmation_waits_for_the_lock_confirms_nothing(performance):
    booked = book(performance, seats=2, email="ada@example.org")
    outcome = {}

    def confirm():
        try:
            outcome["result"] = services.confirm(booked.token)
        except services.BookingRefused as refusal:
            outcome["result"] = refusal
        finally:
            connection.close()

    with transaction.atomic():
        Performance.objects.select_for_update().get(pk=performance.pk)
        confirming = threading.Thread(target=confirm)
        confirming.start()
        wait_for_a_lock_wait()
        # The booker asks again with other details: the link that is waiting stops working.
        services.request_booking(
            performance.pk, name="Ada Lovelace", email="ada@example.org", seats=3
        )
    confirming.join(timeout=30)

    assert isinstance(outcome["result"], services.ReservationNotFound)
    reservation = Reservation.objects.get(pk=booked.reservation.pk)
    assert (reservation.status, reservation.seats) == (ReservationStatus.PENDING, 3)
    assert not BookingEmail.objects.filter(kind=EmailKind.TICKET).exists()


@pytest.mark.django_db
def test_seats_are_counted_when_each_query_runs_not_when_the_counting_query_was_built(
    performance,
):
    assert services.performance_with_seat_counts(performance.pk).available_seats == 10
    book_and_confirm(performance, seats=3)
    assert services.performance_with_seat_counts(performance.pk).available_seats == 7
    # The query set built once is only ever cloned: it holds no rows of its own.
    assert performances_with_seat_counts()._result_cache is None

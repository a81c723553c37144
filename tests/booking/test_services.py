"""The reservation lifecycle in booking/services.py: each rule, and what it leaves behind."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from booking import services
from booking.models import (
    EmailKind,
    EmailStatus,
    ExpiryReason,
    Performance,
    Reservation,
    ReservationStatus,
)
from booking.tokens import ticket_token, token_hash
from tests.booking.factories import after_commit, book, book_and_confirm, make_performance
from tests.booking.mailbox import link_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def performance(home_page):
    return make_performance(venue_capacity=10, max_seats_per_booking=4)


def test_request_booking_creates_a_pending_reservation_and_emails_its_link(performance):
    issued = book(performance, seats=2, name="Ada Lovelace", email="ada@example.org")

    reservation = Reservation.objects.get()
    assert reservation.status == ReservationStatus.PENDING
    assert (reservation.name, reservation.email, reservation.seats) == (
        "Ada Lovelace",
        "ada@example.org",
        2,
    )
    assert reservation.link_token_hash == token_hash(issued.token)
    assert reservation.links_sent == 1
    assert reservation.emails.get().status == EmailStatus.SENT
    assert len(mail.outbox) == 1
    assert f"/b/{issued.token}/" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"is_cancelled": True}, services.PerformanceNotBookable),
        ({"is_hidden": True}, services.PerformanceNotBookable),
        ({"starts_at_in": datetime.timedelta(minutes=30)}, services.PerformanceNotBookable),
        ({"starts_at_in": -datetime.timedelta(days=1)}, services.PerformanceNotBookable),
    ],
)
def test_request_booking_refuses_a_performance_that_is_not_bookable(performance, change, error):
    if "starts_at_in" in change:
        change = {"starts_at": timezone.now() + change.pop("starts_at_in")}
    Performance.objects.filter(pk=performance.pk).update(**change)
    with pytest.raises(error):
        book(performance)
    assert not Reservation.objects.exists()
    assert mail.outbox == []


def test_request_booking_refuses_more_seats_than_the_per_booking_limit(performance):
    with pytest.raises(services.TooManySeats, match="At most 4 seats"):
        book(performance, seats=5)
    assert not Reservation.objects.exists()


def test_request_booking_refuses_more_seats_than_available(performance):
    Performance.objects.filter(pk=performance.pk).update(manually_occupied_seats=7)
    with pytest.raises(services.NotEnoughSeats, match="Only 3 seats are left"):
        book(performance, seats=4)
    Performance.objects.filter(pk=performance.pk).update(manually_occupied_seats=10)
    with pytest.raises(services.NotEnoughSeats, match="sold out"):
        book(performance, seats=1)
    assert not Reservation.objects.exists()


def test_request_booking_refuses_an_unknown_performance(db):
    with pytest.raises(services.PerformanceNotBookable):
        services.request_booking(999, name="Ada", email="ada@example.org", seats=1)


def test_repeating_the_same_request_returns_the_pending_booking_without_a_second_email(
    performance,
):
    first = book(performance, seats=2, email="ada@example.org")
    again = book(performance, seats=2, email="ADA@example.org")
    assert again.reservation.pk == first.reservation.pk
    assert again.token is None
    assert Reservation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_changed_request_replaces_the_pending_booking_with_a_fresh_link(performance):
    first = book(performance, seats=2, email="ada@example.org")
    second = book(performance, seats=3, email="ada@example.org")
    reservation = Reservation.objects.get()
    assert reservation.pk == first.reservation.pk
    assert reservation.seats == 3
    assert reservation.link_token_hash == token_hash(second.token)
    with pytest.raises(services.ReservationNotFound):
        services.confirm(first.token)
    assert len(mail.outbox) == 2


def test_confirm_reserves_the_seats_issues_the_ticket_and_emails_it(performance):
    issued = book(performance, seats=3)
    with after_commit():
        reservation = services.confirm(issued.token)

    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.confirmed_at is not None
    assert reservation.ticket_token_hash == token_hash(ticket_token(reservation.ticket_nonce))
    assert Performance.objects.with_seat_counts().get().available_seats == 7
    assert [message.subject for message in mail.outbox][-1].startswith("Your ticket")
    assert reservation.emails.filter(kind=EmailKind.TICKET, status=EmailStatus.SENT).exists()


def test_confirming_twice_is_harmless(performance):
    issued = book_and_confirm(performance, seats=2)
    with after_commit():
        again = services.confirm(issued.token)
    assert again.status == ReservationStatus.CONFIRMED
    assert Performance.objects.with_seat_counts().get().confirmed_seats == 2
    assert len(mail.outbox) == 2  # the link, the ticket: no second ticket


def test_confirm_refuses_when_sold_out_and_marks_the_reservation(performance):
    late = book(performance, seats=3)
    book_and_confirm(performance, seats=4)
    book_and_confirm(performance, seats=4)

    with pytest.raises(services.SoldOut):
        services.confirm(late.token)
    late.reservation.refresh_from_db()
    assert late.reservation.status == ReservationStatus.EXPIRED
    assert late.reservation.expiry_reason == ExpiryReason.SOLD_OUT
    assert Performance.objects.with_seat_counts().get().confirmed_seats == 8


def test_confirm_refuses_an_expired_link_and_marks_the_reservation(performance):
    issued = book(performance)
    later = timezone.now() + datetime.timedelta(hours=25)
    with pytest.raises(services.LinkExpired):
        services.confirm(issued.token, now=later)
    issued.reservation.refresh_from_db()
    assert issued.reservation.status == ReservationStatus.EXPIRED
    assert issued.reservation.expiry_reason == ExpiryReason.LINK_EXPIRED


def test_confirm_refuses_once_booking_has_closed(performance):
    issued = book(performance)
    Performance.objects.filter(pk=performance.pk).update(is_cancelled=True)
    with pytest.raises(services.PerformanceNotBookable):
        services.confirm(issued.token)


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "é" * 43])
def test_confirm_refuses_unknown_or_malformed_tokens(performance, token):
    book(performance)
    with pytest.raises(services.ReservationNotFound):
        services.confirm(token)


def test_cancel_frees_the_seats_at_once_and_emails_the_booker(performance):
    issued = book_and_confirm(performance, seats=4)
    with after_commit():
        services.cancel(issued.reservation.pk)
    issued.reservation.refresh_from_db()
    assert issued.reservation.status == ReservationStatus.CANCELLED
    assert Performance.objects.with_seat_counts().get().available_seats == 10
    assert mail.outbox[-1].subject.startswith("Booking cancelled")
    with pytest.raises(services.ReservationCancelled):
        services.confirm(issued.token)


def test_cancel_is_refused_after_the_performance_started(performance):
    issued = book_and_confirm(performance)
    with pytest.raises(services.CannotCancel):
        services.cancel(issued.reservation.pk, now=performance.starts_at)


def test_expire_pending_marks_only_pending_reservations_with_expired_links(performance):
    stale = book(performance)
    confirmed = book_and_confirm(performance)
    later = timezone.now() + datetime.timedelta(hours=25)
    assert services.expire_pending(now=later) == 1
    assert Reservation.objects.get(pk=stale.reservation.pk).status == ReservationStatus.EXPIRED
    assert Reservation.objects.get(pk=confirmed.reservation.pk).status == "confirmed"


def test_reissue_ticket_replaces_the_link_and_the_qr_code(performance):
    old = book_and_confirm(performance)
    old_ticket_hash = old.reservation.ticket_token_hash
    old_ticket_link = link_token(mail.outbox[-1])
    with after_commit():
        reissued = services.reissue_ticket(old.reservation.pk)
    reissued.refresh_from_db()
    assert reissued.ticket_token_hash != old_ticket_hash
    assert not Reservation.objects.filter(ticket_token_hash=old_ticket_hash).exists()
    for stale in (old.token, old_ticket_link):
        with pytest.raises(services.ReservationNotFound):
            services.confirm(stale)
    assert mail.outbox[-1].subject.startswith("Your ticket")
    new_link = link_token(mail.outbox[-1])
    assert services.confirm(new_link).pk == old.reservation.pk


def test_resend_link_is_limited_per_reservation(performance, settings):
    settings.BOOKING_MAX_LINKS_SENT = 2
    issued = book(performance)
    with after_commit():
        services.resend_link(issued.reservation.pk)
    with pytest.raises(services.ResendLimitReached):
        services.resend_link(issued.reservation.pk)
    assert len(mail.outbox) == 2


def test_erase_personal_data_keeps_seats_and_check_ins_for_statistics(performance):
    issued = book_and_confirm(performance, seats=3)
    pending = book(performance)
    Reservation.objects.filter(pk=issued.reservation.pk).update(checked_in_at=timezone.now())
    later = performance.starts_at + datetime.timedelta(days=31)

    assert services.erase_personal_data(now=later, days=30) == 2
    erased = Reservation.objects.get(pk=issued.reservation.pk)
    assert (erased.name, erased.email, erased.link_token_hash) == ("", "", None)
    assert (erased.seats, erased.status) == (3, ReservationStatus.CONFIRMED)
    assert erased.checked_in_at is not None
    assert Reservation.objects.get(pk=pending.reservation.pk).status == ReservationStatus.EXPIRED
    assert services.erase_personal_data(now=later, days=30) == 0


def test_a_changed_request_counts_against_the_link_limit(performance, settings):
    settings.BOOKING_MAX_LINKS_SENT = 2
    book(performance, seats=1, email="ada@example.org")
    book(performance, seats=2, email="ada@example.org")
    with pytest.raises(services.ResendLimitReached):
        book(performance, seats=3, email="ada@example.org")
    assert Reservation.objects.get().seats == 2
    assert len(mail.outbox) == 2

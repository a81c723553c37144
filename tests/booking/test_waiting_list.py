"""The waiting list: places confirmed by email, offers that hold their seats, never overbooking."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking import services
from booking.models import ExpiryReason, Performance, Reservation, ReservationStatus
from tests.booking.factories import book, book_and_confirm, make_performance
from tests.booking.mailbox import link_token, send_queued_emails

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold_out(home_page):
    """Four seats, all confirmed: two bookings of two."""
    performance = make_performance(venue_capacity=4)
    performance.bookings = [book_and_confirm(performance, seats=2) for _ in range(2)]
    return performance


def join(performance, *, seats=1, email=None, name="Grace Hopper"):
    """A confirmed place in line: asked, then confirmed through its emailed link."""
    email = email or f"waiting{Reservation.objects.count()}@example.org"
    place = services.join_waiting_list(performance.pk, name=name, email=email, seats=seats)
    send_queued_emails()
    services.confirm(link_token(mail.outbox[-1]))
    place.refresh_from_db()
    return place


def seats(performance):
    return Performance.objects.with_seat_counts().get(pk=performance.pk)


def status(place):
    place.refresh_from_db()
    return place.status


def test_a_place_counts_only_once_its_email_link_is_used(sold_out):
    place = services.join_waiting_list(
        sold_out.pk, name="Grace Hopper", email="grace@example.org", seats=2
    )
    assert place.status == ReservationStatus.JOINING
    send_queued_emails()
    message = mail.outbox[-1]
    assert message.to == ["grace@example.org"]

    services.confirm(link_token(message))
    place.refresh_from_db()
    assert place.status == ReservationStatus.WAITING
    assert place.waiting_since is not None
    assert place.position_in_line() == 1
    assert join(sold_out).position_in_line() == 2


def test_nobody_joins_the_line_for_seats_that_can_be_booked(home_page):
    performance = make_performance(venue_capacity=4)
    with pytest.raises(services.SeatsAvailable):
        services.join_waiting_list(performance.pk, name="Ada", email="a@example.org", seats=2)
    assert not Reservation.objects.exists()


def test_an_address_waits_once_per_performance(sold_out):
    join(sold_out, email="grace@example.org")
    with pytest.raises(services.BookingRefused, match="already on the waiting list"):
        services.join_waiting_list(
            sold_out.pk, name="Grace Hopper", email="GRACE@example.org", seats=1
        )


def test_freed_seats_go_to_the_first_in_line_whose_party_fits_and_are_held(sold_out):
    too_big = join(sold_out, seats=3)
    fits = join(sold_out, seats=2)
    after = join(sold_out, seats=2)

    services.cancel(sold_out.bookings[0].reservation.pk)

    assert (status(too_big), status(fits), status(after)) == ("waiting", "offered", "waiting")
    fits.refresh_from_db()
    assert fits.offer_expires_at == fits.offered_at + datetime.timedelta(hours=12)
    counted = seats(sold_out)
    assert (counted.held_seats, counted.available_seats) == (2, 0)
    # The public sees no seat, and cannot book the held ones.
    with pytest.raises(services.NotEnoughSeats):
        services.request_booking(sold_out.pk, name="Eve", email="eve@example.org", seats=1)
    send_queued_emails()
    assert mail.outbox[-1].to == [fits.email]


def test_an_offer_confirmed_becomes_a_booking_within_capacity(sold_out):
    place = join(sold_out, seats=2)
    send_queued_emails()
    services.cancel(sold_out.bookings[0].reservation.pk)
    send_queued_emails()

    booked = services.confirm(link_token(mail.outbox[-1]))

    assert booked.pk == place.pk and booked.status == ReservationStatus.CONFIRMED
    counted = seats(sold_out)
    assert (counted.confirmed_seats, counted.held_seats, counted.capacity) == (4, 0, 4)
    send_queued_emails()
    assert mail.outbox[-1].subject.startswith("Your ticket")


def test_an_unanswered_offer_lapses_and_passes_to_the_next_in_line(sold_out):
    first = join(sold_out, seats=2)
    second = join(sold_out, seats=2)
    services.cancel(sold_out.bookings[0].reservation.pk)
    send_queued_emails()
    first_offer_link = link_token(mail.outbox[-1])
    first.refresh_from_db()

    assert services.lapse_offers(now=first.offer_expires_at) == (1, 1)

    first.refresh_from_db()
    assert (first.status, first.expiry_reason) == ("expired", ExpiryReason.OFFER_LAPSED)
    assert status(second) == ReservationStatus.OFFERED
    with pytest.raises(services.OfferLapsed):
        services.confirm(first_offer_link)


def test_an_offer_answered_too_late_is_refused_even_before_the_job_runs(sold_out):
    place = join(sold_out, seats=2)
    services.cancel(sold_out.bookings[0].reservation.pk)
    send_queued_emails()
    place.refresh_from_db()
    with pytest.raises(services.OfferLapsed):
        services.confirm(link_token(mail.outbox[-1]), now=place.offer_expires_at)
    assert seats(sold_out).confirmed_seats == 2


def test_leaving_with_an_offer_passes_the_seats_on(sold_out):
    first = join(sold_out, seats=2)
    second = join(sold_out, seats=2)
    services.cancel(sold_out.bookings[0].reservation.pk)

    services.cancel(first.pk)

    assert (status(first), status(second)) == ("cancelled", "offered")


def test_added_seats_are_offered_to_the_line_before_anyone_else(sold_out):
    place = join(sold_out, seats=1)
    Performance.objects.filter(pk=sold_out.pk).update(additional_seats=1)
    assert services.offer_freed_seats(sold_out.pk) == [place]
    assert seats(sold_out).available_seats == 0


def test_the_box_office_offers_seats_by_hand_only_when_they_are_free(sold_out):
    from tests.staff import staff

    box_office = staff("Box office")
    place = join(sold_out, seats=1)
    with pytest.raises(services.NotEnoughSeats, match="Only 0 seats are free"):
        services.offer_seats(place.pk, by=box_office)
    Performance.objects.filter(pk=sold_out.pk).update(additional_seats=1)
    assert services.offer_seats(place.pk, by=box_office).status == "offered"


def test_places_in_line_are_erased_with_the_bookings(sold_out):
    place = join(sold_out)
    later = timezone.now() + datetime.timedelta(days=60)
    services.erase_personal_data(now=later)
    place.refresh_from_db()
    assert (place.status, place.name, place.email) == ("expired", "", "")


def test_pending_bookings_stay_outside_the_line(sold_out):
    # A pending booking holds no seat and is no place in line.
    other = make_performance(sold_out.show, venue_capacity=4)
    book(other, seats=2)
    assert services.offer_freed_seats(other.pk) == []


# The show page and the booker's pages.


def page(client, url, **kwargs):
    return BeautifulSoup(client.get(url, **kwargs).content, "html.parser")


def test_a_sold_out_performance_offers_its_waiting_list_on_the_show_page(client, sold_out):
    html = page(client, sold_out.show.url)
    section = html.find(id="waiting-list")
    assert section is not None
    assert section.find("details").has_attr("open")  # nothing else can be booked
    radios = section.select("input[name=waitlist-performance]")
    assert [radio["value"] for radio in radios] == [str(sold_out.pk)]


def test_joining_from_the_show_page_leads_to_check_your_email(client, sold_out):
    response = client.post(
        reverse("booking:join_waiting_list", args=[sold_out.show_id]),
        {
            "waitlist-performance": sold_out.pk,
            "waitlist-name": "Grace Hopper",
            "waitlist-email": "grace@example.org",
            "waitlist-seats": "2",
            "waitlist-privacy_acknowledged": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/booking/check-your-email/"
    text = page(client, response["Location"]).get_text()
    assert "Join the waiting list" in text
    assert Reservation.objects.get(email="grace@example.org").status == "joining"


def test_a_refused_place_shows_the_page_again_with_the_reason(client, home_page):
    performance = make_performance(venue_capacity=4)  # not sold out
    response = client.post(
        reverse("booking:join_waiting_list", args=[performance.show_id]),
        {
            "waitlist-performance": performance.pk,
            "waitlist-name": "Grace Hopper",
            "waitlist-email": "grace@example.org",
            "waitlist-seats": "2",
            "waitlist-privacy_acknowledged": "on",
        },
    )
    assert response.status_code == 200
    assert "Seats are available for this performance" in response.content.decode()
    assert not Reservation.objects.exists()


def test_the_booker_sees_the_place_answers_the_offer_or_leaves(client, sold_out):
    first = join(sold_out, seats=2)
    send_queued_emails()
    waiting_link = link_token(next(m for m in mail.outbox if m.to == [first.email]))
    client.get(f"/b/{waiting_link}/")
    assert "number 1 in line" in page(client, "/booking/reservation/").get_text()

    services.cancel(sold_out.bookings[0].reservation.pk)
    offer = page(client, "/booking/reservation/")
    assert "Seats are free for you" in offer.get_text()

    asked = page(client, "/booking/reservation/cancel/")
    assert "Leave the waiting list?" in asked.get_text()
    client.post("/booking/reservation/cancel/")
    assert status(first) == ReservationStatus.CANCELLED

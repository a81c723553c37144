"""The demo command builds a renderable site, and running it again duplicates nothing."""

from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page

from booking.models import (
    WAITING_LIST_STATUSES,
    BookingEmail,
    Performance,
    Reservation,
    ReservationStatus,
    Venue,
)
from booking.tokens import ticket_token, token_hash
from website.management.commands.load_demo import ADMIN_PASSWORD, ADMIN_USERNAME, STAFF_USERS
from website.models import ShowPage


def snapshot():
    return {
        "pages": sorted(Page.objects.values_list("url_path", flat=True)),
        "images": get_image_model().objects.count(),
        "users": get_user_model().objects.count(),
    }


@pytest.mark.django_db
def test_load_demo_twice_duplicates_nothing_and_every_page_renders(client, capsys):
    call_command("load_demo", force=True)
    first = snapshot()
    call_command("load_demo", force=True)
    assert snapshot() == first

    output = capsys.readouterr().out
    assert f"as “{ADMIN_USERNAME}” with the password “{ADMIN_PASSWORD}”" in output

    assert ShowPage.objects.live().upcoming().count() >= 3
    assert all(show.hero_image_id for show in ShowPage.objects.all())
    for page in Page.objects.live().filter(depth__gt=1):
        assert client.get(page.url).status_code == 200, page.url_path


@pytest.mark.django_db
def test_the_printed_admin_login_works(client):
    call_command("load_demo", force=True, verbosity=0)
    assert client.login(username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_the_demo_box_office_user_reaches_the_performances(client):
    call_command("load_demo", force=True, verbosity=0)
    assert STAFF_USERS["biglietteria"] == "Box office"
    assert client.login(username="biglietteria", password=ADMIN_PASSWORD)
    assert client.get("/admin/snippets/booking/performance/").status_code == 200


@pytest.mark.django_db
def test_load_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="runs only with DEBUG on"):
        call_command("load_demo")
    assert not ShowPage.objects.exists()


@pytest.mark.django_db
def test_booking_adds_the_demo_performances_and_a_second_run_keeps_them(capsys):
    def performances():
        return list(
            Performance.objects.order_by("pk").values_list(
                "pk", "show__slug", "venue__name", "starts_at", "manually_occupied_seats"
            )
        )

    call_command("load_demo", force=True)
    first = performances()
    call_command("load_demo", force=True)
    assert performances() == first
    assert Venue.objects.count() == 2

    upcoming = set(ShowPage.objects.upcoming().values_list("slug", flat=True))
    assert set(Performance.objects.values_list("show__slug", flat=True)) == upcoming
    counted = Performance.objects.with_seat_counts()
    assert any(p.available_seats == 0 and p.confirmed_seats for p in counted)
    assert f"{len(first)} performances" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_demo_sold_out_evening_has_a_waiting_list_added_once_and_without_email(capsys):
    def places():
        return sorted(
            Reservation.objects.filter(status__in=WAITING_LIST_STATUSES).values_list(
                "pk", "performance", "email", "status", "waiting_since"
            )
        )

    call_command("load_demo", force=True)
    first = places()
    call_command("load_demo", force=True)
    assert places() == first

    [performance_id] = {performance for __, performance, *__ in first}
    performance = Performance.objects.with_seat_counts().get(pk=performance_id)
    assert performance.available_seats == 0
    assert performance.confirmed_seats == performance.capacity
    line = list(
        performance.reservations.filter(status__in=WAITING_LIST_STATUSES).order_by("waiting_since")
    )
    assert len(line) == 2
    assert all(place.status == ReservationStatus.WAITING for place in line)
    assert all(place.email.endswith("@example.org") for place in line)
    assert line[0].waiting_since < line[1].waiting_since
    assert not BookingEmail.objects.exists()
    assert capsys.readouterr().out.count(", 2 on a waiting list") == 2


def bookings():
    """What the box office sees of the demo's bookings, by performance and state."""
    return Counter(
        Reservation.objects.exclude(status__in=WAITING_LIST_STATUSES).values_list(
            "performance__show__slug",
            "performance__starts_at",
            "email",
            "seats",
            "wheelchair_spaces",
            "status",
            "checked_in_at",
        )
    )


@pytest.mark.django_db
def test_the_demo_bookings_are_in_every_state_within_capacity_and_added_once(capsys):
    call_command("load_demo", force=True)
    first = bookings()
    call_command("load_demo", force=True)
    assert bookings() == first

    statuses = Counter(status for *__, status, __ in first.elements())
    assert statuses[ReservationStatus.CONFIRMED] >= 60
    assert statuses[ReservationStatus.PENDING] and statuses[ReservationStatus.CANCELLED]
    for performance in Performance.objects.with_seat_counts():
        assert performance.confirmed_seats <= performance.capacity, performance
        assert performance.confirmed_wheelchair_spaces <= performance.wheelchair_capacity
        assert performance.reservations.filter(status=ReservationStatus.CONFIRMED).exists()
    assert Reservation.objects.filter(wheelchair_spaces=1, status=ReservationStatus.CONFIRMED)
    assert {seats for __, __, __, seats, *__ in first} <= set(range(1, 7))

    # Written as the services write them: the door finds each ticket by its token's hash.
    for reservation in Reservation.objects.filter(confirmed_at__isnull=False):
        assert reservation.ticket_token_hash == token_hash(ticket_token(reservation.ticket_nonce))
    assert not Reservation.objects.filter(
        status=ReservationStatus.CONFIRMED, ticket_token_hash=None
    )
    assert not BookingEmail.objects.exists()

    # Invented people only: every address is on a domain reserved for examples.
    domains = {
        email.rsplit("@", 1)[1] for email in Reservation.objects.values_list("email", flat=True)
    }
    assert all(
        domain in ("example.org", "example.com", "example.net") or domain.endswith(".test")
        for domain in domains
    ), domains

    confirmed = statuses[ReservationStatus.CONFIRMED]
    checked_in = Reservation.objects.filter(checked_in_at__isnull=False).count()
    assert (
        capsys.readouterr().out.count(f", {confirmed} confirmed bookings, {checked_in} checked in")
        == 2
    )


@pytest.mark.django_db
def test_tonight_the_door_opens_on_a_performance_with_a_part_of_its_audience_in(client):
    call_command("load_demo", force=True, verbosity=0)
    [tonight] = Performance.objects.filter(starts_at__date=timezone.localdate())
    counters = Reservation.objects.filter(performance=tonight).seat_counts()
    assert 0 < counters["checked_in_seats"] < counters["confirmed_seats"] <= tonight.venue.capacity
    arrived = tonight.reservations.filter(checked_in_at__isnull=False)
    assert all(party.checked_in_at <= timezone.now() for party in arrived)
    assert {party.checked_in_by.username for party in arrived} == {"porta"}
    assert {party.checked_in_door for party in arrived} == {"Ingresso principale"}
    assert STAFF_USERS["porta"] == "Door staff"

    assert client.login(username="porta", password=ADMIN_PASSWORD)
    door = client.get("/admin/checkin/")
    assert door.context["performance"] == tonight
    assert door.context["seat_counts"] == counters


@pytest.mark.django_db
def test_the_next_days_demo_moves_its_bookings_and_leaves_a_visitors():
    call_command("load_demo", force=True, verbosity=0)
    tonight = Performance.objects.get(starts_at__date=timezone.localdate())
    visitor = tonight.reservations.filter(checked_in_at=None).first()
    visitor.email = "visitor@example.net"
    visitor.save()

    tomorrow = timezone.now() + timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=tomorrow):
        call_command("load_demo", force=True, verbosity=0)
        today = timezone.localdate()
    # Yesterday's evening stays for its visitor's booking alone, and the door still opens on
    # the one evening of today.
    assert list(tonight.reservations.all()) == [visitor]
    earlier = Performance.objects.filter(starts_at__date__lt=today)
    assert list(earlier) == [tonight]
    assert Performance.objects.filter(starts_at__date=today).count() == 1
    sold_out = Performance.objects.with_seat_counts().filter(available_seats=0)
    assert len({performance.show_id for performance in sold_out}) == sold_out.count() == 3
    for performance in Performance.objects.with_seat_counts():
        assert performance.confirmed_seats <= performance.capacity, performance
    places = Reservation.objects.filter(status__in=WAITING_LIST_STATUSES)
    assert places.count() == 2
    [line] = {place.performance for place in places}
    assert line in sold_out

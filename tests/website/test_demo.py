"""The demo command builds a renderable site, and running it again duplicates nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from wagtail.images import get_image_model
from wagtail.models import Page

from booking.models import BookingEmail, Performance, Reservation, ReservationStatus, Venue
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
    assert any(p.manually_occupied_seats == p.venue.capacity for p in Performance.objects.all())
    assert f"{len(first)} performances" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_demo_sold_out_evening_has_a_waiting_list_added_once_and_without_email(capsys):
    def places():
        return sorted(
            Reservation.objects.values_list("pk", "performance", "email", "status", "waiting_since")
        )

    call_command("load_demo", force=True)
    first = places()
    call_command("load_demo", force=True)
    assert places() == first

    [performance_id] = {performance for __, performance, *__ in first}
    performance = Performance.objects.with_seat_counts().get(pk=performance_id)
    assert performance.available_seats == 0
    line = list(performance.reservations.order_by("waiting_since"))
    assert len(line) == 2
    assert all(place.status == ReservationStatus.WAITING for place in line)
    assert all(place.email.endswith("@example.org") for place in line)
    assert line[0].waiting_since < line[1].waiting_since
    assert not BookingEmail.objects.exists()
    assert capsys.readouterr().out.count(", 2 on a waiting list") == 2

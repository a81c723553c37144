"""The box office in the Wagtail admin: roles, listings, exports, actions and the audit log."""

import csv
import datetime
import io

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from django.utils import timezone
from wagtail.models import ModelLogEntry

from booking import services
from booking.models import Performance, Reservation, ReservationStatus
from tests.booking.factories import after_commit, book, book_and_confirm, make_performance
from tests.staff import main_menu_names, staff

pytestmark = pytest.mark.django_db

PERFORMANCES = "/admin/snippets/booking/performance/"
RESERVATIONS = "/admin/snippets/booking/reservation/"
VENUES = "/admin/snippets/booking/venue/"


@pytest.fixture
def performance(home_page):
    return make_performance(venue_capacity=20)


def as_user(client, group_name):
    client.force_login(staff(group_name))
    return client


@pytest.mark.parametrize(
    ("group_name", "url", "allowed"),
    [
        ("Box office", PERFORMANCES, True),
        ("Box office", RESERVATIONS, True),
        ("Box office", VENUES, True),
        ("Box office", "/admin/images/", False),
        ("Editors", PERFORMANCES, False),
        ("Editors", RESERVATIONS, False),
        ("Editors", VENUES, False),
        ("Editors", "/admin/images/", True),
        ("Editors", "/admin/documents/", True),
        ("Door staff", PERFORMANCES, False),
        ("Door staff", RESERVATIONS, False),
        ("Door staff", "/admin/images/", False),
    ],
)
def test_each_role_reaches_exactly_its_admin_areas(client, home_page, group_name, url, allowed):
    response = as_user(client, group_name).get(url)
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"] == "/admin/"


@pytest.mark.parametrize(
    ("group_name", "allowed"), [("Editors", True), ("Box office", False), ("Door staff", False)]
)
def test_only_editors_edit_pages(client, home_page, group_name, allowed):
    response = as_user(client, group_name).get(f"/admin/pages/{home_page.pk}/edit/")
    assert (response.status_code == 200) is allowed


@pytest.mark.parametrize(
    ("group_name", "sees_menu"),
    [("Box office", True), ("Editors", False), ("Door staff", False)],
)
def test_only_the_box_office_sees_the_box_office_menu(client, home_page, group_name, sees_menu):
    names = main_menu_names(as_user(client, group_name).get("/admin/"))
    assert ("box-office" in names) is sees_menu


def test_reservations_cannot_be_added_or_deleted_in_the_admin(client, performance):
    issued = book(performance)
    client.force_login(User.objects.create_superuser("root", password="x"))
    assert client.get(RESERVATIONS + "add/").status_code in (302, 403)
    delete = client.get(RESERVATIONS + f"delete/{issued.reservation.pk}/")
    assert delete.status_code in (302, 403)
    assert Reservation.objects.count() == 1


def listing_rows(response):
    page = BeautifulSoup(response.content, "html.parser")
    headers = [th.get_text(" ", strip=True) for th in page.select("table.listing thead th")]
    return [
        dict(
            zip(headers, [td.get_text(" ", strip=True) for td in row.find_all("td")], strict=False)
        )
        for row in page.select("table.listing tbody tr")
    ]


def test_performance_listing_shows_the_computed_seats(client, performance):
    Performance.objects.filter(pk=performance.pk).update(
        additional_seats=5, manually_occupied_seats=3
    )
    book_and_confirm(performance, seats=4)
    book(performance, seats=2)

    rows = listing_rows(as_user(client, "Box office").get(PERFORMANCES))
    assert len(rows) == 1
    row = rows[0]
    assert (row["Room"], row["Added"], row["Occupied"]) == ("20", "5", "3")
    assert (row["Confirmed seats"], row["Available"], row["Status"]) == ("4", "18", "On sale")


def make_rows(count):
    performance = make_performance(venue_capacity=count * 2)
    for _ in range(count):
        book_and_confirm(performance)
    for _ in range(count - 1):
        make_performance(performance.show, venue=performance.venue)
    return performance


# Pinned: the listings read every row with its computed columns in a constant number of queries.
PERFORMANCE_LISTING_QUERIES = 12
RESERVATION_LISTING_QUERIES = 11


@pytest.mark.parametrize("count", [5, 50])
def test_performance_listing_queries_do_not_grow_with_rows(
    client, home_page, django_assert_num_queries, count
):
    make_rows(count)
    client = as_user(client, "Box office")
    client.get(PERFORMANCES)
    with django_assert_num_queries(PERFORMANCE_LISTING_QUERIES):
        assert client.get(PERFORMANCES).status_code == 200


@pytest.mark.parametrize("count", [5, 50])
def test_reservation_listing_queries_do_not_grow_with_rows(
    client, home_page, django_assert_num_queries, count
):
    make_rows(count)
    client = as_user(client, "Box office")
    client.get(RESERVATIONS)
    with django_assert_num_queries(RESERVATION_LISTING_QUERIES):
        assert client.get(RESERVATIONS).status_code == 200


def test_guest_list_exports_one_performance_as_csv_and_xlsx(client, performance):
    other = make_performance(performance.show)
    ada = book_and_confirm(performance, name="Ada Lovelace", email="ada@example.org", seats=2)
    book_and_confirm(other, name="Someone Else")
    Reservation.objects.filter(pk=ada.reservation.pk).update(
        checked_in_at=timezone.now(), checked_in_door="Side door"
    )
    client = as_user(client, "Box office")

    response = client.get(RESERVATIONS, {"performance": performance.pk, "export": "csv"})
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:5] == ["Reference", "Name", "Email", "Seats", "Status"]
    assert [row[:5] for row in rows[1:]] == [
        [ada.reservation.reference, "Ada Lovelace", "ada@example.org", "2", "Confirmed"]
    ]
    # Which door let the party in, for the evening's report.
    assert rows[1][rows[0].index("Door")] == "Side door"

    response = client.get(RESERVATIONS, {"performance": performance.pk, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row][:4] for row in sheet.iter_rows()]
    assert values == [
        ["Reference", "Name", "Email", "Seats"],
        [ada.reservation.reference, "Ada Lovelace", "ada@example.org", 2],
    ]


def test_reservations_filter_by_status_and_check_in_and_search_by_reference(client, performance):
    confirmed = book_and_confirm(performance, name="Ada Lovelace")
    book(performance, name="Grace Hopper")
    Reservation.objects.filter(pk=confirmed.reservation.pk).update(checked_in_at=timezone.now())
    client = as_user(client, "Box office")

    def names(**query):
        return [row["Name"] for row in listing_rows(client.get(RESERVATIONS, query))]

    assert names(status="pending") == ["Grace Hopper"]
    assert names(checked_in="true") == ["Ada Lovelace"]
    assert names(checked_in="false") == ["Grace Hopper"]
    assert names(q=confirmed.reservation.reference) == ["Ada Lovelace"]
    assert names(q="hopper") == ["Grace Hopper"]


def test_cancelling_a_reservation_goes_through_the_service_and_the_audit_log(client, performance):
    issued = book_and_confirm(performance, seats=3)
    user = staff("Box office")
    client.force_login(user)
    url = f"/admin/booking/reservations/{issued.reservation.pk}/cancel/"
    assert client.get(url).status_code == 200
    with after_commit():
        response = client.post(url)
    assert response.status_code == 302
    assert Reservation.objects.get().status == ReservationStatus.CANCELLED
    assert Performance.objects.with_seat_counts().get().available_seats == 20
    assert mail.outbox[-1].subject.startswith("Booking cancelled")
    entry = ModelLogEntry.objects.get(action=services.CANCEL_ACTION)
    assert (entry.user, entry.object_id) == (user, str(issued.reservation.pk))


def test_reissuing_a_ticket_is_logged_and_emails_a_new_ticket(client, performance):
    issued = book_and_confirm(performance)
    old_hash = issued.reservation.ticket_token_hash
    client = as_user(client, "Box office")
    with after_commit():
        client.post(f"/admin/booking/reservations/{issued.reservation.pk}/reissue/")
    assert Reservation.objects.get().ticket_token_hash != old_hash
    assert mail.outbox[-1].subject.startswith("Your ticket")
    assert ModelLogEntry.objects.filter(action=services.REISSUE_ACTION).count() == 1


@pytest.mark.parametrize(("choice", "cancelled"), [("cancel", 2), ("keep", 0)])
def test_cancelling_a_performance_asks_what_to_do_with_its_bookings(
    client, performance, choice, cancelled
):
    book_and_confirm(performance)
    book_and_confirm(performance)
    client = as_user(client, "Box office")
    url = f"/admin/booking/performances/{performance.pk}/cancel/"
    page = BeautifulSoup(client.get(url).content, "html.parser")
    assert len(page.select("input[name=reservations]")) == 2
    with after_commit():
        client.post(url, {"reservations": choice})

    assert Performance.objects.get().is_cancelled
    assert Reservation.objects.filter(status=ReservationStatus.CANCELLED).count() == cancelled
    sent = [m for m in mail.outbox if m.subject.startswith("Performance cancelled")]
    assert len(sent) == cancelled
    entry = ModelLogEntry.objects.get(action=services.CANCEL_PERFORMANCE_ACTION)
    assert entry.data == {"reservations_cancelled": cancelled}


def edit_data(performance, **changes):
    data = {
        "show": performance.show_id,
        "venue": performance.venue_id,
        "starts_at": timezone.localtime(performance.starts_at).strftime("%Y-%m-%d %H:%M"),
        "additional_seats": performance.additional_seats,
        "manually_occupied_seats": performance.manually_occupied_seats,
        "capacity_change_reason": "",
        "booking_cutoff_minutes": performance.booking_cutoff_minutes,
        "max_seats_per_booking": performance.max_seats_per_booking,
    }
    data.update(changes)
    return data


def test_a_capacity_change_needs_a_reason_and_is_logged_with_it(client, performance):
    user = staff("Box office")
    client.force_login(user)
    url = PERFORMANCES + f"edit/{performance.pk}/"

    response = client.post(url, edit_data(performance, additional_seats=10))
    assert "Say why the capacity changes" in response.content.decode()
    assert Performance.objects.get().additional_seats == 0

    response = client.post(
        url, edit_data(performance, additional_seats=10, capacity_change_reason="Extra row")
    )
    assert response.status_code == 302
    assert Performance.objects.with_seat_counts().get().available_seats == 30
    entry = ModelLogEntry.objects.get(action=services.CAPACITY_CHANGE_ACTION)
    assert entry.user == user
    assert entry.data == {"additional_seats": [0, 10], "reason": "Extra row"}
    history = client.get(PERFORMANCES + f"history/{performance.pk}/").content.decode()
    assert "Capacity changed" in history and "Extra row" in history


def test_an_override_below_the_confirmed_seats_needs_an_explicit_confirmation(client, performance):
    book_and_confirm(performance, seats=5)
    client = as_user(client, "Box office")
    url = PERFORMANCES + f"edit/{performance.pk}/"
    data = edit_data(performance, manually_occupied_seats=18, capacity_change_reason="Press")

    response = client.post(url, data)
    page = BeautifulSoup(response.content, "html.parser")
    assert "5 seats are already confirmed, 3 more than this capacity allows" in page.get_text()
    assert Performance.objects.get().manually_occupied_seats == 0

    response = client.post(url, {**data, "confirm_overbooking": "on"})
    assert response.status_code == 302
    performance = Performance.objects.with_seat_counts().get()
    assert (performance.capacity - performance.confirmed_seats, performance.available_seats) == (
        -3,
        0,
    )
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED


def test_a_per_booking_limit_above_the_booking_forms_is_refused(client, performance):
    client = as_user(client, "Box office")
    url = PERFORMANCES + f"edit/{performance.pk}/"

    response = client.post(url, edit_data(performance, max_seats_per_booking=21))
    page = BeautifulSoup(response.content, "html.parser")
    assert "less than or equal to 20" in page.get_text()
    assert Performance.objects.get().max_seats_per_booking == 6

    assert client.post(url, edit_data(performance, max_seats_per_booking=20)).status_code == 302
    assert Performance.objects.get().max_seats_per_booking == 20


def test_the_database_keeps_every_per_booking_limit_within_the_booking_forms(performance):
    from django.db import IntegrityError, transaction

    from booking.models import MAX_SEATS_PER_BOOKING

    with pytest.raises(IntegrityError), transaction.atomic():
        Performance.objects.filter(pk=performance.pk).update(
            max_seats_per_booking=MAX_SEATS_PER_BOOKING + 1
        )


def test_the_dashboard_lists_the_next_performances_for_the_box_office(client, performance):
    book_and_confirm(performance, seats=2)
    page = BeautifulSoup(as_user(client, "Box office").get("/admin/").content, "html.parser")
    panel = page.find(id="upcoming-performances-title").find_parent("section")
    cells = [td.get_text(strip=True) for td in panel.select("tbody td")]
    assert cells[2:5] == ["2", "18", "On sale"]


def test_the_dashboard_panel_is_not_shown_to_editors(client, performance):
    page = BeautifulSoup(as_user(client, "Editors").get("/admin/").content, "html.parser")
    assert page.find(id="upcoming-performances-title") is None


def test_not_even_a_superuser_can_bulk_delete_reservations(client, performance):
    issued = book(performance)
    client.force_login(User.objects.create_superuser("root", password="x"))
    url = f"/admin/bulk/booking/reservation/delete/?id={issued.reservation.pk}"
    client.post(url)
    assert Reservation.objects.count() == 1


def test_a_performance_cannot_be_cancelled_twice(client, performance):
    book_and_confirm(performance)
    client = as_user(client, "Box office")
    url = f"/admin/booking/performances/{performance.pk}/cancel/"
    client.post(url, {"reservations": "keep"})
    response = client.post(url, {"reservations": "cancel"}, follow=True)
    assert "already cancelled" in response.content.decode()
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED
    assert ModelLogEntry.objects.filter(action=services.CANCEL_PERFORMANCE_ACTION).count() == 1


def test_editing_a_reservation_saves_only_the_corrected_fields(client, performance):
    issued = book_and_confirm(performance, name="Ada Lovelac")
    client = as_user(client, "Box office")
    url = RESERVATIONS + f"edit/{issued.reservation.pk}/"
    # The form was opened before the booker cancelled; saving it must not undo the cancel.
    services.cancel(issued.reservation.pk)
    client.post(url, {"name": "Ada Lovelace", "email": issued.reservation.email})
    reservation = Reservation.objects.get()
    assert (reservation.name, reservation.status) == ("Ada Lovelace", ReservationStatus.CANCELLED)


def test_a_corrected_name_is_held_to_the_booking_forms_rules(client, performance):
    booked = book_and_confirm(performance, name="Ada Lovelac")
    url = RESERVATIONS + f"edit/{booked.reservation.pk}/"
    client = as_user(client, "Box office")
    response = client.post(url, {"name": "\u200b\u202e", "email": booked.reservation.email})
    assert Reservation.objects.get().name == "Ada Lovelac"
    assert "This field is required." in response.content.decode()

    client.post(url, {"name": "Ada\u200d  Lovelace\u202e", "email": booked.reservation.email})
    assert Reservation.objects.get().name == "Ada Lovelace"


def test_editors_publish_directly_without_the_moderators_workflow(db):
    from wagtail.models import Workflow

    assert not Group.objects.filter(name="Moderators").exists()
    assert not Workflow.objects.filter(active=True).exists()


def listing_row(client, performance):
    page = BeautifulSoup(client.get(PERFORMANCES).content, "html.parser")
    checkbox = page.select_one(f"table.listing input[data-object-id='{performance.pk}']")
    return checkbox.find_parent("tr")


def cancel_links(element, performance):
    return element.select(f"a[href='/admin/booking/performances/{performance.pk}/cancel/']")


def test_the_listing_shows_the_show_then_its_date_once_in_the_local_format(
    client, performance, settings
):
    settings.TIME_ZONE = "Europe/Rome"
    Performance.objects.filter(pk=performance.pk).update(
        starts_at=datetime.datetime(2030, 1, 15, 19, 30, tzinfo=datetime.UTC)
    )
    client = as_user(client, "Box office")

    [row] = listing_rows(client.get(PERFORMANCES))
    assert row["Show"].startswith(performance.show.title)
    assert row["Starts"] == "Tue 15 Jan 2030, 20:30"
    cells = listing_row(client, performance).get_text(" ", strip=True)
    assert cells.count("2030") == 1
    title_link = listing_row(client, performance).select_one("td.title a")
    assert title_link["href"] == f"{PERFORMANCES}edit/{performance.pk}/"
    assert title_link.get_text(strip=True) == performance.show.title


def test_the_listing_is_in_date_order(client, performance):
    earlier = make_performance(days_from_now=2)
    rows = listing_rows(as_user(client, "Box office").get(PERFORMANCES))
    assert [row["Show"].split(" Edit")[0] for row in rows] == [
        earlier.show.title,
        performance.show.title,
    ]


def test_cancel_performance_is_only_in_the_rows_more_menu(client, performance):
    row = listing_row(as_user(client, "Box office"), performance)
    [link] = cancel_links(row, performance)
    assert link.find_parent(attrs={"data-w-dropdown-target": "content"}) is not None
    primary = row.select("ul.actions > li > a")
    assert not [a for a in primary if "Cancel performance" in a.get_text()]


def test_cancel_performance_is_in_the_edit_views_more_actions(client, performance):
    response = as_user(client, "Box office").get(f"{PERFORMANCES}edit/{performance.pk}/")
    page = BeautifulSoup(response.content, "html.parser")
    header_menu = page.select_one("#w-slim-header-buttons [data-w-dropdown-target=content]")
    assert len(cancel_links(header_menu, performance)) == 1
    assert len(cancel_links(page, performance)) == 1


def test_a_cancelled_performance_offers_no_cancel(client, performance):
    Performance.objects.filter(pk=performance.pk).update(is_cancelled=True)
    client = as_user(client, "Box office")
    assert not cancel_links(listing_row(client, performance), performance)
    edit = BeautifulSoup(client.get(f"{PERFORMANCES}edit/{performance.pk}/").content, "html.parser")
    assert not cancel_links(edit, performance)


def test_whoever_may_not_change_performances_is_offered_no_cancel(client, performance):
    viewer = staff("nobody")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_performance"),
    )
    client.force_login(viewer)
    assert not cancel_links(listing_row(client, performance), performance)


def test_the_performance_export_gives_starts_in_the_local_time_zone(client, performance, settings):
    settings.TIME_ZONE = "Europe/Rome"
    Performance.objects.filter(pk=performance.pk).update(
        starts_at=datetime.datetime(2030, 1, 15, 19, 30, 12, tzinfo=datetime.UTC)
    )
    client = as_user(client, "Box office")

    response = client.get(PERFORMANCES, {"export": "csv"})
    [row] = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert row["Show"] == performance.show.title
    assert row["Starts at"] == "2030-01-15 20:30"
    assert (row["Confirmed seats"], row["Available"]) == ("0", "20")

    response = client.get(PERFORMANCES, {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    headings, values = (list(row) for row in sheet.iter_rows(values_only=True))
    assert dict(zip(headings, values, strict=True))["Starts at"] == datetime.datetime(
        2030, 1, 15, 20, 30
    )

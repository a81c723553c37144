"""The waiting list in the box office: the listing, its export, "Offer seats", and the seats
the performance editor adds going to the line first."""

import csv
import io
import itertools
import json

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.core import mail
from wagtail.models import ModelLogEntry

from booking import services
from booking.models import Performance, Reservation, ReservationStatus
from tests.booking.factories import after_commit, book_and_confirm, make_performance
from tests.booking.mailbox import link_token, send_queued_emails
from tests.booking.test_admin import edit_data, listing_rows
from tests.staff import staff

pytestmark = pytest.mark.django_db

WAITING_LIST = "/admin/snippets/booking/waitinglistplace/"
PERFORMANCES = "/admin/snippets/booking/performance/"
RESERVATIONS = "/admin/snippets/booking/reservation/"

_sequence = itertools.count(1)


def sold_out(show=None):
    """A performance whose two seats are booked: a request now joins its waiting list."""
    performance = make_performance(show, venue_capacity=2)
    book_and_confirm(performance, seats=2)
    return performance


def join(performance, *, seats=1, name="Grace Hopper", confirm=True):
    """A place on the waiting list through the service; in line once its emailed link is used
    (with `confirm`), still joining otherwise."""
    already_sent = len(mail.outbox)
    place = services.join_waiting_list(
        performance.pk, name=name, email=f"waiting{next(_sequence)}@example.org", seats=seats
    )
    send_queued_emails()
    if confirm:
        services.confirm(link_token(mail.outbox[already_sent:][-1]))
        send_queued_emails()
    place.refresh_from_db()
    return place


def add_seats(performance, seats):
    """Seats added behind the services' back: free, and offered to nobody yet."""
    Performance.objects.filter(pk=performance.pk).update(additional_seats=seats)


@pytest.fixture
def performance(home_page):
    return sold_out()


@pytest.fixture
def box_office(client):
    client.force_login(staff("Box office"))
    return client


def menu_items(response, menu_name):
    props = BeautifulSoup(response.content, "html.parser").find(id="wagtail-sidebar-props")
    modules = json.loads(props.string)["modules"]
    menu = next(m for m in modules if m["_type"] == "wagtail.sidebar.MainMenuModule")
    submenu = next(item for item in menu["_args"][0] if item["_args"][0]["name"] == menu_name)
    return [item["_args"][0]["name"] for item in submenu["_args"][1]]


def test_the_waiting_list_is_in_the_box_office_menu_after_reservations(box_office, home_page):
    names = menu_items(box_office.get("/admin/"), "box-office")
    assert names.index("waiting-list") == names.index("reservations") + 1


@pytest.mark.parametrize("group_name", ["Door staff", "Editors"])
def test_door_staff_and_editors_cannot_reach_the_waiting_list(client, performance, group_name):
    place = join(performance)
    client.force_login(staff(group_name))
    for url in (WAITING_LIST, f"/admin/booking/waiting-list/{place.pk}/offer/"):
        response = client.get(url)
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"] == "/admin/"
    add_seats(performance, 1)
    client.post(f"/admin/booking/waiting-list/{place.pk}/offer/")
    assert Reservation.objects.get(pk=place.pk).status == ReservationStatus.WAITING


def test_places_cannot_be_added_edited_or_deleted_not_even_by_a_superuser(client, performance):
    place = join(performance)
    client.force_login(User.objects.create_superuser("root", password="x"))
    assert client.get(WAITING_LIST).status_code == 200
    for url in ("add/", f"edit/{place.pk}/", f"delete/{place.pk}/"):
        assert client.get(WAITING_LIST + url).status_code in (302, 403)
    client.post(WAITING_LIST + f"delete/{place.pk}/")
    client.post(f"/admin/bulk/booking/waitinglistplace/delete/?id={place.pk}")
    assert Reservation.objects.filter(pk=place.pk).exists()


def test_the_listing_shows_one_performances_line_in_order(box_office, performance):
    ada = join(performance, name="Ada Lovelace", seats=2)
    grace = join(performance, name="Grace Hopper")
    join(performance, name="Hedy Lamarr", seats=3, confirm=False)
    join(sold_out(performance.show), name="Someone Else")

    rows = listing_rows(box_office.get(WAITING_LIST, {"performance": performance.pk}))
    assert [(r["Name"], r["Position"], r["Seats"], r["Status"]) for r in rows] == [
        ("Ada Lovelace", "1", "2", "On the waiting list"),
        ("Grace Hopper", "2", "1", "On the waiting list"),
        ("Hedy Lamarr", "—", "3", "Joining the waiting list"),
    ]
    assert rows[0]["Reference"].startswith(ada.reference)
    assert rows[1]["Email"] == grace.email
    assert rows[0]["On the waiting list since"] and not rows[2]["On the waiting list since"]

    # Ada is offered the two seats freed: she is out of the line, Grace is next.
    add_seats(performance, 2)
    services.offer_freed_seats(performance.pk)
    rows = listing_rows(box_office.get(WAITING_LIST, {"performance": performance.pk}))
    assert [(r["Name"], r["Position"]) for r in rows] == [
        ("Ada Lovelace", "—"),
        ("Grace Hopper", "1"),
        ("Hedy Lamarr", "—"),
    ]
    assert rows[0]["Status"].startswith("Seats offered until ")

    # Every performance's line, each from 1.
    rows = listing_rows(box_office.get(WAITING_LIST))
    assert [(r["Name"], r["Position"]) for r in rows][-1] == ("Someone Else", "1")


def test_a_search_keeps_each_places_position_in_line(box_office, performance):
    join(performance, name="Ada Lovelace")
    grace = join(performance, name="Grace Hopper")

    def found(query):
        return [
            (r["Name"], r["Position"]) for r in listing_rows(box_office.get(WAITING_LIST, query))
        ]

    assert found({"q": "hopper"}) == [("Grace Hopper", "2")]
    assert found({"q": grace.reference}) == [("Grace Hopper", "2")]
    assert found({"q": grace.email}) == [("Grace Hopper", "2")]
    assert found({"status": ReservationStatus.WAITING, "q": "grace"}) == [("Grace Hopper", "2")]


def test_the_listing_leaves_out_bookings_and_places_that_moved_on(box_office, performance):
    left = join(performance, name="Ada Lovelace")
    services.cancel(left.pk)
    join(performance, name="Grace Hopper")
    rows = listing_rows(box_office.get(WAITING_LIST))
    assert [(r["Name"], r["Position"]) for r in rows] == [("Grace Hopper", "1")]


def test_the_waiting_list_of_one_performance_exports_as_csv_and_xlsx(box_office, performance):
    ada = join(performance, name="Ada Lovelace", seats=2)
    joining = join(performance, name="Hedy Lamarr", confirm=False)
    join(sold_out(performance.show), name="Someone Else")

    query = {"performance": performance.pk}
    response = box_office.get(WAITING_LIST, {**query, "export": "csv"})
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:6] == ["Reference", "Position", "Name", "Email", "Seats", "Status"]
    assert [row[:6] for row in rows[1:]] == [
        [ada.reference, "1", "Ada Lovelace", ada.email, "2", "On the waiting list"],
        [joining.reference, "", "Hedy Lamarr", joining.email, "1", "Joining the waiting list"],
    ]
    assert response["Content-Disposition"] == 'attachment; filename="waiting-list.csv"'

    response = box_office.get(WAITING_LIST, {**query, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row][:5] for row in sheet.iter_rows()]
    assert values == [
        ["Reference", "Position", "Name", "Email", "Seats"],
        [ada.reference, 1, "Ada Lovelace", ada.email, 2],
        [joining.reference, None, "Hedy Lamarr", joining.email, 1],
    ]


def offer_url(place):
    return f"/admin/booking/waiting-list/{place.pk}/offer/"


def test_offer_seats_is_on_the_row_menu_of_places_in_line_only(box_office, performance):
    waiting = join(performance)
    joining = join(performance, confirm=False)
    page = box_office.get(WAITING_LIST).content.decode()
    assert offer_url(waiting) in page
    assert offer_url(joining) not in page


def test_offering_seats_holds_them_emails_the_place_and_is_logged(client, performance):
    join(performance, name="Ada Lovelace")
    grace = join(performance, name="Grace Hopper", seats=2)
    add_seats(performance, 2)
    user = staff("Box office")
    client.force_login(user)

    page = BeautifulSoup(client.get(offer_url(grace)).content, "html.parser").get_text(" ")
    assert "The 2 seats Grace Hopper asked for" in page
    assert "Seats free now: 2." in page

    with after_commit():
        response = client.post(offer_url(grace), follow=True)
    assert response.redirect_chain[-1][0] == WAITING_LIST
    grace.refresh_from_db()
    assert grace.status == ReservationStatus.OFFERED
    text = BeautifulSoup(response.content, "html.parser").get_text(" ")
    assert f"Seats offered to Grace Hopper ({grace.reference}) until " in text
    counted = Performance.objects.with_seat_counts().get(pk=performance.pk)
    assert (counted.held_seats, counted.available_seats) == (2, 0)
    assert mail.outbox[-1].to == [grace.email]
    assert mail.outbox[-1].subject.startswith("Seats are free for you")
    entry = ModelLogEntry.objects.get(action=services.OFFER_SEATS_ACTION)
    assert (entry.user, entry.object_id, entry.data) == (user, str(grace.pk), {"seats": 2})
    history = client.get(RESERVATIONS + f"history/{grace.pk}/").content.decode()
    assert "Seats offered from the waiting list" in history


def test_offering_seats_that_are_not_free_is_refused_with_the_reason(box_office, performance):
    place = join(performance, seats=2)
    add_seats(performance, 1)
    response = box_office.post(offer_url(place), follow=True)
    text = BeautifulSoup(response.content, "html.parser").get_text(" ")
    assert "Only 1 seats are free: add seats to the performance first." in text
    assert Reservation.objects.get(pk=place.pk).status == ReservationStatus.WAITING
    assert not ModelLogEntry.objects.filter(action=services.OFFER_SEATS_ACTION).exists()


def test_only_a_place_in_line_is_offered_seats(box_office, performance):
    joining = join(performance, confirm=False)
    add_seats(performance, 1)
    response = box_office.post(offer_url(joining), follow=True)
    assert "Only a place on the waiting list can be offered seats." in response.content.decode()
    assert Reservation.objects.get(pk=joining.pk).status == ReservationStatus.JOINING


def test_seats_added_in_the_performance_editor_go_to_the_first_in_line(box_office, performance):
    first = join(performance, name="Ada Lovelace")
    second = join(performance, name="Grace Hopper")
    url = PERFORMANCES + f"edit/{performance.pk}/"
    data = edit_data(performance, additional_seats=1, capacity_change_reason="One more chair")

    with after_commit():
        response = box_office.post(url, data, follow=True)
    assert "Seats offered to 1 place on the waiting list." in response.content.decode()
    assert Reservation.objects.get(pk=first.pk).status == ReservationStatus.OFFERED
    assert Reservation.objects.get(pk=second.pk).status == ReservationStatus.WAITING
    assert mail.outbox[-1].to == [first.email]
    assert ModelLogEntry.objects.filter(action=services.CAPACITY_CHANGE_ACTION).count() == 1


def test_the_performance_listing_counts_the_seats_in_line(box_office, performance):
    join(performance, seats=2)
    join(performance, seats=3)
    join(performance, seats=4, confirm=False)
    rows = listing_rows(box_office.get(PERFORMANCES))
    assert (rows[0]["Available"], rows[0]["Waiting"]) == ("0", "5")


def make_places(count):
    """`count` places on the waiting lists of several performances: half in one line, half
    alone in lines of their own, one still joining and one offered seats."""
    shared = sold_out()
    performances = itertools.cycle([shared, None])
    for index in range(count):
        performance = next(performances) or sold_out(shared.show)
        join(performance, name=f"Person {index}", confirm=index != 1)
    add_seats(shared, 1)
    services.offer_freed_seats(shared.pk)
    return shared


# Pinned: the listing reads every place, its position and its performance in a constant
# number of queries, whatever the places and the performances with a line.
WAITING_LIST_QUERIES = 11


@pytest.mark.parametrize("count", [3, 12])
def test_the_listing_queries_do_not_grow_with_places(
    client, home_page, django_assert_num_queries, count
):
    make_places(count)
    client.force_login(staff("Box office"))
    client.get(WAITING_LIST)
    with django_assert_num_queries(WAITING_LIST_QUERIES):
        response = client.get(WAITING_LIST)
    assert len(listing_rows(response)) == count
    assert response.content.decode().count("/offer/") == count - 2

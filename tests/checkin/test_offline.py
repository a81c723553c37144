"""The door offline: the door list reveals nobody without their ticket, queued check-ins are
applied once however often they arrive, and a party admitted twice is a conflict for the box
office with both admissions' times and doors."""

import datetime
import json
import uuid

import pytest
from bs4 import BeautifulSoup
from cryptography.exceptions import InvalidTag
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from booking import services as booking_services
from booking.models import Reservation, ReservationStatus
from booking.tokens import ticket_token
from checkin import services
from checkin.door_list import open_box
from checkin.models import OfflineCheckIn, OfflineOutcome
from tests.booking.factories import book, book_and_confirm, make_performance
from tests.checkin.test_door import post
from tests.staff import main_menu_names, staff

pytestmark = pytest.mark.django_db

DOOR_LIST = "/admin/checkin/list/"
GUEST_LIST = "/admin/checkin/guest-list/"
SYNC = "/admin/checkin/sync/"
CHECK_IN = "/admin/checkin/check-in/"
CONFLICTS = "/admin/door-conflicts/"


@pytest.fixture
def performance(home_page):
    return make_performance(venue_capacity=40, days_from_now=0.2)


@pytest.fixture
def door_user():
    return staff("Door staff")


@pytest.fixture
def door(door_user):
    """A door phone's browser; tests log the box office in on `client`, another browser."""
    client = Client()
    client.force_login(door_user)
    return client


def confirmed(performance, **kwargs):
    reservation = book_and_confirm(performance, **kwargs).reservation
    reservation.refresh_from_db()
    return reservation, ticket_token(reservation.ticket_nonce)


def get(client, url, **params):
    return client.get(url, params, HTTP_X_REQUESTED_WITH="XMLHttpRequest")


def queued(reservation, *, nonce=None, at=None, door="Side door"):
    """One check-in as door_offline.js queues it."""
    return {
        "nonce": str(nonce or uuid.uuid4()),
        "performance": reservation.performance_id,
        "reservation": reservation.pk,
        "admitted_at": (at or timezone.now() - datetime.timedelta(minutes=5)).isoformat(),
        "door": door,
    }


# The door list


def test_the_door_list_holds_no_token_name_email_or_reference(door, performance):
    reservation, token = confirmed(performance, name="Grazia Deledda", seats=2)
    response = get(door, DOOR_LIST, performance=performance.pk)
    assert response.status_code == 200
    text = response.content.decode()
    for secret in (token, reservation.name, "Grazia", reservation.email, reservation.reference):
        assert secret not in text
    assert response.headers["Cache-Control"].startswith("max-age=0")
    entries = response.json()["entries"]
    assert [entry["id"] for entry in entries] == [reservation.ticket_token_hash]


def test_an_entry_opens_with_its_ticket_and_with_nothing_else(door, performance):
    reservation, token = confirmed(performance, name="Grazia Deledda", seats=2)
    _, other_token = confirmed(performance, name="Italo Svevo", email="italo@example.org")
    entries = {
        e["id"]: e["box"]
        for e in get(door, DOOR_LIST, performance=performance.pk).json()["entries"]
    }
    box = entries[reservation.ticket_token_hash]

    party = open_box(token, reservation.ticket_token_hash, box)
    assert party["name"] == "Grazia Deledda"
    assert party["seats"] == 2
    assert party["status"] == ReservationStatus.CONFIRMED
    assert party["checked_in_at"] is None
    assert party["action"] == "Check in 2 people"
    with pytest.raises(InvalidTag):
        open_box(other_token, reservation.ticket_token_hash, box)
    # A box moved under another ticket's id does not open either: the id is bound in.
    other_id = next(entry_id for entry_id in entries if entry_id != reservation.ticket_token_hash)
    with pytest.raises(InvalidTag):
        open_box(token, other_id, box)


def test_boxes_do_not_tell_names_apart_by_length(door, performance):
    confirmed(performance, name="Al Bo")
    confirmed(performance, name="Maria Francesca Anna Teresa di Borbone", email="m@example.org")
    boxes = [e["box"] for e in get(door, DOOR_LIST, performance=performance.pk).json()["entries"]]
    assert len({len(box) for box in boxes}) == 1


def test_the_list_has_this_performances_tickets_cancelled_ones_marked(door, performance):
    kept, _ = confirmed(performance)
    gone, gone_token = confirmed(performance, email="gone@example.org")
    booking_services.cancel(gone.pk)
    book(performance, email="pending@example.org")  # unconfirmed: no ticket yet
    confirmed(make_performance(venue_capacity=10, days_from_now=0.3), email="other@example.org")

    data = get(door, DOOR_LIST, performance=performance.pk).json()
    entries = {entry["id"]: entry["box"] for entry in data["entries"]}
    assert set(entries) == {kept.ticket_token_hash, gone.ticket_token_hash}
    assert (
        open_box(gone_token, gone.ticket_token_hash, entries[gone.ticket_token_hash])["status"]
        == ReservationStatus.CANCELLED
    )
    assert data["seat_counts"] == {"checked_in_seats": 0, "confirmed_seats": 1}


def test_a_party_checked_in_is_on_the_list_with_when_by_whom_and_where(
    door, door_user, performance
):
    reservation, token = confirmed(performance)
    services.check_in(performance, by=door_user, reservation_id=reservation.pk, door="Foyer")
    entry = get(door, DOOR_LIST, performance=performance.pk).json()["entries"][0]
    party = open_box(token, entry["id"], entry["box"])
    assert party["checked_in_at"] is not None
    assert party["checked_in_by"] == "door-staff"
    assert party["door"] == "Foyer"


def test_the_door_list_costs_a_fixed_number_of_queries(
    door, performance, django_assert_num_queries
):
    for number in range(5):
        confirmed(performance, email=f"guest{number}@example.org")
    # Session, user, permissions, profile; the performance; the entries; the counters.
    with django_assert_num_queries(7):
        assert get(door, DOOR_LIST, performance=performance.pk).status_code == 200


@pytest.mark.parametrize("group", ["Editors", "nobody"])
def test_only_door_staff_download_a_door_list(client, performance, group):
    confirmed(performance)
    client.force_login(staff(group))
    assert get(client, DOOR_LIST, performance=performance.pk).status_code == 403


def test_the_guest_list_is_for_the_box_office_not_the_door_staff(client, door, performance):
    confirmed(performance, name="Grazia Deledda")
    assert get(door, GUEST_LIST, performance=performance.pk).status_code == 403
    client.force_login(staff("Box office"))
    guests = get(client, GUEST_LIST, performance=performance.pk).json()["guests"]
    assert [guest["name"] for guest in guests] == ["Grazia Deledda"]


def test_only_the_box_office_is_offered_to_carry_the_guest_list(client, door, performance):
    def offered(user_client):
        page = BeautifulSoup(user_client.get("/admin/checkin/").content, "html.parser")
        return page.select_one("[data-carry-guest-list]") is not None

    assert not offered(door)
    client.force_login(staff("Box office"))
    assert offered(client)


# Sending the queue


def test_a_queued_check_in_is_recorded_at_the_devices_time_and_door(door, door_user, performance):
    reservation, _ = confirmed(performance, seats=3)
    admitted_at = timezone.now() - datetime.timedelta(minutes=7)
    response = post(door, SYNC, {"check_ins": [queued(reservation, at=admitted_at)]})
    assert response.status_code == 200
    assert response.json()["results"][0]["outcome"] == "recorded"
    reservation.refresh_from_db()
    assert reservation.checked_in_at == admitted_at
    assert reservation.checked_in_by == door_user
    assert reservation.checked_in_door == "Side door"
    entry = ModelLogEntry.objects.get(action=services.CHECK_IN_ACTION)
    assert entry.data == {"seats": 3, "offline": True, "door": "Side door"}


def test_a_replayed_check_in_changes_nothing(door, performance):
    reservation, _ = confirmed(performance)
    item = queued(reservation)
    first = post(door, SYNC, {"check_ins": [item]}).json()["results"]
    reservation.refresh_from_db()
    again = post(door, SYNC, {"check_ins": [item, item]}).json()["results"]

    assert [answer["outcome"] for answer in first + again] == ["recorded"] * 3
    assert OfflineCheckIn.objects.count() == 1
    assert ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION).count() == 1
    before = reservation.checked_in_at
    reservation.refresh_from_db()
    assert reservation.checked_in_at == before
    assert not OfflineCheckIn.objects.conflicts().exists()


def test_a_party_admitted_at_two_doors_is_recorded_once_and_reported(client, door, performance):
    reservation, _ = confirmed(performance, name="Grazia Deledda", seats=2)
    first_at = timezone.now() - datetime.timedelta(minutes=9)
    second_at = timezone.now() - datetime.timedelta(minutes=4)
    post(door, SYNC, {"check_ins": [queued(reservation, at=first_at, door="Main entrance")]})
    answer = post(door, SYNC, {"check_ins": [queued(reservation, at=second_at, door="Side door")]})

    assert answer.json()["results"][0]["outcome"] == "admitted_twice"
    reservation.refresh_from_db()
    assert (reservation.checked_in_at, reservation.checked_in_door) == (first_at, "Main entrance")
    conflict = OfflineCheckIn.objects.conflicts().get()
    assert (conflict.earlier_checked_in_at, conflict.earlier_door) == (first_at, "Main entrance")
    assert (conflict.admitted_at, conflict.door) == (second_at, "Side door")
    assert ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION).count() == 1

    # The box office sees it, with both admissions.
    client.force_login(staff("Box office"))
    page = BeautifulSoup(client.get(CONFLICTS).content, "html.parser")
    row = page.select_one("table.listing tbody tr")
    cells = [" ".join(cell.get_text(" ", strip=True).split()) for cell in row.find_all("td")]
    assert any(reservation.reference in cell for cell in cells)
    assert any("Grazia Deledda, 2" in cell for cell in cells)
    assert any("Main entrance" in cell for cell in cells)
    assert any("Side door" in cell for cell in cells)
    assert any("Admitted twice" in cell for cell in cells)


def test_a_party_checked_in_online_then_admitted_offline_is_a_conflict(
    door, door_user, performance
):
    reservation, _ = confirmed(performance)
    services.check_in(performance, by=door_user, reservation_id=reservation.pk, door="Foyer")
    answer = post(door, SYNC, {"check_ins": [queued(reservation, door="Garden")]})
    assert answer.json()["results"][0]["outcome"] == "admitted_twice"
    assert OfflineCheckIn.objects.conflicts().get().earlier_door == "Foyer"


def test_a_check_in_whose_answer_was_lost_and_its_queued_admission_are_one_admission(
    door, door_user, performance
):
    # The door sent the check-in with its nonce; the server made it, the answer never came
    # back, so the door admitted the party offline under the same nonce.
    reservation, token = confirmed(performance, seats=2)
    nonce = uuid.uuid4()
    online = post(
        door,
        CHECK_IN,
        {"performance": performance.pk, "code": token, "door": "Foyer", "nonce": str(nonce)},
    )
    assert online.json()["state"] == "checked_in"
    reservation.refresh_from_db()
    checked_in_at = reservation.checked_in_at

    answer = post(door, SYNC, {"check_ins": [queued(reservation, nonce=nonce, door="Foyer")]})

    assert answer.json()["results"][0]["outcome"] == "recorded"
    assert not OfflineCheckIn.objects.conflicts().exists()
    reservation.refresh_from_db()
    assert (reservation.checked_in_at, reservation.checked_in_nonce) == (checked_in_at, nonce)
    assert ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION).count() == 1
    # Sent again, the same answer.
    again = post(door, SYNC, {"check_ins": [queued(reservation, nonce=nonce)]})
    assert again.json()["results"][0]["outcome"] == "recorded"
    assert OfflineCheckIn.objects.count() == 1


def test_a_queued_admission_under_its_own_nonce_after_an_undo_checks_the_party_in_again(
    door, door_user, performance
):
    reservation, _ = confirmed(performance)
    nonce = uuid.uuid4()
    services.check_in(performance, by=door_user, reservation_id=reservation.pk, nonce=nonce)
    services.undo_check_in(reservation.pk, by=door_user, reason="Wrong party")
    reservation.refresh_from_db()
    assert (reservation.checked_in_at, reservation.checked_in_nonce) == (None, None)

    answer = post(door, SYNC, {"check_ins": [queued(reservation, nonce=nonce)]})
    assert answer.json()["results"][0]["outcome"] == "recorded"
    reservation.refresh_from_db()
    assert reservation.is_checked_in


def test_a_check_in_with_a_malformed_nonce_is_refused_and_admits_nobody(door, performance):
    reservation, token = confirmed(performance)
    response = post(
        door, CHECK_IN, {"performance": performance.pk, "code": token, "nonce": "not-a-uuid"}
    )
    assert response.status_code == 400
    assert "UUID" in response.json()["message"]
    reservation.refresh_from_db()
    assert not reservation.is_checked_in


def test_a_ticket_cancelled_while_the_door_was_offline_is_reported(door, performance):
    reservation, _ = confirmed(performance)
    booking_services.cancel(reservation.pk)
    answer = post(door, SYNC, {"check_ins": [queued(reservation)]})
    assert answer.json()["results"][0]["outcome"] == "no_longer_valid"
    reservation.refresh_from_db()
    assert reservation.checked_in_at is None
    assert OfflineCheckIn.objects.conflicts().get().outcome == OfflineOutcome.NO_LONGER_VALID


def test_a_device_clock_ahead_of_the_server_records_the_time_it_arrived(door, performance):
    reservation, _ = confirmed(performance)
    before = timezone.now()
    post(door, SYNC, {"check_ins": [queued(reservation, at=before + datetime.timedelta(days=1))]})
    reservation.refresh_from_db()
    assert before <= reservation.checked_in_at <= timezone.now()


def test_a_device_clock_years_behind_records_the_time_it_arrived(door, performance):
    reservation, _ = confirmed(performance)
    long_ago = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    before = timezone.now()
    post(door, SYNC, {"check_ins": [queued(reservation, at=long_ago)]})
    reservation.refresh_from_db()
    assert before <= reservation.checked_in_at <= timezone.now()
    # The device's own time is kept as it was sent.
    assert OfflineCheckIn.objects.get().admitted_at == long_ago


def test_a_door_that_comes_back_after_the_performance_still_sends_its_queue(door, home_page):
    past = make_performance(venue_capacity=10, days_from_now=-1)
    reservation = Reservation.objects.create(
        performance=past,
        reference="PAST0001",
        name="Late Sync",
        email="late@example.org",
        seats=1,
        status=ReservationStatus.CONFIRMED,
        confirmed_at=timezone.now() - datetime.timedelta(days=2),
        link_expires_at=timezone.now(),
        ticket_nonce="0" * 64,
    )
    answer = post(door, SYNC, {"check_ins": [queued(reservation)]})
    assert answer.json()["results"][0]["outcome"] == "recorded"


@pytest.mark.parametrize(
    "change",
    [
        {"nonce": "not-a-uuid"},
        {"reservation": "x"},
        {"reservation": 0},
        {"admitted_at": "yesterday"},
        {"admitted_at": 1764534660},
        {"performance": 999999},
        {"door": "x" * 61},
        {"door": "\ud800"},
    ],
)
def test_a_malformed_queued_check_in_is_answered_invalid_and_writes_nothing(
    door, performance, change
):
    reservation, _ = confirmed(performance)
    answer = post(door, SYNC, {"check_ins": [{**queued(reservation), **change}]})
    assert answer.status_code == 200
    result = answer.json()["results"][0]
    assert result["outcome"] == "invalid"
    assert result["message"]
    assert not OfflineCheckIn.objects.exists()
    reservation.refresh_from_db()
    assert reservation.checked_in_at is None


@pytest.mark.parametrize(
    "body", [{}, {"check_ins": []}, {"check_ins": "x"}, {"check_ins": [{}] * 101}]
)
def test_a_sync_without_a_queue_or_with_too_long_a_one_is_refused(door, performance, body):
    answer = post(door, SYNC, body)
    assert answer.status_code == 400
    assert answer.json()["message"]
    assert not OfflineCheckIn.objects.exists()


def test_sending_one_queued_check_in_costs_a_fixed_number_of_queries(
    door, performance, django_assert_num_queries
):
    reservation, _ = confirmed(performance)
    item = queued(reservation)
    # Session, user, permissions, profile; the performance; the transaction's savepoint, the
    # booking locked and read, the nonce; the check-in and its log entry (as the door's online
    # check-in writes them: 4); the offline record in a savepoint (3); the release.
    with django_assert_num_queries(16):
        assert post(door, SYNC, {"check_ins": [item]}).status_code == 200


def test_the_box_office_sees_door_conflicts_and_the_door_staff_do_not(client, door, performance):
    assert "door-conflicts" not in main_menu_names(door.get("/admin/"))
    assert door.get(CONFLICTS).status_code in (302, 403)
    client.force_login(staff("Box office"))
    assert "door-conflicts" in main_menu_names(client.get("/admin/"))
    assert client.get(CONFLICTS).status_code == 200


def test_nobody_edits_or_deletes_a_door_conflict(admin_client, door, performance):
    reservation, _ = confirmed(performance)
    post(door, SYNC, {"check_ins": [queued(reservation)]})
    post(door, SYNC, {"check_ins": [queued(reservation)]})
    conflict = OfflineCheckIn.objects.conflicts().get()
    assert admin_client.get(f"{CONFLICTS}inspect/{conflict.pk}/").status_code == 200
    for url in (
        f"{CONFLICTS}edit/{conflict.pk}/",
        f"{CONFLICTS}delete/{conflict.pk}/",
        f"{CONFLICTS}new/",
    ):
        assert admin_client.get(url).status_code in (302, 403)
    assert OfflineCheckIn.objects.count() == 2


# Installing the door


def test_the_service_worker_is_public_javascript_that_keeps_the_doors_files(client):
    response = client.get("/admin/checkin/service-worker.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert "/static/checkin/door.js" in body
    assert "/static/checkin/door_offline.js" in body
    assert 'const DOOR_URL = "/admin/checkin/";' in body


def test_the_manifest_installs_the_door_alone(client):
    manifest = json.loads(client.get("/admin/checkin/manifest.webmanifest").content)
    assert manifest["start_url"] == manifest["scope"] == "/admin/checkin/"
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}


def test_the_dashboard_tells_the_box_office_of_this_weeks_conflicts(door, performance):
    def panel(user_client):
        page = BeautifulSoup(user_client.get("/admin/").content, "html.parser")
        return page.select_one("[data-door-conflicts-panel]")

    client = Client()
    client.force_login(staff("Box office"))
    assert panel(client) is None  # nothing to review
    reservation, _ = confirmed(performance)
    for _ in range(2):
        post(door, SYNC, {"check_ins": [queued(reservation)]})
    shown = panel(client)
    assert "admitted 1 party that was already checked in" in shown.get_text(" ", strip=True)
    assert shown.find("a")["href"] == CONFLICTS
    assert panel(door) is None
    OfflineCheckIn.objects.update(received_at=timezone.now() - datetime.timedelta(days=8))
    assert panel(client) is None

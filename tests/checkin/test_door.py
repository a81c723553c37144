"""The door: reason codes, preview writes nothing, one check-in only, who may do what."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from booking import services as booking_services
from booking.models import Performance, Reservation
from booking.tokens import ticket_token
from checkin import services
from tests.booking.factories import after_commit, book, book_and_confirm, make_performance
from tests.staff import main_menu_names, staff

pytestmark = pytest.mark.django_db

PREVIEW = "/admin/checkin/preview/"
CHECK_IN = "/admin/checkin/check-in/"


@pytest.fixture
def performance(home_page):
    return make_performance(venue_capacity=20, days_from_now=0.2)


@pytest.fixture
def door(client):
    client.force_login(staff("Door staff"))
    return client


def door_token(issued):
    issued.reservation.refresh_from_db()
    return ticket_token(issued.reservation.ticket_nonce)


def post(client, url, body):
    # As door.js sends it: Wagtail answers such requests with 403, not a redirect.
    return client.post(
        url,
        json.dumps(body),
        content_type="application/json",
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )


def test_a_valid_ticket_previews_with_its_party(door, performance):
    issued = book_and_confirm(performance, name="Ada Lovelace", seats=3)
    data = post(door, PREVIEW, {"performance": performance.pk, "code": door_token(issued)}).json()
    assert data["state"] == "valid"
    assert data["admit"] is True
    assert data["reservation"]["name"] == "Ada Lovelace"
    assert data["reservation"]["action"] == "Check in 3 people"
    assert data["seat_counts"] == {"checked_in_seats": 0, "confirmed_seats": 3}


def test_the_full_scanned_url_works_as_well_as_the_bare_token(door, performance):
    token = door_token(book_and_confirm(performance))
    url = f"https://www.example.org/t/{token}/"
    assert post(door, PREVIEW, {"performance": performance.pk, "code": url}).json()["state"] == (
        "valid"
    )


@pytest.mark.parametrize("state", ["pending", "cancelled", "expired"])
def test_tickets_that_do_not_admit_say_why(door, performance, state):
    issued = book_and_confirm(performance)
    Reservation.objects.update(status=state, checked_in_at=None)
    data = post(door, PREVIEW, {"performance": performance.pk, "code": door_token(issued)}).json()
    assert data["state"] == state
    assert data["admit"] is False
    assert "name" not in data["reservation"]


@pytest.mark.parametrize("code", ["a" * 43, "hello", "https://evil.example/t/x/"])
def test_unknown_codes_are_unknown(door, performance, code):
    data = post(door, PREVIEW, {"performance": performance.pk, "code": code}).json()
    assert (data["state"], data["admit"]) == ("unknown", False)


def test_a_ticket_for_another_performance_says_which_without_the_name(door, performance):
    other = make_performance(performance.show, days_from_now=3)
    issued = book_and_confirm(other, name="Ada Lovelace")
    data = post(door, PREVIEW, {"performance": performance.pk, "code": door_token(issued)}).json()
    assert data["state"] == "other_performance"
    assert str(other) in data["message"]
    assert "Ada" not in json.dumps(data)


def test_preview_writes_nothing(door, performance):
    issued = book_and_confirm(performance)
    before, after = io.StringIO(), io.StringIO()
    call_command("dumpdata", "booking", "wagtailcore.modellogentry", stdout=before)
    post(door, PREVIEW, {"performance": performance.pk, "code": door_token(issued)})
    call_command("dumpdata", "booking", "wagtailcore.modellogentry", stdout=after)
    assert before.getvalue() == after.getvalue()


def test_check_in_admits_once_and_a_repeat_reports_the_first(door, performance):
    issued = book_and_confirm(performance, seats=2)
    body = {"performance": performance.pk, "code": door_token(issued)}

    first = post(door, CHECK_IN, body).json()
    assert first["state"] == "checked_in"
    assert first["seat_counts"] == {"checked_in_seats": 2, "confirmed_seats": 2}
    again = post(door, CHECK_IN, body).json()
    assert again["state"] == "already_checked_in"
    assert again["checked_in_at"] == first["checked_in_at"]
    assert again["checked_in_by"] == "door-staff"
    assert "by door-staff" in again["message"]
    entries = ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION)
    assert entries.count() == 1
    assert entries.get().user.username == "door-staff"


def test_lookup_without_a_ticket_then_check_in_by_reservation(door, performance):
    book_and_confirm(performance, name="Grace Hopper", email="grace@example.org")
    book(performance, name="Grace Pending")
    found = door.get(
        "/admin/checkin/search/", {"performance": performance.pk, "q": "grace"}
    ).json()["results"]
    assert [result["name"] for result in found] == ["Grace Hopper"]
    data = post(door, CHECK_IN, {"performance": performance.pk, "reservation": found[0]["id"]})
    assert data.json()["state"] == "checked_in"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"performance": "x", "code": "abc"},
        {"performance": 999999, "code": "abc"},
        {"performance": "__PK__"},
        {"performance": "__PK__", "code": "x" * 501},
    ],
)
def test_malformed_requests_get_400_and_write_nothing(door, performance, body):
    body = {key: performance.pk if value == "__PK__" else value for key, value in body.items()}
    assert post(door, PREVIEW, body).status_code == 400
    assert post(door, CHECK_IN, body).status_code == 400
    assert door.post(PREVIEW, "not json", content_type="application/json").status_code == 400


@pytest.mark.parametrize(
    ("who", "page", "endpoints"),
    [
        ("anonymous", 302, 403),
        ("nobody", 302, 403),
        ("Editors", 302, 403),
        ("Door staff", 200, 200),
        ("Box office", 200, 200),
    ],
)
def test_only_staff_with_the_check_in_permission_reach_the_door(
    client, performance, who, page, endpoints
):
    if who != "anonymous":
        client.force_login(staff(who))
    assert client.get("/admin/checkin/").status_code == page
    body = {"performance": performance.pk, "code": "a" * 43}
    assert post(client, PREVIEW, body).status_code == endpoints
    assert post(client, CHECK_IN, body).status_code == endpoints


@pytest.mark.parametrize(
    ("who", "sees"), [("Door staff", True), ("Box office", True), ("Editors", False)]
)
def test_the_check_in_menu_item_is_shown_only_with_the_permission(client, home_page, who, sees):
    client.force_login(staff(who))
    assert ("checkin" in main_menu_names(client.get("/admin/"))) is sees


def test_door_staff_see_only_the_check_in_entry(client, home_page):
    client.force_login(staff("Door staff"))
    assert main_menu_names(client.get("/admin/")) == ["checkin", "help"]


def test_only_the_box_office_may_undo_a_check_in_with_a_reason(client, performance):
    issued = book_and_confirm(performance)
    client.force_login(staff("Door staff"))
    post(client, CHECK_IN, {"performance": performance.pk, "code": door_token(issued)})
    undo = {"reservation": issued.reservation.pk, "reason": "Wrong party"}
    assert post(client, "/admin/checkin/undo/", undo).status_code == 403

    client.force_login(staff("Box office"))
    assert (
        post(client, "/admin/checkin/undo/", {"reservation": issued.reservation.pk}).status_code
        == 400
    )
    response = post(client, "/admin/checkin/undo/", undo)
    assert response.status_code == 200
    assert Reservation.objects.get().checked_in_at is None
    entry = ModelLogEntry.objects.get(action=services.UNDO_CHECK_IN_ACTION)
    assert entry.data == {"reason": "Wrong party"}


def test_undo_is_refused_once_the_performance_is_long_over(client, performance):
    issued = book_and_confirm(performance)
    services.check_in(performance, by=None, reservation_id=issued.reservation.pk)
    Performance.objects.update(starts_at=timezone.now() - datetime.timedelta(hours=7))
    client.force_login(staff("Box office"))
    response = post(
        client, "/admin/checkin/undo/", {"reservation": issued.reservation.pk, "reason": "x"}
    )
    assert response.status_code == 409


def test_the_qr_url_leads_staff_to_the_door_preview_and_others_to_the_public_page(
    client, performance
):
    token = door_token(book_and_confirm(performance, name="Ada Lovelace"))
    public = client.get(f"/t/{token}/").content.decode()
    assert "Show it at the entrance" in public and "Ada" not in public

    client.force_login(staff("Door staff"))
    response = client.get(f"/t/{token}/")
    assert response.status_code == 200
    assert f'data-initial-code="{token}"' in response.content.decode()
    assert Reservation.objects.get().checked_in_at is None


def test_the_door_lists_todays_performances_first_and_preselects_the_next(door, home_page):
    later = make_performance(days_from_now=2)
    tonight = make_performance(later.show, days_from_now=0.1)
    make_performance(later.show, days_from_now=-2)  # past days are not offered
    content = door.get("/admin/checkin/").content.decode()
    assert f'data-performance="{tonight.pk}"' in content
    assert content.index(f'value="{tonight.pk}"') < content.index(f'value="{later.pk}"')


def test_a_cancelled_booking_cannot_be_checked_in(door, performance):
    issued = book_and_confirm(performance)
    with after_commit():
        booking_services.cancel(issued.reservation.pk)
    data = post(door, CHECK_IN, {"performance": performance.pk, "code": door_token(issued)})
    assert data.json()["state"] == "cancelled"
    assert Reservation.objects.get().checked_in_at is None


def test_scanning_at_the_door_logs_no_raw_token(client, performance, log_output):
    token = door_token(book_and_confirm(performance))
    client.force_login(staff("Door staff"))
    client.get(f"/t/{token}/")
    post(client, PREVIEW, {"performance": performance.pk, "code": token})
    post(client, CHECK_IN, {"performance": performance.pk, "code": token})
    client.get(f"/t/{token}/nope/")  # a 404: Django logs its path
    output = log_output.getvalue()
    assert "Not Found: /t/[redacted]/nope/" in output
    assert token not in output


def test_search_and_undo_answer_bad_input_without_a_server_error(client, performance):
    client.force_login(staff("Box office"))
    xhr = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
    assert client.get("/admin/checkin/search/", {"performance": "abc"}, **xhr).status_code == 400
    response = post(client, "/admin/checkin/undo/", {"reservation": 999999, "reason": "x"})
    assert response.status_code == 409


def test_a_check_in_at_another_performance_is_not_offered_for_undo(door, performance):
    other = make_performance(performance.show, days_from_now=3)
    issued = book_and_confirm(other)
    services.check_in(other, by=None, reservation_id=issued.reservation.pk)
    data = post(door, PREVIEW, {"performance": performance.pk, "code": door_token(issued)}).json()
    assert data["state"] == "other_performance"
    assert "checked_in_at" not in data


SEARCH = "/admin/checkin/search/"


@pytest.mark.parametrize("query", ["\x00", "Ada\x00", "x" * 201])
def test_search_refuses_a_nul_character_or_an_overlong_query_with_400(door, performance, query):
    book_and_confirm(performance, name="Ada Lovelace")

    response = door.get(SEARCH, {"performance": performance.pk, "q": query})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert "q" in response.json()["fields"]


@pytest.mark.parametrize("performance_id", ["", "abc", "²", "9" * 30, "\x00", "-1"])
def test_search_refuses_a_performance_that_is_not_one_of_the_doors_with_400(
    door, performance, performance_id
):
    response = door.get(SEARCH, {"performance": performance_id, "q": "ada"})

    assert response.status_code == 400
    assert "performance" in response.json()["fields"]


@pytest.mark.parametrize("performance_id", ["\x00", "abc", "²", "9" * 30])
def test_the_door_page_answers_any_performance_parameter(door, performance, performance_id):
    response = door.get("/admin/checkin/", {"performance": performance_id})

    assert response.status_code == 200
    assert f'data-performance="{performance.pk}"' in response.content.decode()


UNDO = "/admin/checkin/undo/"


@pytest.fixture
def box_office(client):
    client.force_login(staff("Box office"))
    return client


@pytest.mark.parametrize("url", [PREVIEW, CHECK_IN, UNDO])
@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 100_000, "\xff\xfe", "[]", "null"])
def test_a_body_that_is_no_json_object_gets_400_with_a_message(box_office, performance, url, body):
    response = box_office.post(url, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "malformed"
    assert response.json()["message"]


@pytest.mark.parametrize("url", [PREVIEW, CHECK_IN, UNDO])
def test_a_form_post_gets_415_with_a_message_and_writes_nothing(performance, url):
    issued = book_and_confirm(performance)
    services.check_in(performance, by=None, reservation_id=issued.reservation.pk)
    # As a browser posts a form: CSRF checks on, so Django's middleware reads the form first.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff("Box office"))
    browser.get("/admin/checkin/")
    fields = {
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        "performance": performance.pk,
        "reservation": issued.reservation.pk,
        "reason": "Wrong party",
    }

    token = {"HTTP_X_CSRFTOKEN": fields["csrfmiddlewaretoken"]}

    for response in (
        browser.post(url, fields),
        browser.post(url, json.dumps(fields), content_type="text/plain", **token),
    ):
        assert response.status_code == 415
        assert response.json()["error"] == "unsupported_media_type"
        assert response.json()["message"]
    assert Reservation.objects.get().checked_in_at is not None


@pytest.mark.parametrize("reason", [r"\ud800", r"Wrong \udfff party", r"\u0000"])
def test_an_undo_reason_that_no_database_can_store_gets_400_and_writes_nothing(
    box_office, performance, reason
):
    issued = book_and_confirm(performance)
    services.check_in(performance, by=None, reservation_id=issued.reservation.pk)
    body = f'{{"reservation": {issued.reservation.pk}, "reason": "{reason}"}}'

    response = box_office.post(UNDO, body, content_type="application/json")

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert response.json()["message"]
    assert Reservation.objects.get().checked_in_at is not None
    assert not ModelLogEntry.objects.filter(action=services.UNDO_CHECK_IN_ACTION).exists()


@pytest.mark.parametrize("url", [PREVIEW, CHECK_IN])
def test_a_scanned_code_with_half_a_surrogate_pair_gets_400(door, performance, url):
    body = f'{{"performance": {performance.pk}, "code": "\\ud83c"}}'

    response = door.post(url, body, content_type="application/json")

    assert response.status_code == 400
    assert "code" in response.json()["fields"]

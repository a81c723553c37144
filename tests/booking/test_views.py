"""The booker's pages, as a visitor uses them: book, check email, confirm, ticket, cancel."""

import datetime
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking.http import LINK_COOKIE
from booking.models import Performance, Reservation, ReservationStatus
from tests.booking.factories import after_commit, book, book_and_confirm, make_performance
from website.models import CompanySettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def performance(home_page):
    return make_performance(venue_capacity=20, max_seats_per_booking=4)


@pytest.fixture
def show(performance):
    return performance.show


def valid_data(performance, changes=None):
    data = {
        "performance": str(performance.pk),
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "seats": "2",
        "privacy_acknowledged": "on",
        "website": "",
    }
    data.update(changes or {})
    return {key: value for key, value in data.items() if value is not None}


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def email_of_length(length):
    """A valid address of exactly `length` characters (a domain's labels hold 63 at most)."""
    local, top_level = "a" * 64, ".org"
    remaining = length - len(local) - len("@") - len(top_level)
    labels = []
    while remaining > 63:
        labels.append("d" * 63)
        remaining -= 64
    labels.append("d" * remaining)
    return f"{local}@{'.'.join(labels)}{top_level}"


def post_booking(client, show, data):
    with after_commit():
        return client.post(reverse("booking:book", args=[show.pk]), data)


def open_link(client, token):
    return client.get(f"/b/{token}/")


def test_show_page_lists_performances_with_live_availability(client, show, performance):
    sold_out = make_performance(show, venue_capacity=10, manually_occupied_seats=10)
    book_and_confirm(performance, seats=3)

    page = soup(client.get(show.url))
    statuses = [s.get_text(" ", strip=True) for s in page.select(".performance__status")]
    assert statuses == ["17 seats left", "Sold out"]
    radios = page.select("input[name=performance]")
    assert [radio.has_attr("disabled") for radio in radios] == [False, True]
    assert radios[0].has_attr("checked")  # the only open performance is preselected
    assert sold_out.pk


def test_show_page_works_out_each_performances_state_once(client, show, performance):
    make_performance(show, venue_capacity=10, manually_occupied_seats=10)
    asked = []
    is_open_for_booking = Performance.is_open_for_booking

    def counted(performance, now=None):
        asked.append(performance.pk)
        return is_open_for_booking(performance, now)

    with mock.patch.object(Performance, "is_open_for_booking", counted):
        page = soup(client.get(show.url))
    # The list, the form's preselection, "bookable" and the structured data read one answer.
    assert len(page.select(".performance__status")) == 2
    assert sorted(asked) == sorted(set(asked)) and len(asked) == 2


def test_show_page_publishes_theater_events_with_availability(client, show, performance):
    import json

    page = soup(client.get(show.url))
    events = json.loads(page.find("script", type="application/ld+json").string)
    assert events[0]["@type"] == "TheaterEvent"
    assert events[0]["offers"]["availability"] == "https://schema.org/InStock"
    assert events[0]["startDate"] == performance.starts_at.isoformat()


def test_a_valid_booking_redirects_to_check_your_email(client, show, performance):
    response = post_booking(client, show, valid_data(performance))
    assert response.status_code == 302
    assert response["Location"] == "/booking/check-your-email/"

    reservation = Reservation.objects.get()
    assert reservation.status == ReservationStatus.PENDING
    assert len(mail.outbox) == 1

    page = soup(client.get(response["Location"]))
    assert page.find("h1").get_text(strip=True) == "Check your email"
    assert "ada@example.org" in page.find(class_="lead").get_text()
    assert "valid until" in page.get_text()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a complete email address"),
        ({"email": ""}, "email", "We need your email"),
        ({"seats": "0"}, "seats", "Book at least one seat."),
        ({"seats": "5"}, "seats", "At most 4 seats per booking"),
        ({"seats": "many"}, "seats", "Enter a number of seats."),
        ({"email": email_of_length(255)}, "email", "at most 254 characters"),
        ({"name": "   "}, "name", "Tell us the name"),
        ({"name": "A" * 121}, "name", "at most 120 characters"),
        ({"name": "\u200b\u200d\u2060"}, "name", "Tell us the name"),
        ({"name": "\u202e\u202c"}, "name", "Tell us the name"),
        ({"name": "1234"}, "name", "at least one letter"),
        ({"name": "\u202e 42 \u202c"}, "name", "at least one letter"),
        ({"name": "Ada\x00"}, "name", "Null characters are not allowed."),
        ({"privacy_acknowledged": None}, "privacy", "read the privacy notice"),
        ({"privacy_acknowledged": "0"}, "privacy", "read the privacy notice"),
        ({"privacy_acknowledged": "false"}, "privacy", "read the privacy notice"),
        ({"privacy_acknowledged": "off"}, "privacy", "read the privacy notice"),
        ({"privacy_acknowledged": "no"}, "privacy", "read the privacy notice"),
        ({"privacy_acknowledged": ""}, "privacy", "read the privacy notice"),
        ({"performance": "999999"}, "performance", "cannot be booked"),
        ({"performance": None}, "performance", "Choose a performance."),
    ],
)
def test_invalid_input_is_explained_next_to_its_field_and_writes_nothing(
    client, show, performance, changes, field, message
):
    response = post_booking(client, show, valid_data(performance, changes))

    assert response.status_code == 200
    assert not Reservation.objects.exists()
    assert mail.outbox == []
    page = soup(response)
    assert page.find(class_="form-alert", role="alert")
    errors = {
        "performance": page.find(id="performance-error"),
        "privacy": page.find(id="privacy-error"),
    }.get(field) or page.find(id=f"id_{field}_error")
    assert errors is not None, page.select(".errorlist, .field-error")
    assert message in errors.get_text()
    # What the visitor typed is kept.
    if field != "name":
        assert page.find("input", attrs={"name": "name"})["value"] == "Ada Lovelace"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Zo\u00eb \u00c7a", "Zo\u00eb \u00c7a"),
        ("Zoe\u0308 C\u0327a", "Zo\u00eb \u00c7a"),  # decomposed accents are stored composed
        ("Ada Love\u200dlace", "Ada Lovelace"),
        ("\u202eAda Lovelace\u202c", "Ada Lovelace"),
        (" Ada \u200b\t\n Lovelace ", "Ada Lovelace"),
        ("\u674e\u5c0f\u9f8d", "\u674e\u5c0f\u9f8d"),
    ],
)
def test_a_name_is_stored_as_the_door_should_read_it(client, show, performance, typed, stored):
    response = post_booking(client, show, valid_data(performance, {"name": typed}))

    assert response.status_code == 302
    assert Reservation.objects.get().name == stored


def test_an_email_and_a_name_as_long_as_the_booking_holds_are_accepted(client, show, performance):
    email = email_of_length(254)
    assert len(email) == 254

    response = post_booking(
        client, show, valid_data(performance, {"email": email, "name": "A" * 120})
    )

    assert response.status_code == 302
    reservation = Reservation.objects.get()
    assert (reservation.email, reservation.name) == (email, "A" * 120)


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://elsewhere.example"},
        {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "https://tickets.example.org"},
        {"HTTP_ORIGIN": "https://elsewhere.example"},  # a browser without Fetch Metadata
        {"HTTP_ORIGIN": "null"},
    ],
)
def test_a_booking_form_sent_from_another_site_is_refused_and_writes_nothing(
    client, show, performance, headers
):
    with after_commit():
        response = client.post(
            reverse("booking:book", args=[show.pk]), valid_data(performance), **headers
        )
    assert response.status_code == 403
    assert "This form could not be sent" in response.content.decode()
    assert not Reservation.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "null"},  # no-referrer pages
        {"HTTP_ORIGIN": "http://testserver"},
        {},  # not a browser: nothing to ride
    ],
)
def test_a_booking_form_sent_from_this_site_is_accepted(client, show, performance, headers):
    with after_commit():
        response = client.post(
            reverse("booking:book", args=[show.pk]), valid_data(performance), **headers
        )
    assert response.status_code == 302
    assert Reservation.objects.count() == 1


def test_the_show_page_shares_no_csrf_token_or_cookie_and_the_form_posts_to_booking(
    client, show, performance
):
    response = client.get(show.url)
    form = soup(response).select_one("form.booking-form")
    assert form["action"] == reverse("booking:book", args=[show.pk]) + "#tickets"
    assert form.find("input", attrs={"name": "csrfmiddlewaretoken"}) is None
    assert not response.cookies
    # Only Wagtail's password form and login, sending a visitor back, lead there with a GET.
    response = client.get(reverse("booking:book", args=[show.pk]))
    assert (response.status_code, response["Location"]) == (302, f"{show.url}#tickets")


def test_booking_an_unpublished_show_is_not_found(client, show, performance):
    show.unpublish()
    response = post_booking(client, show, valid_data(performance))
    assert response.status_code == 404
    assert not Reservation.objects.exists()


def test_a_filled_honeypot_writes_nothing(client, show, performance):
    response = post_booking(client, show, valid_data(performance, {"website": "http://spam"}))
    assert response.status_code == 200
    assert not Reservation.objects.exists()
    assert "could not be processed" in soup(response).find(role="alert").get_text()


@pytest.mark.parametrize(
    "change",
    [
        {"is_cancelled": True},
        {"starts_at": timezone.now() + datetime.timedelta(minutes=10)},
        {"manually_occupied_seats": 19},
    ],
    ids=["cancelled", "booking closed", "not enough seats"],
)
def test_a_performance_that_cannot_take_the_booking_writes_nothing(
    client, show, performance, change
):
    Performance.objects.filter(pk=performance.pk).update(**change)
    response = post_booking(client, show, valid_data(performance))
    assert response.status_code == 200
    assert not Reservation.objects.exists()
    assert soup(response).select(".field-error, .errorlist")


def test_a_past_performance_is_neither_listed_nor_bookable(client, show, performance):
    Performance.objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert soup(client.get(show.url)).select(".performance") == []
    response = post_booking(client, show, valid_data(performance))
    assert "cannot be booked" in soup(response).find(id="performance-error").get_text()
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("method", ["get", "head"])
def test_following_the_link_changes_nothing(client, performance, method):
    issued = book(performance)
    response = getattr(client, method)(f"/b/{issued.token}/")

    assert response.status_code == 302
    assert response["Location"] == "/booking/reservation/"
    assert response["Referrer-Policy"] == "no-referrer"
    assert Reservation.objects.get().status == ReservationStatus.PENDING
    page = client.get("/booking/reservation/")
    assert Reservation.objects.get().status == ReservationStatus.PENDING
    assert issued.token not in page.content.decode()
    assert soup(page).find("button", string="Confirm booking")


def test_the_link_token_moves_to_a_cookie_scoped_to_booking_pages(client, performance):
    issued = book(performance)
    response = open_link(client, issued.token)
    cookie = response.cookies[LINK_COOKIE]
    assert cookie["path"] == "/booking/"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_confirming_shows_the_ticket_and_confirming_again_shows_it_again(client, performance):
    issued = book(performance, seats=2)
    open_link(client, issued.token)
    with after_commit():
        response = client.post("/booking/reservation/confirm/", follow=True)

    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED
    page = soup(response)
    assert page.find("h1").get_text(strip=True) == performance.show.title
    assert page.select_one(".ticket__qr svg") is not None
    assert page.select_one(".summary__reference").get_text(strip=True) == (
        issued.reservation.reference
    )

    again = client.post("/booking/reservation/confirm/", follow=True)
    assert soup(again).select_one(".ticket__qr svg") is not None
    assert len(mail.outbox) == 2


def test_ticket_page_offers_calendar_print_and_cancel(client, performance):
    issued = book_and_confirm(performance)
    open_link(client, issued.token)
    page = soup(client.get("/booking/reservation/"))
    actions = page.select_one(".ticket-actions")
    assert actions.find("a", href="/booking/reservation/calendar.ics")
    assert actions.find("button", attrs={"data-print": True})
    assert actions.find("a", href="/booking/reservation/cancel/")


def test_calendar_download_is_an_ics_event(client, performance):
    from icalendar import Calendar

    issued = book_and_confirm(performance)
    open_link(client, issued.token)
    response = client.get("/booking/reservation/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == performance.starts_at.replace(microsecond=0)
    assert str(event["summary"]) == performance.show.title


def test_cancel_asks_first_then_frees_the_seats(client, performance):
    issued = book_and_confirm(performance, seats=3)
    open_link(client, issued.token)

    question = soup(client.get("/booking/reservation/cancel/"))
    assert question.find("h1").get_text(strip=True) == "Cancel your booking?"
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED

    with after_commit():
        response = client.post("/booking/reservation/cancel/", follow=True)
    assert Reservation.objects.get().status == ReservationStatus.CANCELLED
    assert Performance.objects.with_seat_counts().get().available_seats == 20
    assert "has been cancelled" in soup(response).find(class_="lead").get_text()
    assert mail.outbox[-1].subject.startswith("Booking cancelled")


def test_an_expired_link_gets_a_friendly_page_and_changes_nothing_on_get(client, performance):
    issued = book(performance)
    Reservation.objects.update(link_expires_at=timezone.now() - datetime.timedelta(minutes=1))
    open_link(client, issued.token)
    page = soup(client.get("/booking/reservation/"))
    assert "expired" in page.find(class_="lead").get_text()
    assert page.find("a", string="See the performances and book again")
    assert Reservation.objects.get().status == ReservationStatus.PENDING

    client.post("/booking/reservation/confirm/")
    assert Reservation.objects.get().status == ReservationStatus.EXPIRED


def test_a_sold_out_performance_is_explained_plainly_on_confirm(client, performance):
    issued = book(performance, seats=2)
    Performance.objects.filter(pk=performance.pk).update(manually_occupied_seats=19)
    open_link(client, issued.token)
    response = client.post("/booking/reservation/confirm/", follow=True)
    assert (
        "filled up before your booking was confirmed"
        in soup(response).find(class_="lead").get_text()
    )


@pytest.mark.parametrize("token", ["a" * 43, "not-a-token"])
def test_an_unknown_link_gets_a_friendly_404(client, performance, token):
    open_link(client, token)
    response = client.get("/booking/reservation/")
    assert response.status_code == 404
    assert "not valid" in soup(response).find(class_="lead").get_text()


def test_the_qr_page_shows_no_personal_data(client, performance):
    from booking.tokens import ticket_token

    issued = book_and_confirm(performance, name="Ada Lovelace", email="ada@example.org")
    token = ticket_token(issued.reservation.ticket_nonce)
    text = soup(client.get(f"/t/{token}/")).get_text()
    assert performance.show.title in text
    assert "Ada" not in text and "ada@example.org" not in text
    assert issued.reservation.reference not in text
    assert client.get(f"/t/{'b' * 43}/").status_code == 404


def test_booking_form_links_the_privacy_notice(client, show, home_page):
    from tests.website.factories import make_content_page

    company = CompanySettings.load()
    company.privacy_notice_page = make_content_page(home_page, slug="privacy")
    company.save()
    link = soup(client.get(show.url)).select_one(".field--checkbox a")
    assert link["href"] == "/privacy/"


def test_booking_pages_are_never_cached(client, performance):
    issued = book(performance)
    open_link(client, issued.token)
    response = client.get("/booking/reservation/")
    assert "no-store" in response["Cache-Control"]
    # The page's URL holds no token; no-referrer would make its forms fail CSRF (Origin: null).
    assert response["Referrer-Policy"] == "same-origin"


def test_the_qr_page_sends_no_referrer_and_its_404_is_not_cached(client, performance):
    from booking.tokens import ticket_token

    issued = book_and_confirm(performance)
    response = client.get(f"/t/{ticket_token(issued.reservation.ticket_nonce)}/")
    assert response["Referrer-Policy"] == "no-referrer"
    missing = client.get(f"/t/{'c' * 43}/")
    assert missing.status_code == 404
    assert "no-store" in missing["Cache-Control"]


def test_no_cancel_button_once_the_performance_has_started(client, performance):
    issued = book_and_confirm(performance)
    Performance.objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    open_link(client, issued.token)
    page = soup(client.get("/booking/reservation/"))
    assert page.select_one(".ticket__qr svg") is not None
    assert page.find("a", href="/booking/reservation/cancel/") is None

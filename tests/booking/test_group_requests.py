"""Larger groups: the limit shown before the form is sent, and the group request that reaches
the box office by email, reserves nothing, and is listed in the box office."""

import csv
import datetime
import io
import itertools

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction

from booking import emails, services
from booking.models import BookingEmail, EmailKind, EmailStatus, GroupRequest, Performance
from tests.booking.factories import after_commit, book, book_and_confirm, make_performance
from tests.booking.mailbox import send_queued_emails
from tests.booking.test_admin import listing_rows
from tests.staff import staff
from website.models import CompanySettings

pytestmark = pytest.mark.django_db

GROUP_REQUESTS = "/admin/snippets/booking/grouprequest/"
BOX_OFFICE_EMAIL = "biglietteria@azionelab.example"

_sequence = itertools.count(1)


@pytest.fixture
def performance(home_page):
    return make_performance(venue_capacity=50, max_seats_per_booking=6)


@pytest.fixture
def company(db):
    company = CompanySettings.load()
    company.email = BOX_OFFICE_EMAIL
    company.save()
    return company


def group_data(performance, **changes):
    data = {
        "group-performance": str(performance.pk),
        "group-name": "Maria Montessori",
        "group-email": "maria@scuola.example",
        "group-phone": "+39 06 1234 5678",
        "group-seats": "24",
        "group-message": "A school class: 22 pupils and 2 teachers.\nOne uses a wheelchair.",
        "group-privacy_acknowledged": "on",
        "group-website": "",
    }
    data.update({f"group-{name}": value for name, value in changes.items()})
    return {key: value for key, value in data.items() if value is not None}


def post_group_request(client, performance, data=None, **headers):
    with after_commit():
        return client.post(
            reverse("booking:group_request", args=[performance.show_id]),
            data or group_data(performance),
            **headers,
        )


def request_group(performance, **changes):
    """A group request through the service, its email sent by the worker."""
    fields = {
        "name": "Maria Montessori",
        "email": f"group{next(_sequence)}@example.org",
        "phone": "",
        "seats": performance.max_seats_per_booking + 1,
        "message": "",
        **changes,
    }
    with after_commit():
        return services.request_group(performance.pk, **fields)


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def counts(performance):
    counted = Performance.objects.with_seat_counts().get(pk=performance.pk)
    return (counted.confirmed_seats, counted.held_seats, counted.available_seats)


# The request and its email.


def test_a_request_above_the_limit_reaches_the_box_office_by_email(client, performance, company):
    response = post_group_request(client, performance)

    assert response.status_code == 302
    assert response["Location"] == reverse("booking:group_request_sent")
    group_request = GroupRequest.objects.get()
    assert (group_request.performance, group_request.seats) == (performance, 24)
    assert (group_request.name, group_request.email) == ("Maria Montessori", "maria@scuola.example")
    assert group_request.phone == "+39 06 1234 5678"
    assert group_request.message.startswith("A school class")
    assert group_request.handled_at is None

    [message] = mail.outbox
    assert message.to == [BOX_OFFICE_EMAIL]
    assert message.reply_to == ["maria@scuola.example"]
    assert message.subject.startswith(f"Group request: 24 seats for {performance.show.title}, ")
    email = BookingEmail.objects.get()
    assert (email.kind, email.status) == (EmailKind.GROUP_REQUEST, EmailStatus.SENT)
    assert (email.group_request, email.reservation) == (group_request, None)
    assert message.extra_headers["Message-ID"] == emails.message_id(email)
    assert f"group-request-{group_request.pk}@" in message.extra_headers["Message-ID"]
    html = message.alternatives[0][0]
    starts_at = timezone.localtime(performance.starts_at).strftime("%Y, %H:%M")
    for body in (message.body, html):
        for detail in (
            performance.show.title,
            starts_at,
            performance.venue.name,
            "Seats: 24" if body is message.body else ">24<",
            "Maria Montessori",
            "maria@scuola.example",
            "+39 06 1234 5678",
            "A school class: 22 pupils and 2 teachers.",
            f"/admin/snippets/booking/grouprequest/edit/{group_request.pk}/",
        ):
            assert detail in body, detail
    assert "/b/" not in message.body  # no booker's link: nothing to confirm

    page = soup(client.get(response["Location"])).get_text(" ", strip=True)
    assert "Your request is with the box office" in page
    assert "Nothing is reserved yet" in page


def test_without_a_company_email_the_request_goes_to_the_site_sender(performance, settings):
    settings.DEFAULT_FROM_EMAIL = "AzioneLab <noreply@azionelab.example>"
    request_group(performance, email="ada@example.org", seats=7)
    [message] = mail.outbox
    assert message.to == ["AzioneLab <noreply@azionelab.example>"]
    assert message.reply_to == ["ada@example.org"]
    assert "Phone: —" in message.body


def test_a_request_within_the_limit_is_refused_and_writes_nothing(client, performance, company):
    response = post_group_request(client, performance, group_data(performance, seats="6"))

    assert response.status_code == 200
    page = soup(response)
    section = page.find(id="group-request")
    assert section.has_attr("open")
    assert "Book up to 6 seats directly with the booking form." in section.get_text()
    # What the visitor typed is kept.
    assert section.find("input", attrs={"name": "group-name"})["value"] == "Maria Montessori"
    assert not GroupRequest.objects.exists()
    assert not BookingEmail.objects.exists()
    assert mail.outbox == []

    with pytest.raises(services.GroupFitsOneBooking, match="Book up to 6 seats directly"):
        services.request_group(
            performance.pk, name="Ada", email="a@example.org", phone="", seats=1, message=""
        )
    assert not GroupRequest.objects.exists()


def test_a_request_for_a_closed_performance_is_refused(performance):
    Performance.objects.filter(pk=performance.pk).update(is_cancelled=True)
    with pytest.raises(services.PerformanceNotBookable):
        request_group(performance, seats=30)
    assert not GroupRequest.objects.exists()


def test_a_request_holds_no_seats(performance, company):
    book_and_confirm(performance, seats=4)
    book(performance, seats=2)
    before = counts(performance)

    request_group(performance, seats=40)

    assert counts(performance) == before == (4, 0, 46)
    # A booking still gets every seat the request asked for.
    book_and_confirm(performance, seats=6)
    assert counts(performance) == (10, 0, 40)


def test_a_double_click_sends_one_request(client, performance, company):
    post_group_request(client, performance)
    post_group_request(client, performance)
    assert GroupRequest.objects.count() == 1
    assert len(mail.outbox) == 1
    # Another request (other seats) is another request.
    post_group_request(client, performance, group_data(performance, seats="30"))
    assert GroupRequest.objects.count() == 2
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://elsewhere.example"},
        {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "https://tickets.example.org"},
        {"HTTP_ORIGIN": "https://elsewhere.example"},
    ],
)
def test_a_group_request_sent_from_another_site_is_refused(client, performance, headers):
    response = post_group_request(client, performance, **headers)
    assert response.status_code == 403
    assert not GroupRequest.objects.exists()
    assert mail.outbox == []


def test_a_get_leads_to_the_form_on_the_show_page(client, performance):
    response = client.get(reverse("booking:group_request", args=[performance.show_id]))
    assert response.status_code == 302
    assert response["Location"] == f"{performance.show.url}#group-request"
    assert "no-store" in response["Cache-Control"]


def test_a_restricted_show_turns_the_request_away_as_its_page_does(client, performance):
    PageViewRestriction.objects.create(
        page=performance.show, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    response = post_group_request(client, performance)
    assert response.status_code == 200
    assert soup(response).find("input", attrs={"name": "password"}) is not None
    assert not GroupRequest.objects.exists()


def test_a_robot_filling_the_honeypot_writes_nothing(client, performance):
    response = post_group_request(client, performance, group_data(performance, website="x"))
    assert response.status_code == 200
    assert "Your request could not be processed." in response.content.decode()
    assert not GroupRequest.objects.exists()


def test_a_phone_number_must_look_like_one(client, performance):
    response = post_group_request(client, performance, group_data(performance, phone="call me"))
    assert "Enter a phone number" in response.content.decode()
    assert not GroupRequest.objects.exists()


# Erasure.


def test_erase_personal_data_blanks_group_requests_of_past_performances(performance, company):
    past = request_group(
        performance, name="Maria Montessori", phone="+39 06 1234 5678", message="Hello", seats=9
    )
    later_performance = make_performance(performance.show, days_from_now=90)
    kept = request_group(later_performance, seats=12)

    services.erase_personal_data(now=performance.starts_at + datetime.timedelta(days=31))

    past.refresh_from_db()
    assert (past.name, past.email, past.phone, past.message) == ("", "", "", "")
    assert past.personal_data_erased_at is not None
    assert past.seats == 9  # for the statistics
    kept.refresh_from_db()
    assert kept.email and kept.personal_data_erased_at is None


def test_an_email_about_an_erased_request_is_withdrawn(performance, company):
    group_request = services.request_group(
        performance.pk, name="Ada", email="ada@example.org", phone="", seats=8, message=""
    )
    services.erase_personal_data(now=performance.starts_at + datetime.timedelta(days=31))
    send_queued_emails()
    assert mail.outbox == []
    assert group_request.emails.get().status == EmailStatus.WITHDRAWN


# The show page.


def test_the_seats_field_tells_the_limit_of_the_only_performance(client, performance):
    page = soup(client.get(performance.show.url))
    seats = page.find("input", attrs={"name": "seats"})
    assert seats["max"] == "6"
    hint = page.find(id=seats["aria-describedby"].split()[0])
    assert hint.find(attrs={"data-limit-hint": True}).get_text() == (
        "Up to 6 seats per booking for this performance."
    )
    link = hint.find("a")
    assert (link["href"], link.get_text()) == (
        "#group-request",
        "More people? Send a group request",
    )
    radio = page.find("input", attrs={"name": "performance"})
    assert radio["data-max-seats"] == "6"
    assert radio["data-seats-hint"] == "Up to 6 seats per booking for this performance."

    section = page.find("details", id="group-request")
    assert section.find("summary").get_text() == "More than 6 people? Send a group request"
    assert not section.has_attr("open")
    group_radio = section.find("input", attrs={"name": "group-performance"})
    assert (group_radio["value"], group_radio["data-max-seats"]) == (str(performance.pk), "6")
    assert group_radio.has_attr("checked")
    assert section.find("input", attrs={"name": "group-seats"})["min"] == "7"
    for name in ("name", "email", "phone", "message", "privacy_acknowledged", "website"):
        assert section.find(attrs={"name": f"group-{name}"}) is not None, name
    assert page.find("script", src="/static/booking/booking_panel.js").has_attr("defer")


def test_with_several_limits_the_seats_field_tells_their_range(client, performance):
    other = make_performance(performance.show, max_seats_per_booking=10, days_from_now=11)
    make_performance(performance.show, max_seats_per_booking=2, is_cancelled=True, days_from_now=12)
    page = soup(client.get(performance.show.url))
    seats = page.find("input", attrs={"name": "seats"})
    assert seats["max"] == "10"
    assert page.find(attrs={"data-limit-hint": True}).get_text() == (
        "Each performance has its own limit: from 6 to 10 seats per booking."
    )
    radios = page.find_all("input", attrs={"name": "performance"})
    assert [radio["data-max-seats"] for radio in radios] == ["6", "10", "2"]
    section = page.find("details", id="group-request")
    assert section.find("summary").get_text() == (
        "More people than one booking holds? Send a group request"
    )
    # Only the performances on sale take a group request.
    group_radios = section.find_all("input", attrs={"name": "group-performance"})
    assert [radio["value"] for radio in group_radios] == [str(performance.pk), str(other.pk)]

    # A performance chosen in the link: its own limit.
    page = soup(client.get(performance.show.url, {"performance": other.pk}))
    assert page.find("input", attrs={"name": "seats"})["max"] == "10"
    assert page.find(attrs={"data-limit-hint": True}).get_text() == (
        "Up to 10 seats per booking for this performance."
    )


def test_a_sold_out_show_offers_no_group_request(client, performance):
    Performance.objects.filter(pk=performance.pk).update(manually_occupied_seats=50)
    page = soup(client.get(performance.show.url))
    assert page.find(id="group-request") is None


# The box office.


def test_the_box_office_lists_the_requests_and_door_staff_do_not_see_them(client, performance):
    request_group(performance, name="Maria Montessori", phone="06 123456", seats=24)
    client.force_login(staff("Box office"))
    rows = listing_rows(client.get(GROUP_REQUESTS))
    assert len(rows) == 1
    row = rows[0]
    assert row["Performance"].startswith(str(performance))
    assert (row["Name"], row["Phone"], row["Seats"], row["Handled"]) == (
        "Maria Montessori",
        "06 123456",
        "24",
        "—",
    )

    client.force_login(staff("Door staff"))
    response = client.get(GROUP_REQUESTS)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == "/admin/"


def test_the_box_office_marks_a_request_handled(client, performance):
    group_request = request_group(performance, name="Maria Montessori", seats=24)
    client.force_login(staff("Box office"))
    edit = GROUP_REQUESTS + f"edit/{group_request.pk}/"
    page = client.get(edit).content.decode()
    assert "Maria Montessori" in page
    # Only "handled" is a field: the request itself is the requester's.
    response = client.post(edit, {"handled": "on", "name": "Someone Else", "seats": "2"})
    assert response.status_code == 302
    group_request.refresh_from_db()
    assert group_request.handled_at is not None
    assert (group_request.name, group_request.seats) == ("Maria Montessori", 24)

    handled = listing_rows(client.get(GROUP_REQUESTS, {"handled": "true"}))
    waiting = listing_rows(client.get(GROUP_REQUESTS, {"handled": "false"}))
    assert (len(handled), len(waiting)) == (1, 0)

    client.post(edit, {})
    group_request.refresh_from_db()
    assert group_request.handled_at is None


def test_requests_are_filtered_searched_and_exported(client, performance):
    other = make_performance(performance.show, days_from_now=12)
    request_group(performance, name="Maria Montessori", seats=24)
    request_group(other, name="Rita Levi-Montalcini", seats=12, phone="06 654321")
    client.force_login(staff("Box office"))

    rows = listing_rows(client.get(GROUP_REQUESTS, {"performance": other.pk}))
    assert [row["Name"] for row in rows] == ["Rita Levi-Montalcini"]
    rows = listing_rows(client.get(GROUP_REQUESTS, {"q": "montessori"}))
    assert [row["Name"] for row in rows] == ["Maria Montessori"]

    response = client.get(GROUP_REQUESTS, {"performance": other.pk, "export": "csv"})
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    exported = list(csv.reader(io.StringIO(content)))
    assert exported[0][:5] == ["Performance", "Name", "Email", "Phone", "Seats"]
    assert len(exported) == 2
    assert (exported[1][1], exported[1][3], exported[1][4]) == (
        "Rita Levi-Montalcini",
        "06 654321",
        "12",
    )
    assert response["Content-Disposition"] == 'attachment; filename="group-requests.csv"'


def test_requests_cannot_be_added_or_deleted_not_even_by_a_superuser(client, performance):
    group_request = request_group(performance, seats=24)
    client.force_login(User.objects.create_superuser("root", password="x"))
    assert client.get(GROUP_REQUESTS).status_code == 200
    for url in ("add/", f"delete/{group_request.pk}/"):
        assert client.get(GROUP_REQUESTS + url).status_code in (302, 403)
    client.post(GROUP_REQUESTS + f"delete/{group_request.pk}/")
    client.post(f"/admin/bulk/booking/grouprequest/delete/?id={group_request.pk}")
    assert GroupRequest.objects.filter(pk=group_request.pk).exists()


# Pinned: the listing reads every request and its performance's show in a constant number of
# queries, whatever the requests and their performances.
GROUP_REQUEST_LISTING_QUERIES = 11


@pytest.mark.parametrize("count", [2, 10])
def test_the_listing_queries_do_not_grow_with_requests(
    client, home_page, django_assert_num_queries, count
):
    for index in range(count):
        request_group(make_performance(days_from_now=10 + index), name=f"Person {index}")
    client.force_login(staff("Box office"))
    client.get(GROUP_REQUESTS)
    with django_assert_num_queries(GROUP_REQUEST_LISTING_QUERIES):
        response = client.get(GROUP_REQUESTS)
    assert len(listing_rows(response)) == count

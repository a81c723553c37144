"""A larger group on a phone: the seats field follows the chosen performance's limit before the
form is sent, and the group request reaches the box office without reserving anything."""

import pytest
from django.core import mail

from booking.models import GroupRequest, Performance
from tests.booking.factories import make_performance
from tests.booking.mailbox import send_queued_emails
from tests.website.factories import ensure_home_page, make_show, make_show_index

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_limit_follows_the_choice_and_a_group_asks_the_box_office(live_server, phone):
    show = make_show(make_show_index(ensure_home_page()), title="The Tempest")
    four = make_performance(show, venue_capacity=30, max_seats_per_booking=4)
    eight = make_performance(show, venue_capacity=30, max_seats_per_booking=8, days_from_now=11)
    phone.goto(live_server.url + show.url)

    hint = phone.locator("#id_seats_helptext [data-limit-hint]")
    assert hint.inner_text() == "Each performance has its own limit: from 4 to 8 seats per booking."
    phone.check(f"#performance-{four.pk}")
    assert hint.inner_text() == "Up to 4 seats per booking for this performance."
    assert phone.get_attribute("#id_seats", "max") == "4"
    phone.check(f"#performance-{eight.pk}")
    assert hint.inner_text() == "Up to 8 seats per booking for this performance."
    assert phone.get_attribute("#id_seats", "max") == "8"
    # Above the limit the browser itself holds the form back, before anything is sent.
    phone.fill("#id_seats", "9")
    assert not phone.evaluate("document.querySelector('#id_seats').checkValidity()")

    # The hint's link opens the group request.
    assert not phone.evaluate("document.getElementById('group-request').open")
    phone.click("#id_seats_helptext a")
    assert phone.evaluate("document.getElementById('group-request').open")
    phone.check(f"#group-performance-{eight.pk}")
    assert phone.get_attribute("#id_group-seats", "min") == "9"
    phone.fill("#id_group-name", "Maria Montessori")
    phone.fill("#id_group-email", "maria@scuola.example")
    phone.fill("#id_group-phone", "06 1234 5678")
    phone.fill("#id_group-seats", "25")
    phone.fill("#id_group-message", "A school class.")
    phone.check("#id_group-privacy_acknowledged")
    phone.click(".group-request__form button[type=submit]")
    phone.wait_for_url("**/booking/group-request/sent/**")
    assert phone.locator("h1").inner_text() == "Your request is with the box office"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    request = GroupRequest.objects.get()
    assert (request.performance_id, request.seats) == (eight.pk, 25)
    assert Performance.objects.with_seat_counts().get(pk=eight.pk).available_seats == 30
    send_queued_emails()
    assert mail.outbox[-1].reply_to == ["maria@scuola.example"]

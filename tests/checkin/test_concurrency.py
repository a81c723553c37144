"""Two doors, one ticket: of many simultaneous check-ins exactly one wins."""

import pytest
from wagtail.models import ModelLogEntry

from booking.tokens import ticket_token
from checkin import services
from tests.booking.factories import book_and_confirm, make_performance
from tests.booking.test_concurrency import run_at_once
from tests.website.factories import ensure_home_page, make_show, make_show_index

pytestmark = pytest.mark.django_db(transaction=True)


def check_in(performance, code):
    """The door's answer to a scan: the admission, or the check of the refusal."""
    try:
        return services.check_in(performance, by=None, code=code)
    except services.NotAdmitted as refusal:
        return refusal.check


def test_twenty_doors_checking_in_the_same_ticket_admit_it_once():
    show = make_show(make_show_index(ensure_home_page()))
    performance = make_performance(show, days_from_now=0.2)
    issued = book_and_confirm(performance, seats=4)
    token = ticket_token(issued.reservation.ticket_nonce)

    results = run_at_once([lambda: check_in(performance, token) for _ in range(20)])

    states = sorted(result.state for result in results)
    assert states == ["already_checked_in"] * 19 + ["checked_in"]
    assert ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION).count() == 1
    first = {result.reservation.checked_in_at for result in results}
    assert len(first) == 1

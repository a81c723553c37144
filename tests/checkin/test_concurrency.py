"""Two doors, one ticket: of many simultaneous check-ins exactly one wins."""

import uuid

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from booking.tokens import ticket_token
from checkin import services
from checkin.models import OfflineCheckIn, OfflineOutcome
from tests.booking.factories import book_and_confirm, make_performance
from tests.booking.test_concurrency import run_at_once
from tests.website.factories import ensure_home_page, make_show, make_show_index

pytestmark = pytest.mark.django_db(transaction=True)


def check_in(performance, code, nonce=None):
    """The door's answer to a scan: the admission, or the check of the refusal."""
    try:
        return services.check_in(performance, by=None, code=code, nonce=nonce)
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


def admit_offline(performance, reservation, *, nonce=None, door="Side door"):
    return services.record_offline_check_in(
        performance,
        nonce=nonce or uuid.uuid4(),
        reservation_id=reservation.pk,
        admitted_at=timezone.now(),
        door=door,
        by=None,
    )


def test_one_queued_check_in_delivered_ten_times_at_once_is_applied_once():
    show = make_show(make_show_index(ensure_home_page()))
    performance = make_performance(show, days_from_now=0.2)
    reservation = book_and_confirm(performance, seats=2).reservation
    nonce = uuid.uuid4()

    results = run_at_once([lambda: admit_offline(performance, reservation, nonce=nonce)] * 10)

    assert {result.outcome for result in results} == {OfflineOutcome.RECORDED}
    assert OfflineCheckIn.objects.count() == 1
    assert ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION).count() == 1


def test_ten_doors_sending_the_same_party_admitted_offline_record_it_once_and_nine_conflicts():
    show = make_show(make_show_index(ensure_home_page()))
    performance = make_performance(show, days_from_now=0.2)
    reservation = book_and_confirm(performance, seats=2).reservation

    results = run_at_once(
        [
            lambda door=door: admit_offline(performance, reservation, door=door)
            for door in "ABCDEFGHIJ"
        ]
    )

    outcomes = sorted(result.outcome for result in results)
    assert outcomes == [OfflineOutcome.ADMITTED_TWICE] * 9 + [OfflineOutcome.RECORDED]
    recorded = next(result for result in results if result.outcome == OfflineOutcome.RECORDED)
    reservation.refresh_from_db()
    assert reservation.checked_in_door == recorded.door
    assert {conflict.earlier_door for conflict in OfflineCheckIn.objects.conflicts()} == {
        recorded.door
    }
    assert ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION).count() == 1


def test_a_queue_arriving_while_another_door_checks_the_party_in_online_admits_them_once():
    show = make_show(make_show_index(ensure_home_page()))
    performance = make_performance(show, days_from_now=0.2)
    issued = book_and_confirm(performance, seats=2)
    token = ticket_token(issued.reservation.ticket_nonce)

    results = run_at_once(
        [
            lambda: check_in(performance, token),
            lambda: admit_offline(performance, issued.reservation),
        ]
    )

    online, offline = results
    assert ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION).count() == 1
    if online.state == "checked_in":
        assert offline.outcome == OfflineOutcome.ADMITTED_TWICE
    else:
        assert (online.state, offline.outcome) == ("already_checked_in", OfflineOutcome.RECORDED)


def test_a_check_in_and_its_own_queued_admission_arriving_at_once_are_one_admission():
    # The door's check-in got no answer and the door sent the same admission from its queue
    # while the server was still making the first.
    show = make_show(make_show_index(ensure_home_page()))
    performance = make_performance(show, days_from_now=0.2)
    issued = book_and_confirm(performance, seats=2)
    token = ticket_token(issued.reservation.ticket_nonce)
    nonce = uuid.uuid4()

    for _ in range(5):
        results = run_at_once(
            [
                lambda: check_in(performance, token, nonce=nonce),
                lambda: admit_offline(performance, issued.reservation, nonce=nonce),
            ]
        )

        assert results[1].outcome == OfflineOutcome.RECORDED
        assert not OfflineCheckIn.objects.conflicts().exists()
        assert ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION).count() == 1
        services.undo_check_in(issued.reservation.pk, by=None, reason="Again")
        OfflineCheckIn.objects.all().delete()
        ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION).delete()

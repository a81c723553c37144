"""The door's rules: read a ticket, preview it without writing, check the party in once.

A check-in is a conditional update (confirmed, for this performance, not yet checked in): of
two doors scanning the same ticket at the same moment, exactly one update matches a row; the
other is told when and by whom the party was checked in.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from booking.models import Performance, Reservation, ReservationStatus
from booking.tokens import TOKEN_PATTERN

CHECK_IN_ACTION = "checkin.check_in"
UNDO_CHECK_IN_ACTION = "checkin.undo"

# A check-in can be taken back until this long after the performance began.
UNDO_WINDOW = datetime.timedelta(hours=6)

# What a scan or a keyboard gives: a bare token, or the ticket's door URL around it.
TICKET_CODE = re.compile(rf"(?:^|/t/)({TOKEN_PATTERN})/?$")


class State:
    VALID = "valid"
    CHECKED_IN = "checked_in"  # the answer to a successful confirm
    UNKNOWN = "unknown"
    PENDING = "pending"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    OTHER_PERFORMANCE = "other_performance"
    ALREADY_CHECKED_IN = "already_checked_in"


@dataclass
class TicketCheck:
    """What the door sees for one ticket: a state, and the reservation when one was found."""

    state: str
    reservation: Reservation | None = None
    counters: dict = field(default_factory=dict)


def ticket_token(code):
    """The token in a scanned or typed code, or None when the code is not one of our tickets."""
    match = TICKET_CODE.search((code or "").strip())
    return match.group(1) if match else None


def find_reservation(*, code=None, reservation_id=None):
    # The show's title, not its Wagtail page: a page row is wide and slow to build, and a
    # scan only needs the title (docs/performance.md).
    reservations = Reservation.objects.select_related("checked_in_by").annotate(
        show_title=F("performance__show__title")
    )
    if reservation_id is not None:
        return reservations.filter(pk=reservation_id).first()
    token = ticket_token(code)
    return reservations.for_ticket_token(token).first() if token else None


def state_of(reservation, performance):
    if reservation is None:
        return State.UNKNOWN
    if reservation.status == ReservationStatus.PENDING:
        return State.PENDING
    if reservation.status == ReservationStatus.CANCELLED:
        return State.CANCELLED
    if reservation.status == ReservationStatus.EXPIRED:
        return State.EXPIRED
    if reservation.performance_id != performance.pk:
        return State.OTHER_PERFORMANCE
    if reservation.is_checked_in:
        return State.ALREADY_CHECKED_IN
    return State.VALID


def counters(performance):
    """Checked-in and confirmed seats for the performance, in one query."""
    return Reservation.objects.filter(
        performance=performance, status=ReservationStatus.CONFIRMED
    ).aggregate(
        checked_in=Coalesce(Sum("seats", filter=Q(checked_in_at__isnull=False)), 0),
        confirmed=Coalesce(Sum("seats"), 0),
    )


def search(performance, query, limit=10):
    """Confirmed reservations of the performance whose name, email or reference match."""
    query = query.strip()
    if len(query) < 2:
        return Reservation.objects.none()
    return (
        Reservation.objects.filter(performance=performance, status=ReservationStatus.CONFIRMED)
        .filter(Q(name__icontains=query) | Q(email__icontains=query) | Q(reference__iexact=query))
        .select_related("checked_in_by")
        .order_by("name")[:limit]
    )


def preview(performance, *, code=None, reservation_id=None):
    """What admitting this ticket would do. Reads only."""
    reservation = find_reservation(code=code, reservation_id=reservation_id)
    return TicketCheck(state_of(reservation, performance), reservation, counters(performance))


def check_in(performance, *, by, code=None, reservation_id=None, now=None):
    """Check the whole party in, once. A repeat reports the check-in that already happened."""
    now = now or timezone.now()
    reservation = find_reservation(code=code, reservation_id=reservation_id)
    state = state_of(reservation, performance)
    if state == State.VALID:
        with transaction.atomic():
            admitted = Reservation.objects.filter(
                pk=reservation.pk,
                performance=performance,
                status=ReservationStatus.CONFIRMED,
                checked_in_at__isnull=True,
            ).update(checked_in_at=now, checked_in_by=by)
            if admitted:
                reservation.checked_in_at, reservation.checked_in_by = now, by
                log(reservation, CHECK_IN_ACTION, user=by, data={"seats": reservation.seats})
        if admitted:
            return TicketCheck(State.CHECKED_IN, reservation, counters(performance))
        # Another door was faster: report its check-in.
        reservation = find_reservation(reservation_id=reservation.pk)
        state = state_of(reservation, performance)
    return TicketCheck(state, reservation, counters(performance))


class UndoRefused(Exception):
    pass


def undo_check_in(reservation_id, *, by, reason):
    """Take back a check-in made by mistake, with the reason, in the audit log."""
    with transaction.atomic():
        reservation = (
            Reservation.objects.select_for_update(of=("self",))
            .select_related("performance")
            .filter(pk=reservation_id)
            .first()
        )
        if reservation is None or not reservation.is_checked_in:
            raise UndoRefused(_("This booking is not checked in."))
        if reservation.performance.starts_at < timezone.now() - UNDO_WINDOW:
            raise UndoRefused(_("The performance is over: its check-ins can no longer change."))
        reservation.checked_in_at = reservation.checked_in_by = None
        reservation.save(update_fields=["checked_in_at", "checked_in_by"])
        log(reservation, UNDO_CHECK_IN_ACTION, user=by, data={"reason": reason})
    return reservation


def door_performances(now=None):
    """Performances the door can pick: today's and those still to come, soonest first."""
    now = timezone.localtime(now)
    start_of_today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        Performance.objects.filter(starts_at__gte=start_of_today, is_cancelled=False)
        .select_related("show", "venue")
        .order_by("starts_at")
    )

"""The door's rules: read a ticket, preview it without writing, check the party in once.

A check-in is a conditional update (confirmed, for this performance, not yet checked in): of
two doors scanning the same ticket at the same moment, exactly one update matches a row; the
other is refused, and told when and by whom the party was checked in.

As in booking/services.py, a rule that says no raises a refusal (`booking.services.Refused`);
a preview, which changes nothing, answers with a `TicketCheck`.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy
from wagtail.log_actions import log

from booking.models import UNCONFIRMED_STATUSES, Performance, Reservation, ReservationStatus
from booking.services import Refused
from booking.tokens import TOKEN_PATTERN
from checkin.models import OfflineCheckIn, OfflineOutcome

CHECK_IN_ACTION = "checkin.check_in"
UNDO_CHECK_IN_ACTION = "checkin.undo"

# A check-in can be taken back until this long after the performance began.
UNDO_WINDOW = datetime.timedelta(hours=6)
# An offline door's clock is believed from this long before the performance began.
OFFLINE_CLOCK_TOLERANCE = datetime.timedelta(days=1)

# What a scan or a keyboard gives: a bare token, or the ticket's door URL around it.
TICKET_CODE = re.compile(rf"(?:^|/t/)({TOKEN_PATTERN})/?$")


class TicketState(models.TextChoices):
    """What a ticket is at the door; each label is the sentence the door shows for it,
    filled in by `TicketCheck.message`."""

    VALID = (
        "valid",
        ngettext_lazy(
            "Valid ticket: %(name)s, %(seats)d person.",
            "Valid ticket: %(name)s, %(seats)d people.",
            "seats",
        ),
    )
    # The answer to a check-in that admitted the party.
    CHECKED_IN = (
        "checked_in",
        ngettext_lazy(
            "Checked in: %(seats)d person. Enjoy the show!",
            "Checked in: %(seats)d people. Enjoy the show!",
            "seats",
        ),
    )
    ALREADY_CHECKED_IN = "already_checked_in", _("Already checked in at %(time)s by %(user)s.")
    OTHER_PERFORMANCE = (
        "other_performance",
        _("This ticket is for another performance: %(performance)s."),
    )
    UNKNOWN = "unknown", _("Not a valid ticket for this theatre.")
    PENDING = "pending", _("Not confirmed: the booking was never confirmed from its email.")
    CANCELLED = "cancelled", _("Cancelled: this ticket admits nobody.")
    EXPIRED = "expired", _("Expired: the booking was never confirmed.")


# Said after the sentence of a party that booked a wheelchair space.
WHEELCHAIR_NOTE = _("With a wheelchair space: show them the way to it.")

# What a check-in sets on a reservation, and taking it back clears.
CHECK_IN_FIELDS = ["checked_in_at", "checked_in_by", "checked_in_door", "checked_in_nonce"]

# The states in which the door may see the party's name: this performance's own parties.
NAMED_STATES = (TicketState.VALID, TicketState.CHECKED_IN, TicketState.ALREADY_CHECKED_IN)


def staff_name(user):
    return (user.get_full_name() or user.get_username()) if user else _("someone")


def check_in_action(seats):
    """The label of the button that admits a party."""
    return ngettext("Check in %(seats)d person", "Check in %(seats)d people", seats) % {
        "seats": seats
    }


def at_door(name, door):
    """Who checked a party in, and at which door when the door was named."""
    return f"{name} · {door}" if door else str(name)


@dataclass
class TicketCheck:
    """What the door sees for one ticket: a state, the reservation when one was found, and the
    performance's seat counts (`seat_counts`)."""

    state: TicketState
    reservation: Reservation | None = None
    seat_counts: dict = field(default_factory=dict)

    @property
    def message(self):
        """The sentence the door reads for this ticket: its state's label, filled in."""
        reservation = self.reservation
        if self.state in (TicketState.VALID, TicketState.CHECKED_IN):
            details = {"name": reservation.name, "seats": reservation.seats}
        elif self.state == TicketState.ALREADY_CHECKED_IN:
            details = {
                "time": date_format(timezone.localtime(reservation.checked_in_at), "H:i"),
                "user": at_door(staff_name(reservation.checked_in_by), reservation.checked_in_door),
            }
        elif self.state == TicketState.OTHER_PERFORMANCE:
            details = {"performance": reservation.performance}
        else:
            return str(self.state.label)
        message = self.state.label % details
        if self.state in NAMED_STATES and reservation.wheelchair_spaces:
            message = f"{message} {WHEELCHAIR_NOTE}"
        return message


class CheckInRefused(Refused):
    pass


class NotAdmitted(CheckInRefused):
    """The ticket admits nobody now; `check` says why, as a preview would."""

    def __init__(self, check):
        self.check = check
        super().__init__(check.message)


class UndoRefused(CheckInRefused):
    pass


def token_in_code(code):
    """The token in a scanned or typed code, or None when the code is not one of our tickets."""
    match = TICKET_CODE.search((code or "").strip())
    return match.group(1) if match else None


# What a scan reads of a reservation: the fields the door's answer, its checks and the audit
# log use, not the booker's email, tokens and timestamps.
SCANNED_FIELDS = (
    "performance_id",
    "reference",
    "name",
    "seats",
    "wheelchair_spaces",
    "status",
    "checked_in_at",
    "checked_in_by__first_name",
    "checked_in_by__last_name",
    "checked_in_by__username",
    "checked_in_door",
)


def find_reservation(*, code=None, reservation_id=None):
    # The show's title, not its Wagtail page: a page row is wide and slow to build, and a
    # scan only needs the title (docs/performance.md).
    reservations = (
        Reservation.objects.select_related("checked_in_by")
        .only(*SCANNED_FIELDS)
        .annotate(show_title=F("performance__show__title"))
    )
    if reservation_id is not None:
        return reservations.filter(pk=reservation_id).first()
    token = token_in_code(code)
    return reservations.for_ticket_token(token).first() if token else None


def state_of(reservation, performance):
    if reservation is None:
        return TicketState.UNKNOWN
    if reservation.status in UNCONFIRMED_STATUSES:
        return TicketState.PENDING
    if reservation.status == ReservationStatus.CANCELLED:
        return TicketState.CANCELLED
    if reservation.status == ReservationStatus.EXPIRED:
        return TicketState.EXPIRED
    if reservation.performance_id != performance.pk:
        return TicketState.OTHER_PERFORMANCE
    if reservation.is_checked_in:
        return TicketState.ALREADY_CHECKED_IN
    return TicketState.VALID


def seat_counts(performance):
    """The door's counters: {"checked_in_seats": …, "confirmed_seats": …}, in one query."""
    return Reservation.objects.filter(performance=performance).seat_counts()


def search(performance, query, limit=10):
    """Confirmed reservations of the performance whose name, email or reference match."""
    query = query.strip()
    if len(query) < 2:
        return Reservation.objects.none()
    return (
        Reservation.objects.filter(performance=performance, status=ReservationStatus.CONFIRMED)
        .filter(Q(name__icontains=query) | Q(email__icontains=query) | Q(reference__iexact=query))
        .only("reference", "name", "seats", "checked_in_at")
        .order_by("name")[:limit]
    )


def preview(performance, *, code=None, reservation_id=None):
    """What admitting this ticket would do. Reads only."""
    reservation = find_reservation(code=code, reservation_id=reservation_id)
    return TicketCheck(state_of(reservation, performance), reservation, seat_counts(performance))


def check_in(performance, *, by, code=None, reservation_id=None, door="", nonce=None, now=None):
    """Check the whole party in, once, at the named door; returns the `TicketCheck` of the
    admission.

    `nonce` is the door's id of this admission: if the door never gets the answer, it admits
    the party offline under the same id, and `record_offline_check_in` takes that for this
    admission, not a second one.

    Raises `NotAdmitted` for a ticket that admits nobody now, a repeat included: its check
    tells when and by whom the party was checked in.
    """
    now = now or timezone.now()
    reservation = find_reservation(code=code, reservation_id=reservation_id)
    state = state_of(reservation, performance)
    if state == TicketState.VALID:
        with transaction.atomic():
            admitted = Reservation.objects.filter(
                pk=reservation.pk,
                performance=performance,
                status=ReservationStatus.CONFIRMED,
                checked_in_at__isnull=True,
            ).update(
                checked_in_at=now, checked_in_by=by, checked_in_door=door, checked_in_nonce=nonce
            )
            if admitted:
                reservation.checked_in_at, reservation.checked_in_by = now, by
                reservation.checked_in_door, reservation.checked_in_nonce = door, nonce
                log(reservation, CHECK_IN_ACTION, user=by, data={"seats": reservation.seats})
        if admitted:
            return TicketCheck(TicketState.CHECKED_IN, reservation, seat_counts(performance))
        # Another door was faster: report its check-in.
        reservation = find_reservation(reservation_id=reservation.pk)
        state = state_of(reservation, performance)
    raise NotAdmitted(TicketCheck(state, reservation, seat_counts(performance)))


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
        reservation.checked_in_nonce = None
        reservation.checked_in_door = ""
        reservation.save(update_fields=CHECK_IN_FIELDS)
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


def record_offline_check_in(
    performance, *, nonce, reservation_id, admitted_at, by, door="", now=None
):
    """Apply one check-in a door made offline and queued under `nonce`; returns its
    `OfflineCheckIn`.

    Idempotent: a nonce already received returns its row unchanged, however often the device
    sends it, and so does a nonce the party was checked in under online (a check-in whose
    answer the door never got, so admitted again offline): recorded, nothing changed.
    Otherwise the party is checked in as of the device's time (`plausible_time`), unless the
    server already has them checked in — then the admission is recorded as a conflict with
    the earlier check-in's time, door and staff, for the box office — or the ticket no longer
    admits anybody here (cancelled while the door was offline, say).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The lock orders this admission with a door checking the same party in online and
        # with another door's queue; the nonce is looked up under it, so that of two
        # deliveries of one admission the second finds the first's row.
        reservation = (
            Reservation.objects.select_for_update(of=("self",))
            .select_related("checked_in_by")
            .filter(pk=reservation_id)
            .first()
        )
        existing = OfflineCheckIn.objects.filter(nonce=nonce).first()
        if existing is not None:
            return existing
        admission = OfflineCheckIn(
            nonce=nonce,
            performance=performance,
            reservation=reservation,
            admitted_at=admitted_at,
            door=door,
            admitted_by=by,
            received_at=now,
        )
        state = state_of(reservation, performance)
        if reservation is not None and reservation.checked_in_nonce == nonce:
            # This very admission, checked in online: its answer was lost on the way.
            admission.outcome = OfflineOutcome.RECORDED
        elif state == TicketState.VALID:
            admission.outcome = OfflineOutcome.RECORDED
            reservation.checked_in_at = plausible_time(admitted_at, performance, now)
            reservation.checked_in_by, reservation.checked_in_door = by, door
            reservation.checked_in_nonce = nonce
            reservation.save(update_fields=CHECK_IN_FIELDS)
            log(
                reservation,
                CHECK_IN_ACTION,
                user=by,
                data={"seats": reservation.seats, "offline": True, "door": door},
            )
        elif state == TicketState.ALREADY_CHECKED_IN:
            admission.outcome = OfflineOutcome.ADMITTED_TWICE
            admission.earlier_checked_in_at = reservation.checked_in_at
            admission.earlier_checked_in_by = reservation.checked_in_by
            admission.earlier_door = reservation.checked_in_door
        else:
            admission.outcome = OfflineOutcome.NO_LONGER_VALID
        try:
            with transaction.atomic():
                admission.save()
        except IntegrityError:
            # The same nonce, delivered twice at once for a reservation that no longer
            # exists (no row to lock): the other delivery's row stands.
            transaction.set_rollback(True)
            admission = None
    return admission or OfflineCheckIn.objects.get(nonce=nonce)


def plausible_time(device_time, performance, now):
    """When an offline door admitted a party, by its clock, unless that clock was plainly
    wrong (later than now, or more than a day before the performance): then now. The
    device's own time is kept on the `OfflineCheckIn` as it was sent."""
    earliest = performance.starts_at - OFFLINE_CLOCK_TOLERANCE
    return device_time if earliest <= device_time <= now else now


def guest_list(performance):
    """The performance's confirmed parties by name, as the box office carries them offline."""
    return (
        Reservation.objects.filter(performance=performance, status=ReservationStatus.CONFIRMED)
        .select_related("checked_in_by")
        .order_by("name")
    )

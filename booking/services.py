"""The booking rules: every change of a reservation's booking status happens here, each in one
transaction. (Checking a party in at the door is the door's rule: checkin/services.py.)

Each service takes plain arguments, locks what it must, and raises a `BookingRefused`
subclass when a rule says no; views and the admin turn those into messages. The email a change
calls for is queued in the same transaction (booking/emails.py, the outbox): both are committed
or neither is, and no request waits for the mail server.
"""

import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.log_actions import log

from booking import emails
from booking.models import (
    OPEN_STATUSES,
    UNCONFIRMED_STATUSES,
    WAITING_LIST_STATUSES,
    EmailKind,
    EmailStatus,
    ExpiryReason,
    GroupRequest,
    Performance,
    Reservation,
    ReservationStatus,
    performances_with_seat_counts,
    seat_capacity,
)
from booking.tokens import new_nonce, ticket_token, token_hash

# Audit log actions (registered with labels in booking/wagtail_hooks.py).
CANCEL_ACTION = "booking.cancel"
REISSUE_ACTION = "booking.reissue_ticket"
RESEND_EMAIL_ACTION = "booking.resend_email"
CANCEL_PERFORMANCE_ACTION = "booking.cancel_performance"
CAPACITY_CHANGE_ACTION = "booking.capacity_change"
OFFER_SEATS_ACTION = "booking.offer_seats"
CAPACITY_FIELDS = ("additional_seats", "manually_occupied_seats", "wheelchair_spaces")

# Unambiguous characters for references read out over the phone or typed at the door.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8


class Refused(Exception):
    """A rule said no. Every service that changes something raises one when a rule refuses,
    here and at the door (checkin/services.py); `message` is for whoever asked, `field` names
    the form field it is about, if any (docs/architecture.md)."""

    message = _("This cannot be done.")
    field = None

    def __init__(self, message=None):
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class BookingRefused(Refused):
    message = _("This booking cannot be made.")


class PerformanceNotBookable(BookingRefused):
    message = _("Booking for this performance is closed.")
    field = "performance"
    expiry_reason = ExpiryReason.PERFORMANCE_CLOSED


class TooManySeats(BookingRefused):
    field = "seats"


class NotEnoughSeats(BookingRefused):
    field = "seats"


class SoldOut(BookingRefused):
    message = _(
        "Sorry, the performance filled up before your booking was confirmed. "
        "Your booking has not been made."
    )
    expiry_reason = ExpiryReason.SOLD_OUT


class LinkExpired(BookingRefused):
    message = _("This confirmation link has expired. Your booking has not been made.")
    expiry_reason = ExpiryReason.LINK_EXPIRED


class ReservationNotFound(BookingRefused):
    message = _("This link is not valid.")


class ReservationCancelled(BookingRefused):
    message = _("This booking has been cancelled.")


class ResendLimitReached(BookingRefused):
    message = _(
        "We have already sent this link several times. Please check your spam folder, "
        "or contact the box office."
    )


class CannotCancel(BookingRefused):
    message = _("This booking can no longer be cancelled.")


class NoWheelchairSpace(BookingRefused):
    message = _("Sorry, no wheelchair space is left for this performance.")
    field = "wheelchair_space"


class SeatsAvailable(BookingRefused):
    message = _("Seats are available for this performance: book them now instead.")
    field = "performance"


class OfferLapsed(BookingRefused):
    message = _(
        "The seats offered to you were held until the time in the email; the offer has passed "
        "to the next person on the waiting list."
    )
    expiry_reason = ExpiryReason.OFFER_LAPSED


class NotOnWaitingList(BookingRefused):
    message = _("Only a place on the waiting list can be offered seats.")


class GroupFitsOneBooking(BookingRefused):
    """A group request for seats that one booking can hold: the booking form takes it."""

    field = "seats"


REFUSAL_FOR_EXPIRY = {
    ExpiryReason.LINK_EXPIRED: LinkExpired,
    ExpiryReason.SOLD_OUT: SoldOut,
    ExpiryReason.PERFORMANCE_CLOSED: PerformanceNotBookable,
    ExpiryReason.OFFER_LAPSED: OfferLapsed,
}


def performance_with_seat_counts(performance_id):
    """The performance with its seats counted now (Performance.objects.with_seat_counts()).

    Under a booking's lock, this is a query of its own, after the lock is taken: a count read
    in the statement that waited for the lock would be as of before the wait.
    """
    return performances_with_seat_counts().get(pk=performance_id)


def seats_over_capacity(
    performance_id, *, room_capacity, additional_seats, manually_occupied_seats
):
    """For a proposed capacity: (confirmed seats, how many of them and of the seats held for
    offers it would leave seatless)."""
    confirmed = held = 0
    if performance_id is not None:
        counted = performance_with_seat_counts(performance_id)
        confirmed, held = counted.confirmed_seats, counted.held_seats
    capacity = seat_capacity(room_capacity, additional_seats, manually_occupied_seats)
    return confirmed, max(0, confirmed + held - capacity)


def new_reference():
    """A short, unused reference (32^8 possibilities: a clash is rare, and retried)."""
    while True:
        reference = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        if not Reservation.objects.filter(reference=reference).exists():
            return reference


def link_deadline(performance, now):
    """Until when a confirmation link sent now works: its usual validity, but never past the
    moment online booking closes, when confirming is refused anyway."""
    validity = now + datetime.timedelta(hours=settings.BOOKING_LINK_VALIDITY_HOURS)
    return min(validity, performance.booking_closes_at)


def queue_link(reservation, *, details_changed=False):
    """Queue a confirmation link for a pending reservation; the worker mints it when it sends.

    One waiting link is enough, as it carries the freshest link when it leaves. When the
    booking's details changed, the waiting links describe it as it was: they are withdrawn and
    a new one queued. A link the worker is sending at that moment (its row locked) is left to
    finish, not waited for: the new link replaces it when it leaves.
    """
    kind = link_kind(reservation)
    waiting = reservation.emails.filter(kind=kind, status=EmailStatus.QUEUED)
    if details_changed:
        overtaken = list(waiting.select_for_update(skip_locked=True).values_list("pk", flat=True))
        waiting.filter(pk__in=overtaken).update(status=EmailStatus.WITHDRAWN, next_attempt_at=None)
    elif waiting.exists():
        return
    emails.queue(reservation, kind)


def link_kind(reservation):
    """The email that asks to confirm: a booking, or a place on the waiting list."""
    if reservation.status == ReservationStatus.JOINING:
        return EmailKind.WAITING_LIST_LINK
    return EmailKind.CONFIRMATION_LINK


def lock_bookable(performance_id, now):
    """The performance, locked for this transaction, if it takes bookings at `now`; every
    booking, place in line and group request starts here."""
    performance = Performance.objects.select_for_update().filter(pk=performance_id).first()
    if performance is None or not performance.is_open_for_booking(now):
        raise PerformanceNotBookable()
    return performance


def check_party_size(performance, seats):
    if seats > performance.max_seats_per_booking:
        raise TooManySeats(
            _("At most %(limit)d seats per booking for this performance.")
            % {"limit": performance.max_seats_per_booking}
        )


def request_booking(performance_id, *, name, email, seats, wheelchair_spaces=0, now=None):
    """Create a pending reservation and queue the email with its confirmation link.

    Refuses when the performance is not bookable or the seats are not available at this moment
    (pending reservations hold no seats). A repeated identical request returns the pending
    reservation without a second email; a changed one updates it, and a fresh link (queued)
    replaces the old one, which stops working at once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        performance = lock_bookable(performance_id, now)
        check_party_size(performance, seats)
        counted = performance_with_seat_counts(performance.pk)
        remaining = counted.available_seats
        if seats > remaining:
            if remaining == 0:
                raise NotEnoughSeats(_("Sorry, this performance is sold out."))
            raise NotEnoughSeats(
                _("Only %(count)d seats are left for this performance.") % {"count": remaining}
            )
        if wheelchair_spaces > counted.available_wheelchair_spaces:
            raise NoWheelchairSpace()

        pending = (
            Reservation.objects.select_for_update()
            .filter(performance=performance, email__iexact=email, status=ReservationStatus.PENDING)
            .first()
        )
        if (
            pending
            and (pending.name, pending.seats, pending.wheelchair_spaces)
            == (name, seats, wheelchair_spaces)
            and not (pending.link_has_expired(now))
        ):
            if pending.links_sent == 0:
                # Its link never left (the mail server is failing): trying again queues one.
                queue_link(pending)
            return pending

        if pending and pending.link_limit_reached:
            raise ResendLimitReached()
        reservation = pending or Reservation(
            performance=performance,
            reference=new_reference(),
            ticket_nonce=new_nonce(),
        )
        reservation.name = name
        reservation.email = email
        reservation.seats = seats
        reservation.wheelchair_spaces = wheelchair_spaces
        reservation.created_at = now
        reservation.link_expires_at = link_deadline(performance, now)
        # A link to the booking as it was must not confirm it as it is now.
        reservation.link_token_hash = None
        reservation.save()
        if pending:
            queue_link(reservation, details_changed=True)
        else:
            emails.queue(reservation, EmailKind.CONFIRMATION_LINK)
    return reservation


def resend_link(reservation_id, *, now=None):
    """Queue a fresh confirmation link for a pending reservation.

    The old link keeps working until the new one has left, so a mail outage never leaves the
    booker with no working link. The limit counts links the mail server accepted.
    """
    now = now or timezone.now()
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().get(pk=reservation_id)
        if reservation.status not in (ReservationStatus.PENDING, ReservationStatus.JOINING):
            raise refusal_for(reservation)
        if reservation.link_limit_reached:
            raise ResendLimitReached()
        queue_link(reservation)
    return reservation


# The email the box office sends again, for each status that has one.
EMAIL_FOR_STATUS = {
    ReservationStatus.PENDING: EmailKind.CONFIRMATION_LINK,
    ReservationStatus.JOINING: EmailKind.WAITING_LIST_LINK,
    ReservationStatus.CONFIRMED: EmailKind.TICKET,
    ReservationStatus.OFFERED: EmailKind.OFFER,
}


def resend_email(reservation_id, *, by, now=None):
    """The box office sends the booker's email again: the confirmation link of a pending
    booking, the ticket of a confirmed one (same QR code, a fresh link). No visitor limit
    applies; the resend is recorded in the reservation's history."""
    now = now or timezone.now()
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().get(pk=reservation_id)
        kind = EMAIL_FOR_STATUS.get(reservation.status)
        if kind is None:
            raise BookingRefused(
                _(
                    "Only a pending, confirmed or offered booking, or a place joining the waiting "
                    "list, gets its email again."
                )
            )
        if kind in (EmailKind.CONFIRMATION_LINK, EmailKind.WAITING_LIST_LINK) and (
            not reservation.performance.is_open_for_booking(now)
        ):
            raise PerformanceNotBookable()
        emails.queue(reservation, kind)
        log(reservation, RESEND_EMAIL_ACTION, user=by, data={"email": kind})
    return reservation


def confirm(link_token, *, now=None):
    """Confirm the reservation behind a link, if its seats are still there.

    Locks the performance row, recounts, and confirms only if the seats are available, then
    queues the ticket email; a late or sold-out confirmation marks the reservation expired and
    raises. Confirming a confirmed reservation returns it unchanged.
    """
    now = now or timezone.now()
    refusal = None
    with transaction.atomic():
        # The performance first, found through the link in the same query; then the
        # reservation, locked in that order as every service does.
        behind_the_link = Reservation.objects.for_link_token(link_token)
        performance = (
            Performance.objects.select_for_update()
            .filter(pk__in=behind_the_link.values("performance"))
            .first()
        )
        if performance is None:
            raise ReservationNotFound()
        # Read once the lock is held: a link replaced while this request waited finds nothing.
        reservation = behind_the_link.select_for_update().filter(performance=performance).first()
        if reservation is None:
            raise ReservationNotFound()
        if reservation.status in (ReservationStatus.CONFIRMED, ReservationStatus.WAITING):
            return reservation
        if reservation.status not in (
            ReservationStatus.PENDING,
            ReservationStatus.JOINING,
            ReservationStatus.OFFERED,
        ):
            raise refusal_for(reservation)

        was = reservation.status
        if was == ReservationStatus.OFFERED:
            # Its seats are held for it until the offer lapses: there is nothing to recount.
            if reservation.offer_has_lapsed(now):
                refusal = OfferLapsed()
            elif not performance.is_open_for_booking(now):
                refusal = PerformanceNotBookable()
        elif reservation.link_has_expired(now):
            refusal = LinkExpired()
        elif not performance.is_open_for_booking(now):
            refusal = PerformanceNotBookable()
        elif was == ReservationStatus.PENDING and not fits(
            reservation, performance_with_seat_counts(performance.pk)
        ):
            refusal = SoldOut()

        if refusal:
            reservation.status = ReservationStatus.EXPIRED
            reservation.expiry_reason = refusal.expiry_reason
            reservation.expired_at = now
            reservation.save(update_fields=["status", "expiry_reason", "expired_at"])
        elif was == ReservationStatus.JOINING:
            reservation.status = ReservationStatus.WAITING
            reservation.waiting_since = now
            reservation.save(update_fields=["status", "waiting_since"])
        else:
            reservation.status = ReservationStatus.CONFIRMED
            reservation.confirmed_at = now
            reservation.ticket_token_hash = token_hash(ticket_token(reservation.ticket_nonce))
            reservation.save(update_fields=["status", "confirmed_at", "ticket_token_hash"])
            emails.queue(reservation, EmailKind.TICKET)
    if was == ReservationStatus.JOINING or isinstance(refusal, OfferLapsed):
        # A place just joined the line, or held seats were let go: seats may be free for it.
        offer_freed_seats(performance.pk, now=now)
    # Raised after the commit, so that the reservation stays marked as expired.
    if refusal:
        raise refusal
    return reservation


def cancel(reservation_id, *, by=None, now=None):
    """Cancel a reservation, or leave the waiting list: held or booked seats are free at once
    and offered to the waiting list, and a confirmed booker gets an email.

    `by` is the staff user acting in the admin, or None for the booker; either way the
    cancellation goes into the reservation's history (Wagtail's audit log).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # of=("self",): lock the reservation only; confirm locks the performance first.
        reservation = (
            Reservation.objects.select_for_update(of=("self",))
            .select_related("performance")
            .get(pk=reservation_id)
        )
        if reservation.status == ReservationStatus.CANCELLED:
            return reservation
        if not reservation.can_be_cancelled(now):
            raise CannotCancel()
        was = reservation.status
        reservation.status = ReservationStatus.CANCELLED
        reservation.cancelled_at = now
        reservation.save(update_fields=["status", "cancelled_at"])
        log(reservation, CANCEL_ACTION, user=by, data={"seats": reservation.seats})
        if was == ReservationStatus.CONFIRMED:
            emails.queue(reservation, EmailKind.CANCELLATION)
    if was in (ReservationStatus.CONFIRMED, ReservationStatus.OFFERED):
        # In a transaction of its own, which locks the performance first, as confirm does.
        offer_freed_seats(reservation.performance_id, now=now)
    return reservation


def reissue_ticket(reservation_id, *, by=None):
    """Replace a confirmed reservation's links and QR code and queue the new ticket's email.

    The old links and the old QR code stop working at once, e.g. when a ticket was forwarded
    by mistake; the new link is minted when the email leaves.
    """
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().get(pk=reservation_id)
        if reservation.status != ReservationStatus.CONFIRMED or reservation.is_checked_in:
            raise BookingRefused(
                _("Only a confirmed booking not yet checked in gets a new ticket.")
            )
        reservation.link_token_hash = reservation.ticket_link_token_hash = None
        reservation.ticket_nonce = new_nonce()
        reservation.ticket_token_hash = token_hash(ticket_token(reservation.ticket_nonce))
        reservation.save(
            update_fields=[
                "link_token_hash",
                "ticket_link_token_hash",
                "ticket_nonce",
                "ticket_token_hash",
            ]
        )
        log(reservation, REISSUE_ACTION, user=by)
        emails.queue(reservation, EmailKind.TICKET)
    return reservation


def cancel_performance(performance_id, *, cancel_reservations, by=None, now=None):
    """Cancel a performance; with `cancel_reservations`, cancel its bookings and email them.

    Without it the bookings stay as they are (for a performance moved to another date, the box
    office contacts the bookers itself). Returns how many reservations were cancelled.
    """
    now = now or timezone.now()
    with transaction.atomic():
        performance = Performance.objects.select_for_update().get(pk=performance_id)
        if performance.is_cancelled:
            raise BookingRefused(_("This performance is already cancelled."))
        performance.is_cancelled = True
        performance.save(update_fields=["is_cancelled"])
        cancelled = []
        if cancel_reservations:
            for reservation in performance.reservations.select_for_update().filter(
                status__in=OPEN_STATUSES, checked_in_at__isnull=True
            ):
                # Seats were promised to a confirmed booking and to an offer: both are told.
                was_confirmed = reservation.status in (
                    ReservationStatus.CONFIRMED,
                    ReservationStatus.OFFERED,
                )
                reservation.status = ReservationStatus.CANCELLED
                reservation.cancelled_at = now
                reservation.save(update_fields=["status", "cancelled_at"])
                log(reservation, CANCEL_ACTION, user=by, data={"seats": reservation.seats})
                cancelled.append(reservation)
                if was_confirmed:
                    emails.queue(reservation, EmailKind.PERFORMANCE_CANCELLED)
        log(
            performance,
            CANCEL_PERFORMANCE_ACTION,
            user=by,
            data={"reservations_cancelled": len(cancelled)},
        )
    return len(cancelled)


def log_capacity_change(performance, *, before, reason, by):
    """Record a change of the capacity overrides, with the reason given, in the audit log."""
    changes = {
        field: [before[field], getattr(performance, field)]
        for field in CAPACITY_FIELDS
        if before[field] != getattr(performance, field)
    }
    if changes:
        log(performance, CAPACITY_CHANGE_ACTION, user=by, data={**changes, "reason": reason})
    return changes


def join_waiting_list(performance_id, *, name, email, seats, wheelchair_spaces=0, now=None):
    """Ask for a place on a sold-out performance's waiting list; the email's link confirms it.

    An address of nobody is worth no place in line, so the place counts from the moment its
    link is used (`confirm`). Refused when the seats can be booked now. A repeated request
    updates the unconfirmed place and sends a fresh link, as a booking request does.
    """
    now = now or timezone.now()
    with transaction.atomic():
        performance = lock_bookable(performance_id, now)
        check_party_size(performance, seats)
        counted = performance_with_seat_counts(performance.pk)
        if (
            seats <= counted.available_seats
            and wheelchair_spaces <= counted.available_wheelchair_spaces
        ):
            raise SeatsAvailable()
        place = (
            Reservation.objects.select_for_update()
            .filter(performance=performance, email__iexact=email, status__in=WAITING_LIST_STATUSES)
            .first()
        )
        if place and place.status != ReservationStatus.JOINING:
            raise BookingRefused(
                _("This email is already on the waiting list for this performance.")
            )
        same = (place.name, place.seats, place.wheelchair_spaces) if place else None
        if same == (name, seats, wheelchair_spaces) and not place.link_has_expired(now):
            if place.links_sent == 0:
                queue_link(place)
            return place
        if place and place.link_limit_reached:
            raise ResendLimitReached()
        place = place or Reservation(
            performance=performance,
            reference=new_reference(),
            ticket_nonce=new_nonce(),
            status=ReservationStatus.JOINING,
        )
        changed = place.pk is not None
        place.name, place.email, place.seats = name, email, seats
        place.wheelchair_spaces = wheelchair_spaces
        place.created_at = now
        place.link_expires_at = link_deadline(performance, now)
        place.link_token_hash = None
        place.save()
        queue_link(place, details_changed=changed)
    return place


def request_group(performance_id, *, name, email, phone, seats, message, now=None):
    """Ask the box office for more seats than one booking may hold; returns the GroupRequest.

    Nothing is reserved: the request holds no seats, and the box office answers it by email or
    phone. Its email to the box office is queued in the same transaction. Refused when the
    performance is not bookable, or when one booking could hold the seats. A repeated
    identical request (a double-click) returns the one not yet handled, without a second
    email.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Locked as a booking locks it: two identical requests at once make one.
        performance = lock_bookable(performance_id, now)
        limit = performance.max_seats_per_booking
        if seats <= limit:
            raise GroupFitsOneBooking(
                ngettext(
                    "Book up to %(limit)d seat directly with the booking form.",
                    "Book up to %(limit)d seats directly with the booking form.",
                    limit,
                )
                % {"limit": limit}
            )
        details = {"name": name, "phone": phone, "seats": seats, "message": message}
        repeated = GroupRequest.objects.filter(
            performance=performance,
            email__iexact=email,
            handled_at__isnull=True,
            personal_data_erased_at__isnull=True,
            **details,
        ).first()
        if repeated:
            return repeated
        group_request = GroupRequest.objects.create(
            performance=performance, email=email, created_at=now, **details
        )
        emails.queue_group_request(group_request)
    return group_request


def offer_freed_seats(performance_id, *, now=None):
    """Offer the performance's free seats to the waiting list, in order of joining; returns the
    places offered seats.

    Each place in line whose party fits the seats still free gets an offer: its seats are held
    (`held_seats`) until `offer_expires_at`, and its email says so. The performance is locked
    while seats are counted and offered, so two cancellations at once never offer the same seats.
    """
    now = now or timezone.now()
    with transaction.atomic():
        performance = Performance.objects.select_for_update().get(pk=performance_id)
        if not performance.is_open_for_booking(now):
            return []
        free = performance_with_seat_counts(performance.pk)
        offered = []
        line = performance.reservations.select_for_update().filter(status=ReservationStatus.WAITING)
        for place in line.order_by("waiting_since", "pk"):
            if free.available_seats == 0:
                break
            if fits(place, free):
                make_offer(place, performance, now)
                free.available_seats -= place.seats
                free.available_wheelchair_spaces -= place.wheelchair_spaces
                offered.append(place)
    return offered


def fits(reservation, counted):
    """Whether the reservation's seats and wheelchair spaces are free in `counted` (a
    performance with_seat_counts)."""
    return (
        reservation.seats <= counted.available_seats
        and reservation.wheelchair_spaces <= counted.available_wheelchair_spaces
    )


def offer_seats(reservation_id, *, by, now=None):
    """The box office offers seats to a place on the waiting list by hand, in or out of turn,
    when the seats are free; recorded in the audit log."""
    now = now or timezone.now()
    with transaction.atomic():
        performance_id = Reservation.objects.values_list("performance", flat=True).get(
            pk=reservation_id
        )
        performance = Performance.objects.select_for_update().get(pk=performance_id)
        place = Reservation.objects.select_for_update().get(pk=reservation_id)
        if place.status != ReservationStatus.WAITING:
            raise NotOnWaitingList()
        if not performance.is_open_for_booking(now):
            raise PerformanceNotBookable()
        free = performance_with_seat_counts(performance.pk)
        if place.seats > free.available_seats:
            raise NotEnoughSeats(
                _("Only %(count)d seats are free: add seats to the performance first.")
                % {"count": free.available_seats}
            )
        if place.wheelchair_spaces > free.available_wheelchair_spaces:
            raise NoWheelchairSpace(
                _("No wheelchair space is free: add one to the performance first.")
            )
        make_offer(place, performance, now)
        log(place, OFFER_SEATS_ACTION, user=by, data={"seats": place.seats})
    return place


def make_offer(place, performance, now):
    """Hold the place's seats for BOOKING_WAITLIST_OFFER_HOURS, never past the booking cut-off,
    and queue the offer's email. The caller holds the performance's lock."""
    validity = now + datetime.timedelta(hours=settings.BOOKING_WAITLIST_OFFER_HOURS)
    place.status = ReservationStatus.OFFERED
    place.offered_at = now
    place.offer_expires_at = min(validity, performance.booking_closes_at)
    place.save(update_fields=["status", "offered_at", "offer_expires_at"])
    emails.queue(place, EmailKind.OFFER)


def lapse_offers(*, now=None):
    """End the offers nobody answered in time and pass their seats on to the next in line;
    offer any seats free to every waiting list. Returns (offers lapsed, offers made). Run by
    cron with expire_pending."""
    now = now or timezone.now()
    lapsed = Reservation.objects.filter(
        status=ReservationStatus.OFFERED, offer_expires_at__lte=now
    ).update(
        status=ReservationStatus.EXPIRED,
        expiry_reason=ExpiryReason.OFFER_LAPSED,
        expired_at=now,
    )
    with_a_line = (
        Reservation.objects.filter(status=ReservationStatus.WAITING)
        .values_list("performance", flat=True)
        .distinct()
    )
    made = sum(len(offer_freed_seats(pk, now=now)) for pk in with_a_line)
    return lapsed, made


def queue_reminders(*, now=None):
    """Queue the reminder of every confirmed booking whose performance starts within
    BOOKING_REMINDER_HOURS; returns how many. Run hourly by the host's timer.

    Once per booking, however often and however concurrently it runs: each booking is marked
    in the transaction that queues its reminder, and a run skips the bookings another run has
    locked; the outbox's unique reminder per reservation is the last guard. A booking
    confirmed inside the window gets none: its ticket has just arrived.
    """
    now = now or timezone.now()
    window = datetime.timedelta(hours=settings.BOOKING_REMINDER_HOURS)
    with transaction.atomic():
        due = list(
            Reservation.objects.select_for_update(of=("self",), skip_locked=True).filter(
                status=ReservationStatus.CONFIRMED,
                reminder_queued_at__isnull=True,
                checked_in_at__isnull=True,
                personal_data_erased_at__isnull=True,
                performance__is_cancelled=False,
                performance__starts_at__gt=now,
                performance__starts_at__lte=now + window,
                confirmed_at__lt=F("performance__starts_at") - window,
            )
        )
        Reservation.objects.filter(pk__in=[r.pk for r in due]).update(reminder_queued_at=now)
        for reservation in due:
            emails.queue(reservation, EmailKind.REMINDER)
    return len(due)


def expire_pending(*, now=None):
    """Mark pending reservations whose link has expired; returns how many. Run by cron."""
    now = now or timezone.now()
    return Reservation.objects.filter(
        status=ReservationStatus.PENDING, link_expires_at__lte=now
    ).update(
        status=ReservationStatus.EXPIRED,
        expiry_reason=ExpiryReason.LINK_EXPIRED,
        expired_at=now,
    )


def erase_personal_data(*, now=None, days=None):
    """Blank names, emails and tokens of reservations for performances more than `days` ago,
    and the names, emails, phones and messages of their group requests; returns how many
    reservations were erased.

    Seat counts, statuses and check-in times stay for the company's statistics. Run by cron.
    """
    now = now or timezone.now()
    days = settings.BOOKING_PERSONAL_DATA_DAYS if days is None else days
    before = now - datetime.timedelta(days=days)
    past = Reservation.objects.filter(
        performance__starts_at__lt=before,
        personal_data_erased_at__isnull=True,
    )
    with transaction.atomic():
        GroupRequest.objects.filter(
            performance__starts_at__lt=before, personal_data_erased_at__isnull=True
        ).update(name="", email="", phone="", message="", personal_data_erased_at=now)
        # A booking still pending, or a place still in line, long after its performance can no
        # longer become a booking.
        past.filter(status__in=UNCONFIRMED_STATUSES).update(
            status=ReservationStatus.EXPIRED,
            expiry_reason=ExpiryReason.PERFORMANCE_CLOSED,
            expired_at=now,
        )
        return past.update(
            name="",
            email="",
            link_token_hash=None,
            ticket_link_token_hash=None,
            ticket_token_hash=None,
            personal_data_erased_at=now,
        )


def refusal_for(reservation):
    if reservation.status == ReservationStatus.CANCELLED:
        return ReservationCancelled()
    if reservation.status == ReservationStatus.EXPIRED:
        return REFUSAL_FOR_EXPIRY.get(reservation.expiry_reason, LinkExpired)()
    return BookingRefused()
